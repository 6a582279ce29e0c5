// A page of candles as JSON text, without a Boost.JSON document.
#include "daemon/api/candle_json.hpp"

#include "core/rfc3339.hpp"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cstdint>

namespace kryptod::daemon::api {

namespace {

constexpr core::millis ms_per_day = 86'400'000;
// 10000-01-01T00:00:00Z: from here on a year has more than four digits.
constexpr core::millis year_10000 = 253'402'300'800'000;

void put2(char* at, unsigned v) {
    at[0] = static_cast<char>('0' + v / 10);
    at[1] = static_cast<char>('0' + v % 10);
}

void append_number(std::string& out, std::int64_t v) {
    std::array<char, 24> buf{};
    auto const end = std::to_chars(buf.data(), buf.data() + buf.size(), v).ptr;
    out.append(buf.data(), end);
}

// The times of one page: a page lies within few days (minutes) or walks
// through consecutive days (daily candles), so the date part ("YYYY-MM-DDT")
// is formatted once per day by core::format_rfc3339 and the time of day
// here.
class time_writer {
public:
    void append(std::string& out, core::millis t) {
        if (t < 0 || t >= year_10000) {
            out += core::format_rfc3339(t);
            return;
        }
        core::millis const day = t / ms_per_day * ms_per_day;
        if (day != day_) {
            day_ = day;
            date_ = core::format_rfc3339(day).substr(0, 11); // "YYYY-MM-DDT"
        }
        out += date_;
        auto const rest = static_cast<unsigned>(t - day);
        std::array<char, 13> buf{};
        put2(&buf[0], rest / 3'600'000);
        buf[2] = ':';
        put2(&buf[3], rest / 60'000 % 60);
        buf[5] = ':';
        put2(&buf[6], rest / 1000 % 60);
        std::size_t n = 8;
        if (unsigned const ms = rest % 1000; ms != 0) {
            buf[8] = '.';
            buf[9] = static_cast<char>('0' + ms / 100);
            put2(&buf[10], ms % 100);
            n = 12;
        }
        buf[n++] = 'Z';
        out.append(buf.data(), n);
    }

private:
    core::millis day_ = -1;
    std::string date_;
};

void append_quoted_symbol(std::string& out, std::string_view s) {
    for (char ch : s)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == '"' || ch == '\\') {
            out += boost::json::serialize(boost::json::string_view(s.data(), s.size()));
            return;
        }
    out += '"';
    out += s;
    out += '"';
}

} // namespace

void append_rfc3339(std::string& out, core::millis t) {
    time_writer().append(out, t);
}

void append_price(std::string& out, core::price p) {
    std::int64_t const units = p.units();
    // Unsigned, so that the most negative value prints as to_string does.
    bool const negative = units < 0;
    std::uint64_t const magnitude =
        negative ? ~static_cast<std::uint64_t>(units) + 1 : static_cast<std::uint64_t>(units);
    constexpr auto scale = static_cast<std::uint64_t>(core::price::scale);
    std::array<char, 32> buf{};
    char* at = buf.data();
    if (negative) *at++ = '-';
    at = std::to_chars(at, buf.data() + buf.size(), magnitude / scale).ptr;
    if (std::uint64_t fraction = magnitude % scale; fraction != 0) {
        int length = core::price::decimals;
        while (fraction % 10 == 0) {
            fraction /= 10;
            --length;
        }
        *at++ = '.';
        for (int d = length - 1; d >= 0; --d) {
            at[d] = static_cast<char>('0' + fraction % 10);
            fraction /= 10;
        }
        at += length;
    }
    out.append(buf.data(), at);
}

std::string candle_page_text(std::string_view symbol,
                             storage::page<storage::candle_store::candle> const& p,
                             storage::page_request const& req) {
    std::string quoted;
    append_quoted_symbol(quoted, symbol);
    std::string out;
    // An item is some 150 bytes: one allocation for the page.
    out.reserve(64 + p.items.size() * (quoted.size() + 140));
    out += "{\"items\":[";
    time_writer times;
    bool first = true;
    for (auto const& c : p.items) {
        out += first ? "{\"symbol\":" : ",{\"symbol\":";
        first = false;
        out += quoted;
        out += ",\"time\":\"";
        times.append(out, c.time);
        out += "\",\"price\":\"";
        append_price(out, c.close);
        out += "\",\"open\":\"";
        append_price(out, c.open);
        out += "\",\"high\":\"";
        append_price(out, c.high);
        out += "\",\"low\":\"";
        append_price(out, c.low);
        out += "\"}";
    }
    out += "],\"total\":";
    append_number(out, p.total);
    out += ",\"limit\":";
    append_number(out, req.limit);
    out += ",\"offset\":";
    append_number(out, req.offset);
    out += '}';
    return out;
}

} // namespace kryptod::daemon::api
