// notify::circuit_breaker: which destinations the sender stops trying for a
// while because they keep not answering.
//
// A destination (a channel's name for where an attempt goes: a webhook's
// scheme://host:port, the SMTP server) trips after `threshold` attempts in
// a row that got no answer at all (timeout, refused connection, TLS
// failure). An answer of any kind, even an HTTP 500, proves it reachable and
// closes it again. A tripped destination is open for a cooldown: attempts to
// it are skipped (the sender fails them as temporary without using a lane,
// so a tarpit cannot hold lanes or delay anyone else). After the cooldown
// one attempt goes through as a probe while the others wait; if it gets no
// answer the cooldown doubles, up to `max_cooldown`.
//
// Pure: time is passed in. Thread-safety: none (the sender's thread).
#pragma once

#include "core/time.hpp"

#include <chrono>
#include <string>
#include <unordered_map>

namespace kryptod::daemon::notify {

struct breaker_options {
    int threshold = 3;
    std::chrono::milliseconds cooldown{30000};
    std::chrono::milliseconds max_cooldown{300000};
};

class circuit_breaker {
public:
    enum class verdict {
        pass,  // closed: go ahead
        probe, // the one trial after a cooldown: go ahead, report how it ended
        wait,  // a probe is out: keep the attempt until it ends
        skip,  // open: do not try now
    };

    explicit circuit_breaker(breaker_options options);

    // Whether an attempt to `destination` may start at `now`.
    verdict admit(std::string const& destination, core::millis now);

    // How an attempt that admit() let through ended: `answered` when the
    // server said anything at all.
    void record(std::string const& destination, bool answered, core::millis now);

    // Destinations currently tracked (failing or open), for tests and metrics.
    std::size_t tracked() const noexcept { return state_.size(); }

private:
    struct entry {
        int failures = 0;            // attempts in a row without an answer
        core::millis open_until = 0; // 0: closed
        std::chrono::milliseconds cooldown{0};
        bool probing = false;
    };

    breaker_options options_;
    std::unordered_map<std::string, entry> state_;
};

} // namespace kryptod::daemon::notify
