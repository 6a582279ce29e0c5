// Fixed-window rate limiting per key.
#include "http/rate_limiter.hpp"

#include <algorithm>
#include <stdexcept>

namespace kryptod::http {

rate_limiter::rate_limiter(std::uint32_t limit, std::chrono::seconds window, std::size_t max_keys)
    : limit_(limit)
    , window_(window)
    , max_keys_(max_keys) {
    if (limit == 0) throw std::invalid_argument("rate limit must be at least 1");
    if (window.count() <= 0) throw std::invalid_argument("rate limit window must be positive");
    if (max_keys == 0) throw std::invalid_argument("rate limiter needs room for a key");
}

std::optional<std::chrono::seconds> rate_limiter::hit(std::string_view key, clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = windows_.find(std::string(key));
    if (it != windows_.end() && now - it->second.start >= window_) {
        it->second = window{now, 0};
    }
    if (it == windows_.end()) {
        if (windows_.size() >= max_keys_) make_room(now);
        it = windows_.emplace(std::string(key), window{now, 0}).first;
    }
    if (it->second.count >= limit_) {
        auto const left = it->second.start + window_ - now;
        // Round up: waiting the answer's whole seconds must be enough.
        auto secs = std::chrono::ceil<std::chrono::seconds>(left);
        return std::max(secs, std::chrono::seconds(1));
    }
    ++it->second.count;
    return std::nullopt;
}

std::size_t rate_limiter::size() const {
    std::lock_guard lock(mutex_);
    return windows_.size();
}

void rate_limiter::make_room(clock::time_point now) {
    std::erase_if(windows_, [&](auto const& entry) { return now - entry.second.start >= window_; });
    if (windows_.size() < max_keys_) return;
    auto oldest =
        std::min_element(windows_.begin(), windows_.end(), [](auto const& a, auto const& b) {
            return a.second.start < b.second.start;
        });
    windows_.erase(oldest);
}

} // namespace kryptod::http
