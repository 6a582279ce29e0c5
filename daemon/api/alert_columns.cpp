// The column table of alert import and export. A field that becomes
// writable on create is one row here (and a field of the create parser).
#include "daemon/api/alert_columns.hpp"

#include "core/rfc3339.hpp"
#include "core/utf8.hpp"

#include <array>
#include <charconv>

namespace kryptod::daemon::api {

namespace json = boost::json;

namespace {

std::string channels_cell(core::channel set) {
    std::string out;
    for (auto ch : core::all_channels) {
        if (!core::has(set, ch)) continue;
        if (!out.empty()) out += ',';
        out += core::to_string(ch);
    }
    return out;
}

constexpr std::array<alert_column, 11> columns{{
    {"symbol", cell_type::text,
     [](core::alert const&, std::string_view symbol) { return std::string(symbol); }},
    {"kind", cell_type::text,
     [](core::alert const& a, std::string_view) { return std::string(core::to_string(a.kind)); }},
    {"target_price", cell_type::text,
     [](core::alert const& a, std::string_view) {
         return a.kind == core::alert_kind::price ? a.target.to_string() : std::string();
     }},
    // A price alert's above or below, a move alert's up or down.
    {"direction", cell_type::text,
     [](core::alert const& a, std::string_view) {
         return std::string(a.kind == core::alert_kind::price ? core::to_string(a.side)
                                                              : core::to_string(a.move_side));
     }},
    {"percent", cell_type::text,
     [](core::alert const& a, std::string_view) {
         return a.kind == core::alert_kind::move ? core::format_move_percent(a.move_percent)
                                                 : std::string();
     }},
    {"window_seconds", cell_type::integer,
     [](core::alert const& a, std::string_view) {
         return a.kind == core::alert_kind::move ? std::to_string(a.window_seconds) : std::string();
     }},
    {"name", cell_type::text, [](core::alert const& a, std::string_view) { return a.name; }},
    {"repeat", cell_type::text,
     [](core::alert const& a, std::string_view) { return std::string(core::to_string(a.repeat)); }},
    {"cooldown_seconds", cell_type::integer,
     [](core::alert const& a, std::string_view) { return std::to_string(a.cooldown_seconds); }},
    {"expires_at", cell_type::text,
     [](core::alert const& a, std::string_view) {
         return a.expires_at ? core::format_rfc3339(*a.expires_at) : std::string();
     }},
    {"channels", cell_type::list,
     [](core::alert const& a, std::string_view) { return channels_cell(a.channels); }},
}};

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

json::value cell_value(std::string_view text, cell_type type) {
    switch (type) {
    case cell_type::integer: {
        auto const t = trimmed(text);
        std::int64_t v = 0;
        auto const [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec == std::errc() && end == t.data() + t.size()) return v;
        return json::string(text);
    }
    case cell_type::list: {
        json::array words;
        std::size_t start = 0;
        for (;;) {
            auto const comma = text.find(',', start);
            words.emplace_back(json::string(trimmed(text.substr(start, comma - start))));
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        return words;
    }
    case cell_type::text:
        break;
    }
    return json::string(text);
}

} // namespace

std::span<alert_column const> alert_columns() {
    return columns;
}

std::vector<std::string> alert_header() {
    std::vector<std::string> out;
    out.reserve(columns.size());
    for (auto const& c : columns)
        out.emplace_back(c.name);
    return out;
}

std::vector<std::string> alert_cells(core::alert const& a, std::string_view symbol) {
    std::vector<std::string> out;
    out.reserve(columns.size());
    for (auto const& c : columns)
        out.push_back(c.cell(a, symbol));
    return out;
}

json::object alert_item(core::alert const& a, std::string_view symbol) {
    json::object out;
    for (auto const& c : columns)
        if (auto text = c.cell(a, symbol); !text.empty()) out[c.name] = cell_value(text, c.type);
    return out;
}

std::vector<alert_column const*> header_columns(std::vector<std::string> const& header,
                                                std::vector<http::field_error>& errors) {
    std::vector<alert_column const*> out;
    for (auto const& name : header) {
        auto const* found = static_cast<alert_column const*>(nullptr);
        for (auto const& c : columns)
            if (c.name == trimmed(name)) found = &c;
        if (!found) {
            errors.push_back({"row 1: " + name, "is not a column of an alert"});
        } else {
            for (auto const* seen : out)
                if (seen == found) errors.push_back({"row 1: " + name, "appears more than once"});
        }
        out.push_back(found);
    }
    return out;
}

json::object row_object(std::vector<std::string> const& cells,
                        std::vector<alert_column const*> const& columns_of_row,
                        std::string_view prefix, std::vector<http::field_error>& errors) {
    json::object out;
    for (std::size_t i = 0; i < cells.size() && i < columns_of_row.size(); ++i) {
        auto const* column = columns_of_row[i];
        if (!column || cells[i].empty()) continue;
        if (!core::utf8_length(cells[i])) {
            errors.push_back(
                {std::string(prefix) + std::string(column->name), "must be UTF-8 text"});
            continue;
        }
        out[column->name] = cell_value(cells[i], column->type);
    }
    return out;
}

} // namespace kryptod::daemon::api
