// Reading a list endpoint's query parameters.
#include "daemon/api/list_query.hpp"

#include "core/utf8.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>

namespace kryptod::daemon::api {

namespace {

constexpr std::int64_t max_limit = 1000;

// A parameter name as an error may quote it: the name itself when it is
// UTF-8 text (as every JSON string must be), else with its bytes from 0x80
// up written as %XX.
std::string quotable(std::string_view name) {
    if (core::utf8_length(name)) return std::string(name);
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : name) {
        auto const b = static_cast<unsigned char>(ch);
        if (b < 0x80) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[b >> 4]);
            out.push_back(hex[b & 15]);
        }
    }
    return out;
}

} // namespace

std::optional<std::int64_t> parse_int(std::string_view text) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

list_query::list_query(http::request const& req, std::initializer_list<std::string_view> filters) {
    if (auto parsed = boost::urls::parse_origin_form(req.target())) {
        for (auto const& p : parsed->params()) {
            std::string_view const key = p.key;
            // "?a=1&" leaves an empty, valueless last parameter: no name to refuse.
            if (key.empty() && !p.has_value) continue;
            bool const taken = key == "limit" || key == "offset" ||
                               std::find(filters.begin(), filters.end(), key) != filters.end();
            if (taken)
                values_.emplace(std::string(key), std::string(p.value));
            else
                errors_.push_back({quotable(key), "unknown query parameter"});
        }
    }
    if (auto limit = get("limit")) {
        auto v = parse_int(*limit);
        if (!v || *v < 1 || *v > max_limit)
            refuse("limit", "must be an integer from 1 to 1000");
        else
            paging_.limit = *v;
    }
    if (auto offset = get("offset")) {
        auto v = parse_int(*offset);
        if (!v || *v < 0)
            refuse("offset", "must be an integer of 0 or more");
        else
            paging_.offset = *v;
    }
}

std::optional<std::string_view> list_query::get(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return std::string_view(it->second);
}

void list_query::refuse(std::string name, std::string message) {
    errors_.push_back({std::move(name), std::move(message)});
}

std::optional<http::response> list_query::problem(unsigned version) const {
    if (errors_.empty()) return std::nullopt;
    return http::problem(http::status::unprocessable_entity, "bad query", errors_, version);
}

} // namespace kryptod::daemon::api
