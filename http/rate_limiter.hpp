// A fixed-window attempt counter per key (a client address, an account).
//
// Each key may make `limit` attempts per window; the window starts at the
// key's first attempt. Past the limit, hit() refuses and says how long until
// the window ends (the Retry-After value, at least 1 s).
//
// Invariants: at most `max_keys` keys are tracked; windows that have ended
// are swept when the table fills, and if it is still full the key whose
// window started first is forgotten, so memory stays bounded under a flood
// of distinct addresses.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kryptod::http {

class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    // `limit` attempts per `window` per key. Throws std::invalid_argument for
    // a zero limit, window or max_keys.
    explicit rate_limiter(std::uint32_t limit,
                          std::chrono::seconds window = std::chrono::minutes(1),
                          std::size_t max_keys = 100000);

    // Counts an attempt by `key` at `now`. Returns std::nullopt when it is
    // allowed, or the whole seconds to wait (>= 1) when it is refused; a
    // refused attempt is not counted.
    std::optional<std::chrono::seconds> hit(std::string_view key, clock::time_point now);

    // Keys tracked now.
    std::size_t size() const;

private:
    struct window {
        clock::time_point start;
        std::uint32_t count = 0;
    };
    void make_room(clock::time_point now);

    std::uint32_t limit_;
    clock::duration window_;
    std::size_t max_keys_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, window> windows_;
};

} // namespace kryptod::http
