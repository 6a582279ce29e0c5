// A fixed-window attempt counter per key (a client address, an account).
//
// Each key may make `limit` attempts per window; the window starts at the
// key's first attempt. Past the limit, hit() refuses and says how long until
// the window ends (the Retry-After value, at least 1 s).
//
// Invariants:
// - at most `max_keys` keys are tracked; the table's buckets are reserved
//   up front, so it never rehashes, and each call does a bounded amount of
//   work under the lock whatever the table holds: O(1) on average, no sweep;
// - keys sit in a list ordered by when their window started (as far as the
//   callers' clock readings agree): each call drops at most a couple of
//   ended windows from its front, and when the table is full the key whose
//   window started first is forgotten, so memory stays bounded under a
//   flood of distinct keys;
// - a key is stored with at most max_key_length bytes: a longer one is kept
//   as its first bytes and a keyed digest of the whole, so a caller that
//   forgot to validate cannot make the table hold kilobytes per entry;
// - the table hashes with SipHash under a random key, so nobody can choose
//   keys that all land in one bucket.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kryptod::http {

class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    // Longest key kept as it is (an email is at most 254 bytes, an address
    // at most 45; an account-and-address pair fits too).
    static constexpr std::size_t max_key_length = 320;

    // `limit` attempts per `window` per key, at most `max_keys` keys.
    // Throws std::invalid_argument for a zero limit, window or max_keys.
    explicit rate_limiter(std::uint32_t limit,
                          std::chrono::seconds window = std::chrono::minutes(1),
                          std::size_t max_keys = 100000);

    // Counts an attempt by `key` at `now`. Returns std::nullopt when it is
    // allowed, or the whole seconds to wait (>= 1) when it is refused; a
    // refused attempt is not counted.
    std::optional<std::chrono::seconds> hit(std::string_view key, clock::time_point now);

    // Whether `key` has used up its attempts at `now`: the seconds to wait
    // (>= 1), or std::nullopt when another attempt would be allowed. Counts
    // nothing.
    std::optional<std::chrono::seconds> spent(std::string_view key, clock::time_point now);

    // Counts an attempt by `key` at `now` without refusing it: for an
    // outcome learnt after the fact (a failed login). The count stops at the
    // limit.
    void count(std::string_view key, clock::time_point now);

    // Keys tracked now.
    std::size_t size() const;

    // The most keys ever tracked at once.
    std::size_t capacity() const noexcept { return max_keys_; }

private:
    struct entry {
        std::string key;
        clock::time_point start;
        std::uint32_t count = 0;
    };
    using entry_list = std::list<entry>;
    struct keyed_hash {
        std::array<unsigned char, 16> secret;
        std::size_t operator()(std::string_view s) const noexcept;
    };

    // The stored form of `key` (itself, or shortened with a digest).
    std::string stored_key(std::string_view key) const;
    // The entry of `key` with its window current at `now`, created when
    // absent. Call with the lock held.
    entry& current(std::string const& key, clock::time_point now);
    // The entry of `key` when its window is still open at `now`.
    entry const* open_window(std::string const& key, clock::time_point now) const;
    void drop_ended(clock::time_point now);
    std::chrono::seconds wait(entry const& e, clock::time_point now) const;

    std::uint32_t limit_;
    clock::duration window_;
    std::size_t max_keys_;
    keyed_hash hash_;
    mutable std::mutex mutex_;
    entry_list order_; // oldest window first
    // Views into the keys held by order_'s nodes, which never move.
    std::unordered_map<std::string_view, entry_list::iterator, keyed_hash> index_;
};

} // namespace kryptod::http
