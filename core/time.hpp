// Time in kryptod's domain: milliseconds since the Unix epoch, UTC.
//
// core/ never reads a clock; every function that depends on time takes it as
// an argument, so the rules are deterministic and testable. Exchange trade
// times (Binance's `T`) and the daemon's wall clock share this unit.
#pragma once

#include <cstdint>

namespace kryptod::core {

// Milliseconds since 1970-01-01T00:00:00Z.
using millis = std::int64_t;

inline constexpr millis millis_per_second = 1000;

// Converts a duration in seconds (cooldowns, TTLs) to milliseconds. The caller
// keeps `seconds` within the configured bounds, far from overflow.
constexpr millis seconds_to_millis(std::int64_t seconds) noexcept {
    return seconds * millis_per_second;
}

} // namespace kryptod::core
