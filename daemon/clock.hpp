// daemon::wall_clock: the daemon's one reading of the wall clock, in core's
// unit (milliseconds since the Unix epoch, core::millis).
//
// core/ never reads a clock; daemon/ reads it here and nowhere else, so a
// test can hand a part a clock it moves by hand. Parts that keep time take a
// wall_clock (default: the system's); code with nothing to inject calls
// wall_clock_now().
//
// Invariants: the system clock is read through std::chrono::system_clock
// only; a wall_clock is cheap to copy and safe to call from any thread as
// long as its source is.
#pragma once

#include "core/time.hpp"

#include <chrono>
#include <functional>
#include <utility>

namespace kryptod::daemon {

// The system's wall clock now, as ms since the Unix epoch.
inline core::millis wall_clock_now() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class wall_clock {
public:
    using source_fn = std::function<core::millis()>;

    // The system's clock.
    wall_clock() = default;
    // A clock read from `source` (a test's hand-moved time).
    explicit wall_clock(source_fn source)
        : source_(std::move(source)) {}

    core::millis now() const { return source_ ? source_() : wall_clock_now(); }

private:
    source_fn source_;
};

} // namespace kryptod::daemon
