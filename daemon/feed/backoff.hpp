// backoff: the delays between reconnection attempts: exponential from an
// initial delay up to a cap, with "equal jitter" (each delay is uniformly
// drawn from [d/2, d] for the current step d) so that many daemons cut at
// once by the exchange do not reconnect in lockstep. attempt_window: the
// exchange's own limit on connection attempts (Binance: 300 per 5 minutes
// per address), which the backoff alone does not keep once a connection
// that worked resets it.
//
// Invariants: every delay lies in [initial/2, max]; the step doubles per
// failure until it reaches max; reset() returns to the initial step. An
// attempt_window never allows more than `max` attempts in any `window`.
// Not thread-safe; pure (the random source and the time are passed in).
#pragma once

#include "daemon/backoff.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>

namespace kryptod::daemon::feed {

class backoff {
public:
    using duration = std::chrono::milliseconds;

    // Precondition: 0 < initial <= max.
    backoff(duration initial, duration max) noexcept
        : initial_(initial)
        , max_(max) {}

    // The delay before the next attempt (daemon::retry_delay's rule);
    // advances to the next step.
    template <class Rng>
    duration next(Rng& rng) {
        ++failures_;
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        return retry_delay(static_cast<int>(failures_), initial_, max_, unit(rng));
    }

    // After a stable connection: the next failure waits the initial delay again.
    void reset() noexcept { failures_ = 0; }

    // The step the next delay is drawn under (its upper bound).
    duration current_step() const noexcept {
        return retry_step(static_cast<int>(failures_) + 1, initial_, max_);
    }
    unsigned failures() const noexcept { return failures_; }

private:
    duration initial_, max_;
    unsigned failures_ = 0;
};

// At most `max` attempts in any sliding `window`.
class attempt_window {
public:
    using clock = std::chrono::steady_clock;

    // Precondition: max > 0.
    attempt_window(std::size_t max, clock::duration window)
        : max_(max)
        , window_(window) {}

    // The earliest time at or after `now` when an attempt is allowed.
    clock::time_point next_allowed(clock::time_point now) {
        forget_before(now);
        return recent_.size() < max_ ? now : recent_.front() + window_;
    }

    // Counts an attempt made at `now` (callers ask next_allowed() first).
    void record(clock::time_point now) {
        forget_before(now);
        recent_.push_back(now);
    }

    // Attempts counted within the window ending at `now`.
    std::size_t in_window(clock::time_point now) {
        forget_before(now);
        return recent_.size();
    }

private:
    void forget_before(clock::time_point now) {
        while (!recent_.empty() && now - recent_.front() >= window_)
            recent_.pop_front();
    }

    std::size_t max_;
    clock::duration window_;
    std::deque<clock::time_point> recent_;
};

} // namespace kryptod::daemon::feed
