// Fixed-window rate limiting per key, in a table of fixed capacity.
#include "http/rate_limiter.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

namespace kryptod::http {

namespace {

std::uint64_t siphash(std::string_view s, std::array<unsigned char, 16> const& secret) noexcept {
    static_assert(crypto_shorthash_BYTES == 8 && crypto_shorthash_KEYBYTES == 16);
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, reinterpret_cast<unsigned char const*>(s.data()), s.size(),
                     secret.data());
    std::uint64_t h = 0;
    for (auto b : out)
        h = (h << 8) | b;
    return h;
}

// A fresh SipHash key for one table.
std::array<unsigned char, 16> random_secret() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
    std::array<unsigned char, 16> secret;
    randombytes_buf(secret.data(), secret.size());
    return secret;
}

} // namespace

std::size_t rate_limiter::keyed_hash::operator()(std::string_view s) const noexcept {
    return static_cast<std::size_t>(siphash(s, secret));
}

rate_limiter::rate_limiter(std::uint32_t limit, std::chrono::seconds window, std::size_t max_keys)
    : limit_(limit)
    , window_(window)
    , max_keys_(max_keys)
    , hash_{random_secret()}
    , index_(0, hash_) {
    if (limit == 0) throw std::invalid_argument("rate limit must be at least 1");
    if (window.count() <= 0) throw std::invalid_argument("rate limit window must be positive");
    if (max_keys == 0) throw std::invalid_argument("rate limiter needs room for a key");
    // All buckets now: a rehash would be O(n) under the lock.
    index_.reserve(max_keys_);
}

std::string rate_limiter::stored_key(std::string_view key) const {
    if (key.size() <= max_key_length) return std::string(key);
    // 16 hex digits of a keyed digest after a NUL, which no address or
    // email holds, so a shortened key never equals a short one.
    constexpr std::size_t digest_length = 17;
    std::string out(key.substr(0, max_key_length - digest_length));
    out.push_back('\0');
    auto h = siphash(key, hash_.secret);
    for (int i = 0; i < 16; ++i, h >>= 4)
        out.push_back("0123456789abcdef"[h & 0xf]);
    return out;
}

void rate_limiter::drop_ended(clock::time_point now) {
    // Two per call: more than the one a call may add, so ended windows
    // drain, and never a sweep under the lock.
    for (int i = 0; i < 2 && !order_.empty() && now - order_.front().start >= window_; ++i) {
        index_.erase(order_.front().key);
        order_.pop_front();
    }
}

rate_limiter::entry& rate_limiter::current(std::string const& key, clock::time_point now) {
    drop_ended(now);
    if (auto it = index_.find(key); it != index_.end()) {
        auto node = it->second;
        if (now - node->start >= window_) {
            // A new window: the key moves to the young end of the order.
            node->start = now;
            node->count = 0;
            order_.splice(order_.end(), order_, node);
        }
        return *node;
    }
    if (order_.size() >= max_keys_) {
        index_.erase(order_.front().key);
        order_.pop_front();
    }
    order_.push_back(entry{key, now, 0});
    auto node = std::prev(order_.end());
    index_.emplace(std::string_view(node->key), node);
    return *node;
}

rate_limiter::entry const* rate_limiter::open_window(std::string const& key,
                                                     clock::time_point now) const {
    auto it = index_.find(key);
    if (it == index_.end() || now - it->second->start >= window_) return nullptr;
    return &*it->second;
}

std::chrono::seconds rate_limiter::wait(entry const& e, clock::time_point now) const {
    // Round up: waiting the answer's whole seconds must be enough.
    auto secs = std::chrono::ceil<std::chrono::seconds>(e.start + window_ - now);
    return std::max(secs, std::chrono::seconds(1));
}

std::optional<std::chrono::seconds> rate_limiter::hit(std::string_view key, clock::time_point now) {
    auto const k = stored_key(key);
    std::lock_guard lock(mutex_);
    auto& e = current(k, now);
    if (e.count >= limit_) return wait(e, now);
    ++e.count;
    return std::nullopt;
}

std::optional<std::chrono::seconds> rate_limiter::spent(std::string_view key,
                                                        clock::time_point now) {
    auto const k = stored_key(key);
    std::lock_guard lock(mutex_);
    drop_ended(now);
    auto const* e = open_window(k, now);
    if (e == nullptr || e->count < limit_) return std::nullopt;
    return wait(*e, now);
}

void rate_limiter::count(std::string_view key, clock::time_point now) {
    auto const k = stored_key(key);
    std::lock_guard lock(mutex_);
    auto& e = current(k, now);
    if (e.count < limit_) ++e.count;
}

std::size_t rate_limiter::size() const {
    std::lock_guard lock(mutex_);
    return order_.size();
}

} // namespace kryptod::http
