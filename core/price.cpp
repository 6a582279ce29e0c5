// Exact decimal parsing and printing for price. The parser works on the digit
// string directly (no strtod, no floating point): it applies the exponent by
// moving the decimal point, requires every digit beyond the 8th fractional one
// to be zero only when an exponent produced it, and checks for overflow on
// every accumulated digit.
#include "core/price.hpp"

#include <cstddef>
#include <limits>

namespace kryptod::core {

namespace {

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// Exponents beyond this magnitude are saturated: they already move the point
// far past both the 8 fractional digits and the 19 digits an int64 holds, so
// the outcome (overflow, exponent_out_of_range, or zero) does not change.
constexpr std::int64_t exponent_cap = 100000;

// The mantissa's digits as one sequence, skipping the dot.
struct digit_run {
    std::string_view integral;
    std::string_view fraction;

    std::size_t size() const noexcept { return integral.size() + fraction.size(); }
    char operator[](std::size_t i) const noexcept {
        return i < integral.size() ? integral[i] : fraction[i - integral.size()];
    }
};

} // namespace

std::string_view describe(price_error error) noexcept {
    switch (error) {
    case price_error::none:
        return "valid price";
    case price_error::empty:
        return "price is empty";
    case price_error::sign:
        return "price must not carry a sign";
    case price_error::garbage:
        return "price is not a decimal number";
    case price_error::too_many_decimals:
        return "price has more than 8 fractional digits";
    case price_error::exponent_out_of_range:
        return "price exponent leaves more than 8 fractional digits";
    case price_error::overflow:
        return "price is too large";
    case price_error::not_positive:
        return "price must be greater than 0";
    }
    return "unknown price error";
}

price_parse price::parse(std::string_view text) noexcept {
    if (text.empty()) return {{}, price_error::empty};
    if (text[0] == '+' || text[0] == '-') return {{}, price_error::sign};

    std::size_t i = 0;
    auto const digits_from = [&](std::size_t start) {
        while (i < text.size() && is_digit(text[i]))
            ++i;
        return text.substr(start, i - start);
    };

    digit_run run;
    run.integral = digits_from(0);
    if (run.integral.empty()) return {{}, price_error::garbage};
    if (i < text.size() && text[i] == '.') {
        ++i;
        run.fraction = digits_from(i);
        if (run.fraction.empty()) return {{}, price_error::garbage};
    }

    bool has_exponent = false;
    std::int64_t exponent = 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        has_exponent = true;
        ++i;
        bool negative = false;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
        auto const exponent_digits = digits_from(i);
        if (exponent_digits.empty()) return {{}, price_error::garbage};
        for (char c : exponent_digits) {
            exponent = exponent * 10 + (c - '0');
            if (exponent > exponent_cap) exponent = exponent_cap;
        }
        if (negative) exponent = -exponent;
    }
    if (i != text.size()) return {{}, price_error::garbage};

    if (!has_exponent && run.fraction.size() > static_cast<std::size_t>(decimals))
        return {{}, price_error::too_many_decimals};

    // The value is digits * 10^shift units.
    std::int64_t const shift = decimals + exponent - static_cast<std::int64_t>(run.fraction.size());
    std::size_t kept = run.size();
    if (shift < 0) {
        auto const dropped = static_cast<std::size_t>(-shift);
        kept = dropped >= run.size() ? 0 : run.size() - dropped;
        for (std::size_t d = kept; d < run.size(); ++d)
            if (run[d] != '0') return {{}, price_error::exponent_out_of_range};
    }

    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    std::int64_t units = 0;
    for (std::size_t d = 0; d < kept; ++d) {
        int const digit = run[d] - '0';
        if (units > (max - digit) / 10) return {{}, price_error::overflow};
        units = units * 10 + digit;
    }
    if (units != 0)
        for (std::int64_t z = 0; z < shift; ++z) {
            if (units > max / 10) return {{}, price_error::overflow};
            units *= 10;
        }
    return {from_units(units), price_error::none};
}

price_parse price::parse_positive(std::string_view text) noexcept {
    auto parsed = parse(text);
    if (parsed.ok() && parsed.value.units() == 0) parsed.error = price_error::not_positive;
    return parsed;
}

std::string price::to_string() const {
    // Work in unsigned so that the most negative value prints correctly.
    bool const negative = units_ < 0;
    std::uint64_t const magnitude =
        negative ? ~static_cast<std::uint64_t>(units_) + 1 : static_cast<std::uint64_t>(units_);
    std::uint64_t const whole = magnitude / scale;
    std::uint64_t fraction = magnitude % scale;

    std::string out;
    if (negative) out.push_back('-');
    out += std::to_string(whole);
    if (fraction != 0) {
        char digits[decimals];
        for (int d = decimals - 1; d >= 0; --d) {
            digits[d] = static_cast<char>('0' + fraction % 10);
            fraction /= 10;
        }
        int length = decimals;
        while (digits[length - 1] == '0')
            --length;
        out.push_back('.');
        out.append(digits, static_cast<std::size_t>(length));
    }
    return out;
}

std::optional<std::string> percent_change(price now, price base) {
    if (base.units() <= 0) return std::nullopt;
    // (now - base) * 10^4 needs 79 bits at worst; the quotient may exceed 64.
    __extension__ typedef __int128 wide;
    auto const hundredths =
        (static_cast<wide>(now.units()) - base.units()) * 10000 / static_cast<wide>(base.units());
    wide const magnitude = hundredths < 0 ? -hundredths : hundredths;
    std::string digits; // of the magnitude in hundredths, least significant first
    for (auto rest = magnitude; rest != 0 || digits.size() < 3; rest /= 10)
        digits.push_back(static_cast<char>('0' + static_cast<int>(rest % 10)));
    std::string out;
    if (hundredths < 0) out.push_back('-');
    out.append(digits.rbegin(), digits.rend() - 2);
    out.push_back('.');
    out.push_back(digits[1]);
    out.push_back(digits[0]);
    return out;
}

} // namespace kryptod::core
