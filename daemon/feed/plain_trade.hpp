// plain_trade: the fast reader of a Binance trade frame in its usual shape,
// and the event fields every reader of binance_decode.cpp fills.
//
// Internal to binance_decode.cpp, which is its only includer: it lives in a
// header of its own so that the decoder's file stays readable, and every
// function is inline so the hot path compiles exactly as one unit.
//
// Invariants: the readers never read before `p` nor more than 24 bytes past
// `end` (decode_padded()'s frame is followed by `padding` readable bytes), and
// never believe a byte past the frame's end; on any surprise they return
// false or not_plain and the frame goes through simdjson instead.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace kryptod::daemon::feed::plain_trade {

// The event fields of one object, as found. Strings point into the parser's
// string buffer and live until the next frame.
struct event_fields {
    std::string_view e, s, p; // p: only when not p_plain
    std::int64_t event_time = 0, agg_id = -1, trade_id = -1, trade_time = -1;
    std::int64_t p_units = 0; // the price, when read_plain_trade() converted it
    bool has_e = false, has_s = false, has_p = false, has_a = false, has_t = false,
         has_trade_time = false, p_plain = false;
    std::string_view bad; // first field whose value had the wrong type
};

// Readers for the numbers of a plain trade (read_plain_trade() below), eight
// digits at a time, where they are in the frame: decode_padded()'s frame is
// followed by `padding` readable bytes, so reading 24 bytes from any point
// of it stays in bounds (bytes past the frame's end are never believed).
static_assert(std::endian::native == std::endian::little);
constexpr std::uint64_t ascii_zeros = 0x3030303030303030;

inline std::uint64_t load8(char const* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Bit 7 set in each byte of `v` that is not an ASCII digit. Exact up to the
// first such byte, which is all the callers use (a carry out of it may mark
// the next one).
inline std::uint64_t non_digit_bytes(std::uint64_t v) noexcept {
    std::uint64_t const t = v ^ ascii_zeros; // a digit becomes 0..9, nothing else does
    return ((t + 0x7676767676767676) | t) & 0x8080808080808080;
}

// How many of the eight bytes from `p` are digits before the first other byte.
inline std::size_t digit_run(char const* p) noexcept {
    std::uint64_t const m = non_digit_bytes(load8(p));
    return m == 0 ? 8 : static_cast<std::size_t>(std::countr_zero(m)) / 8;
}

// The value of eight ASCII digits in a word, the first byte most significant.
inline std::uint64_t eight_digits(std::uint64_t v) noexcept {
    v -= ascii_zeros;
    v = v * 10 + (v >> 8);
    return (((v & 0x000000FF000000FF) * (100 + (1000000ULL << 32))) +
            (((v >> 16) & 0x000000FF000000FF) * (1 + (10000ULL << 32)))) >>
           32;
}

// The value of the n (1 to 8) digits at p: shifted up so that they end the
// word, with '0's before them.
inline std::uint64_t leading_digits(char const* p, std::size_t n) noexcept {
    if (n == 8) return eight_digits(load8(p));
    return eight_digits((load8(p) << (64 - 8 * n)) | (ascii_zeros >> (8 * n)));
}

// The value of the n (1 to 18) digits at p.
inline std::uint64_t digits_value(char const* p, std::size_t n) noexcept {
    if (n <= 8) return leading_digits(p, n);
    if (n <= 16) return leading_digits(p, n - 8) * 100000000 + eight_digits(load8(p + n - 8));
    return (leading_digits(p, n - 16) * 100000000 + eight_digits(load8(p + n - 16))) * 100000000 +
           eight_digits(load8(p + n - 8));
}

// The length of the JSON integer at p if it has 1 to 18 digits, no sign and
// no leading zero and is followed, before `end`, by ',' or '}' (what
// simdjson's get_int64() accepts there, with the same value, put in
// `value`); else 0.
inline std::size_t plain_integer(char const* p, char const* end, std::int64_t& value) noexcept {
    std::size_t n = digit_run(p);
    if (n == 8) n += digit_run(p + 8);
    if (n == 16) n += digit_run(p + 16);
    if (n == 0 || n > 18 || (p[0] == '0' && n > 1)) return 0;
    if (p + n >= end || (p[n] != ',' && p[n] != '}')) return 0;
    value = static_cast<std::int64_t>(digits_value(p, n));
    return n;
}

// A JSON string at `p` (opening quote first, its closing quote known to be
// in the frame) holding plain digits with at most 8 decimals, as Binance
// writes every price ("61837.63000000"): its price in units, exactly as
// core::price::parse() gives it for the same text (at most 10 integral
// digits, so the units fit in 63 bits). Anything else is nullopt.
inline std::optional<std::int64_t> plain_price_units(char const* p) noexcept {
    static_assert(core::price::decimals == 8);
    if (*p++ != '"') return std::nullopt;
    std::size_t n = digit_run(p);
    if (n == 8) n += digit_run(p + 8);
    if (n == 0 || n > 10) return std::nullopt;
    auto const units = static_cast<std::int64_t>(digits_value(p, n)) * core::price::scale;
    p += n;
    if (*p == '"') return units;
    if (*p++ != '.') return std::nullopt;
    std::size_t const f = digit_run(p);
    if (f == 0 || p[f] != '"') return std::nullopt;
    // The f decimals followed by '0's up to eight.
    std::uint64_t const keep = f == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * f)) - 1;
    return units +
           static_cast<std::int64_t>(eight_digits((load8(p) & keep) | (ascii_zeros & ~keep)));
}

