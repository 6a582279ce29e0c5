// backoff: the delays between reconnection attempts: exponential from an
// initial delay up to a cap, with "equal jitter" (each delay is uniformly
// drawn from [d/2, d] for the current step d) so that many daemons cut at
// once by the exchange do not reconnect in lockstep.
//
// Invariants: every delay lies in [initial/2, max]; the step doubles per
// failure until it reaches max; reset() returns to the initial step.
// Not thread-safe; pure (the random source is passed in).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace kryptod::daemon::feed {

class backoff {
public:
    using duration = std::chrono::milliseconds;

    // Precondition: 0 < initial <= max.
    backoff(duration initial, duration max) noexcept
        : initial_(initial)
        , max_(max)
        , step_(initial) {}

    // The delay before the next attempt; advances to the next step.
    template <class Rng>
    duration next(Rng& rng) {
        auto const d = step_.count();
        std::uniform_int_distribution<std::int64_t> jitter(d / 2, d);
        step_ = std::min(max_, step_ * 2);
        ++failures_;
        return duration(jitter(rng));
    }

    // After a stable connection: the next failure waits the initial delay again.
    void reset() noexcept {
        step_ = initial_;
        failures_ = 0;
    }

    // The step the next delay is drawn under (its upper bound).
    duration current_step() const noexcept { return step_; }
    unsigned failures() const noexcept { return failures_; }

private:
    duration initial_, max_, step_;
    unsigned failures_ = 0;
};

} // namespace kryptod::daemon::feed
