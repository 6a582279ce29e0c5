// RFC 3339 timestamps <-> core::millis (ms since the Unix epoch, UTC), as the
// API reads and writes them: "2026-11-23T14:00:00Z",
// "2026-11-23T14:00:00.123Z", "2026-11-23T15:00:00+01:00".
//
// Output is always UTC with a `Z`; milliseconds appear only when not zero.
// Input takes `Z`/`z` or a numeric offset, `T`/`t` (or a space) between date
// and time, and any number of fractional digits (truncated to ms). Years are
// 0000..9999; leap seconds (`:60`) are refused.
#pragma once

#include "core/time.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace kryptod::core {

std::string format_rfc3339(millis t);

// nullopt for anything that is not a valid RFC 3339 date-time.
std::optional<millis> parse_rfc3339(std::string_view text) noexcept;

// A calendar date "YYYY-MM-DD" or "DD-MM-YYYY" as the ms of its UTC
// midnight; nullopt when invalid (e.g. 2026-02-30).
std::optional<millis> parse_date(std::string_view text) noexcept;

} // namespace kryptod::core
