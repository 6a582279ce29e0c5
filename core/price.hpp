// price: an exact decimal with 8 fractional digits, stored as a signed 64-bit
// count of 1e-8 units.
//
// Invariants: no binary floating point is ever involved; parse() accepts only
// values that are exactly representable (at most 8 fractional digits after
// any exponent is applied) and never rounds; to_string() prints the shortest
// exact form (trailing fractional zeros trimmed, no dot for whole numbers), so
// parse(p.to_string()) == p for every non-negative price.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::core {

// Why a text is not a price. Each value has its own message (describe()).
enum class price_error {
    none,                  // parsed
    empty,                 // ""
    sign,                  // "+1", "-1": prices carry no sign
    garbage,               // anything that is not a decimal number: " 1", "1.", ".5", "NaN", "1e"
    too_many_decimals,     // "0.123456789": more than 8 fractional digits
    exponent_out_of_range, // "1e-9": the exponent leaves more than 8 fractional digits
    overflow,              // "1e400", "100000000000": beyond 92233720368.54775807
    not_positive,          // "0" where a positive price is required (API input)
};

// A human-readable reason, suitable for an API error message.
std::string_view describe(price_error error) noexcept;

// The outcome of parsing: a price, or the reason there is none.
struct price_parse;

class price {
public:
    // Units per 1: a price of 1 is 100000000 units.
    static constexpr std::int64_t scale = 100000000;
    static constexpr int decimals = 8;

    constexpr price() noexcept = default;

    // Wraps a raw count of 1e-8 units. Never fails.
    static constexpr price from_units(std::int64_t units) noexcept {
        price p;
        p.units_ = units;
        return p;
    }

    // Parses an exchange string ("16850.12000000") or JSON number text
    // ("65000.5", "6.5e4", "1E-8"). Grammar: digits ["." digits]
    // [("e"|"E") ["+"|"-"] digits]. Both sides of a dot need a digit ("1." and
    // ".5" are garbage), no sign and no whitespace are accepted. Fails with a
    // distinct price_error for each reason; never throws, never rounds. Zero
    // is accepted (see parse_positive()).
    static price_parse parse(std::string_view text) noexcept;

    // As parse(), but a zero price fails with price_error::not_positive: what
    // the API requires of a target price.
    static price_parse parse_positive(std::string_view text) noexcept;

    constexpr std::int64_t units() const noexcept { return units_; }

    // The shortest exact decimal: "65000.5", "65000", "0.00000001". Negative
    // values (only reachable through from_units) print with a leading '-'.
    std::string to_string() const;

    friend constexpr auto operator<=>(price, price) noexcept = default;
    friend constexpr bool operator==(price, price) noexcept = default;

private:
    std::int64_t units_ = 0;
};

struct price_parse {
    price value; // meaningful only when ok()
    price_error error = price_error::none;

    constexpr bool ok() const noexcept { return error == price_error::none; }
    constexpr explicit operator bool() const noexcept { return ok(); }
};

// The change from `base` to `now` in percent, as text with exactly two
// decimals truncated toward zero ("2.50", "-0.04", "0.00"): what /api/coins
// shows as `change_24h`. Exact for every pair of prices (integer arithmetic
// on units, wide enough that no product overflows). std::nullopt when `base`
// is not positive, as a change from nothing has no percentage.
std::optional<std::string> percent_change(price now, price base);

} // namespace kryptod::core
