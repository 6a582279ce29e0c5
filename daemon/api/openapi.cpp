// Serving and checking the embedded OpenAPI document.
#include "daemon/api/openapi.hpp"

#include "daemon/log.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace kryptod::daemon::api {

namespace detail {
// Defined by the source generated from openapi.json (daemon/CMakeLists.txt).
extern char const openapi_text[];
extern std::size_t const openapi_size;
} // namespace detail

namespace json = boost::json;

namespace {

// The HTTP methods an OpenAPI path item may hold, as its member names.
constexpr std::pair<std::string_view, http::verb> path_item_methods[] = {
    {"get", http::verb::get},        {"put", http::verb::put},         {"post", http::verb::post},
    {"delete", http::verb::delete_}, {"options", http::verb::options}, {"head", http::verb::head},
    {"patch", http::verb::patch},    {"trace", http::verb::trace},
};

json::object parse_document() {
    boost::system::error_code ec;
    auto value = json::parse(std::string_view(detail::openapi_text, detail::openapi_size), ec);
    if (ec) throw std::logic_error("the embedded OpenAPI document is not JSON: " + ec.message());
    auto* doc = value.if_object();
    if (!doc || !doc->contains("openapi") || !doc->if_contains("paths") ||
        !doc->at("paths").is_object())
        throw std::logic_error("the embedded OpenAPI document has no `openapi` and `paths`");
    // The file cannot know the version it is built into.
    if (auto* info = doc->if_contains("info"); info && info->is_object())
        info->as_object()["version"] = KRYPTOD_VERSION;
    return std::move(*doc);
}

std::string describe(http::verb method, std::string_view path) {
    return std::string(http::bhttp::to_string(method)) + " " + std::string(path);
}

} // namespace

json::object const& openapi_document() {
    static json::object const doc = parse_document();
    return doc;
}

std::vector<std::pair<http::verb, std::string>> openapi_operations() {
    std::vector<std::pair<http::verb, std::string>> out;
    for (auto const& [path, item] : openapi_document().at("paths").as_object()) {
        if (!item.is_object()) continue;
        for (auto const& [name, method] : path_item_methods)
            if (item.as_object().contains(name)) out.emplace_back(method, std::string(path));
    }
    return out;
}

std::vector<std::string>
openapi_differences(std::vector<std::pair<http::verb, std::string>> const& routes) {
    auto documented = openapi_operations();
    std::vector<std::string> out;
    for (auto const& [method, pattern] : routes)
        if (std::find(documented.begin(), documented.end(), std::pair{method, pattern}) ==
            documented.end())
            out.push_back("route " + describe(method, pattern) + " is not in the OpenAPI document");
    for (auto const& [method, path] : documented)
        if (std::find(routes.begin(), routes.end(), std::pair{method, path}) == routes.end())
            out.push_back("the OpenAPI document describes " + describe(method, path) +
                          ", which no route serves");
    return out;
}

void add_openapi_route(http::router& r) {
    // Serialised once: the answer is the same bytes for every request.
    auto const body = std::make_shared<std::string const>(json::serialize(openapi_document()));
    r.add(http::verb::get, "/api/openapi.json", [body](http::incoming in, http::responder respond) {
        http::response res{http::status::ok, in.req.version()};
        res.set(http::bhttp::field::content_type, "application/json");
        res.body() = *body;
        res.prepare_payload();
        respond(std::move(res));
    });
    for (auto const& difference : openapi_differences(r.routes()))
        log::error(difference);
}

} // namespace kryptod::daemon::api