// The shape of every trade Binance streams, read in place without simdjson:
//   {"stream":"<name>","data":{"<key>":<value>,...}}
// with no whitespace, keys and string values of printable ASCII without
// quote or backslash, and values that are such strings, integers of 1 to 18
// digits without sign or leading zero, true or false; event fields (the
// one-letter keys absorb_event_field() knows) of the type it expects. Such a
// frame is valid JSON that simdjson decodes to exactly these fields (the
// same strings, the same integers), so finish_event() gives the same result
// from either. Any other frame (an unexpected field type, whitespace, an
// escape, a byte outside ASCII, a control reply, a broken frame) returns
// false, and simdjson decides.
//
// Why: stage 1 and On-Demand's walk over a trade's fourteen fields were about
// two thirds of its decoding time, and both do work this shape never needs
// (UTF-8 validation, structural indexing, escape handling).

constexpr std::size_t not_plain = ~std::size_t{0};

// The length of the plain string whose content starts at p (after its
// opening quote), up to its closing quote before `end`; not_plain if a byte
// that is not printable ASCII, or a backslash, comes first. Eight bytes at a
// time: each mask below is exact up to its first marked byte, so the lowest
// marked byte of their union is the first stop.
inline std::size_t plain_string_length(char const* p, char const* end) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    auto const zero_bytes = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
    for (std::size_t i = 0; p + i < end; i += 8) {
        std::uint64_t const v = load8(p + i);
        std::uint64_t const stop = (v & highs) | ((v - 0x20 * ones) & ~v & highs) |
                                   zero_bytes(v ^ ('"' * ones)) | zero_bytes(v ^ ('\\' * ones));
        if (stop == 0) continue;
        std::size_t const k = i + static_cast<std::size_t>(std::countr_zero(stop)) / 8;
        return p + k < end && p[k] == '"' ? k : not_plain;
    }
    return not_plain;
}

// The JSON type absorb_event_field() takes for an event field, by its
// one-letter name; a field of another name may hold anything.
enum class field_kind { other, text, integer };

constexpr field_kind kind_of(char key) noexcept {
    switch (key) {
    case 'e':
    case 's':
    case 'p':
        return field_kind::text;
    case 'a':
    case 't':
    case 'T':
    case 'E':
        return field_kind::integer;
    default:
        return field_kind::other;
    }
}

inline bool read_plain_trade(char const* p, char const* end, event_fields& ev) noexcept {
    auto const skip = [&](std::string_view text) {
        if (static_cast<std::size_t>(end - p) < text.size() ||
            std::memcmp(p, text.data(), text.size()) != 0)
            return false;
        p += text.size();
        return true;
    };
    if (!skip(R"({"stream":")")) return false;
    std::size_t const name = plain_string_length(p, end);
    if (name == not_plain) return false;
    p += name + 1;
    if (!skip(R"(,"data":{)")) return false;
    for (;;) {
        if (!skip("\"")) return false;
        std::size_t const key_length = plain_string_length(p, end);
        if (key_length == not_plain) return false;
        char const key = key_length == 1 ? *p : '\0'; // event fields have one-letter names
        p += key_length + 1;
        if (!skip(":") || p == end) return false;
        field_kind const kind = kind_of(key);
        if (*p == '"') {
            if (kind == field_kind::integer) return false;
            std::size_t const length = plain_string_length(p + 1, end);
            if (length == not_plain) return false;
            std::string_view const text(p + 1, length);
            switch (key) {
            case 'e':
                ev.e = text;
                ev.has_e = true;
                break;
            case 's':
                ev.s = text;
                ev.has_s = true;
                break;
            case 'p':
                if (auto const units = plain_price_units(p)) {
                    ev.p_units = *units;
                    ev.p_plain = true;
                } else {
                    ev.p = text;
                    ev.p_plain = false;
                }
                ev.has_p = true;
                break;
            default:
                break;
            }
            p += length + 2;
        } else if (std::int64_t value; std::size_t const digits = plain_integer(p, end, value)) {
            if (kind == field_kind::text) return false;
            switch (key) {
            case 'a':
                ev.agg_id = value;
                ev.has_a = true;
                break;
            case 't':
                ev.trade_id = value;
                ev.has_t = true;
                break;
            case 'T':
                ev.trade_time = value;
                ev.has_trade_time = true;
                break;
            case 'E':
                ev.event_time = value;
                break;
            default:
                break;
            }
            p += digits;
        } else if (kind != field_kind::other || (!skip("true") && !skip("false"))) {
            return false;
        }
        if (skip(",")) continue;
        if (!skip("}")) return false;
        break;
    }
    return end - p == 1 && *p == '}';
}

} // namespace kryptod::daemon::feed::plain_trade
