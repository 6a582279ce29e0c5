// RFC 3339 formatting and parsing with the civil-date algorithms of
// H. Hinnant ("chrono-compatible low-level date algorithms"), which are exact
// for the proleptic Gregorian calendar.
#include "core/rfc3339.hpp"

#include <cstdint>

namespace kryptod::core {
namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    std::int64_t const era = (y >= 0 ? y : y - 399) / 400;
    auto const yoe = static_cast<unsigned>(y - era * 400);
    unsigned const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
    std::int64_t y;
    unsigned m;
    unsigned d;
};

constexpr civil civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    std::int64_t const era = (z >= 0 ? z : z - 146096) / 146097;
    auto const doe = static_cast<unsigned>(z - era * 146097);
    unsigned const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t const y = static_cast<std::int64_t>(yoe) + era * 400;
    unsigned const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned const mp = (5 * doy + 2) / 153;
    unsigned const d = doy - (153 * mp + 2) / 5 + 1;
    unsigned const m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2), m, d};
}

constexpr bool leap(std::int64_t y) noexcept {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) noexcept {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<unsigned>(c - '0');
    }
    return true;
}

void put(std::string& out, unsigned v, int width) {
    char buf[8];
    for (int i = width - 1; i >= 0; --i) {
        buf[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    out.append(buf, static_cast<std::size_t>(width));
}

bool valid_date(unsigned y, unsigned m, unsigned d) noexcept {
    return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

} // namespace

std::string format_rfc3339(millis t) {
    std::int64_t days = t >= 0 ? t / ms_per_day : -((-t + ms_per_day - 1) / ms_per_day);
    std::int64_t rest = t - days * ms_per_day;
    auto const date = civil_from_days(days);
    std::string out;
    out.reserve(24);
    put(out, static_cast<unsigned>(date.y), 4);
    out += '-';
    put(out, date.m, 2);
    out += '-';
    put(out, date.d, 2);
    out += 'T';
    put(out, static_cast<unsigned>(rest / 3'600'000), 2);
    out += ':';
    put(out, static_cast<unsigned>(rest / 60'000 % 60), 2);
    out += ':';
    put(out, static_cast<unsigned>(rest / 1000 % 60), 2);
    if (rest % 1000 != 0) {
        out += '.';
        put(out, static_cast<unsigned>(rest % 1000), 3);
    }
    out += 'Z';
    return out;
}

std::optional<millis> parse_rfc3339(std::string_view s) noexcept {
    unsigned y, mo, d, h, mi, sec;
    if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, sec))
        return std::nullopt;
    if (!valid_date(y, mo, d) || h > 23 || mi > 59 || sec > 59) return std::nullopt;
    std::size_t pos = 19;
    std::int64_t ms = 0;
    if (s[pos] == '.') {
        ++pos;
        std::size_t const start = pos;
        int scale = 100;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            ms += (s[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
    }
    std::int64_t offset_ms = 0;
    if (pos >= s.size()) return std::nullopt;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        unsigned oh, om;
        if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset_ms = (static_cast<std::int64_t>(oh) * 60 + om) * 60'000;
        if (s[pos] == '-') offset_ms = -offset_ms;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    std::int64_t const days = days_from_civil(y, mo, d);
    return days * ms_per_day + (static_cast<std::int64_t>(h) * 3600 + mi * 60 + sec) * 1000 + ms -
           offset_ms;
}

std::optional<millis> parse_date(std::string_view s) noexcept {
    unsigned y, m, d;
    if (s.size() != 10) return std::nullopt;
    if (s[4] == '-' && s[7] == '-') {
        if (!digits(s, 0, 4, y) || !digits(s, 5, 2, m) || !digits(s, 8, 2, d)) return std::nullopt;
    } else if (s[2] == '-' && s[5] == '-') {
        if (!digits(s, 0, 2, d) || !digits(s, 3, 2, m) || !digits(s, 6, 4, y)) return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (!valid_date(y, m, d)) return std::nullopt;
    return days_from_civil(y, m, d) * ms_per_day;
}

} // namespace kryptod::core
