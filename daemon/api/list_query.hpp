// The query of a list endpoint (GET /api/alerts, /api/alerts/{id}/events,
// /api/prices): its filters, and the paging every list takes (`limit` 1 to
// 1000, default 10; `offset` 0 or more, default 0), and the page of JSON
// the list answers with ({"items", "total", "limit", "offset"}).
//
// Invariant: a parameter the endpoint does not take is an error naming it,
// like a bad value, so that a misspelt filter (`?stauts=active`) is a 422
// rather than an unfiltered list.
//
// Thread-safety: values and stateless functions.
#pragma once

#include "http/message.hpp"
#include "storage/page.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::daemon::api {

class list_query {
public:
    // Reads the query of `req`: `limit`, `offset` and the names in `filters`
    // are taken; any other name is an error.
    list_query(http::request const& req, std::initializer_list<std::string_view> filters);

    // The value of the filter `name` (one of `filters`), if given.
    std::optional<std::string_view> get(std::string_view name) const;

    storage::page_request const& paging() const noexcept { return paging_; }

    // Notes a bad value of `name`.
    void refuse(std::string name, std::string message);

    // The 422 answer naming every bad parameter, if there is any.
    std::optional<http::response> problem(unsigned version) const;

private:
    std::map<std::string, std::string, std::less<>> values_;
    storage::page_request paging_;
    std::vector<http::field_error> errors_;
};

// A decimal integer with nothing around it, or std::nullopt.
std::optional<std::int64_t> parse_int(std::string_view text);

// The page as JSON, each item turned into JSON by `item`.
template <class T, class F>
boost::json::object page_json(storage::page<T> const& p, storage::page_request const& req,
                              F&& item) {
    boost::json::array items;
    for (auto const& x : p.items)
        items.push_back(item(x));
    return {{"items", std::move(items)},
            {"total", p.total},
            {"limit", req.limit},
            {"offset", req.offset}};
}

} // namespace kryptod::daemon::api
