// Matching request paths against route patterns.
#include "http/router.hpp"

#include <algorithm>

namespace kryptod::http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        auto j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

bool is_param(std::string_view segment) {
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Matches `path` against a route's segments, filling `params` on success.
bool match(std::vector<std::string> const& pattern, std::vector<std::string_view> const& path,
           path_params& params) {
    if (pattern.size() != path.size()) return false;
    params.clear();
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_param(pattern[i]))
            params.emplace_back(path[i]);
        else if (pattern[i] != path[i])
            return false;
    }
    return true;
}

} // namespace

std::string_view target_path(std::string_view target) {
    auto q = target.find('?');
    if (q != std::string_view::npos) target = target.substr(0, q);
    if (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
    return target;
}

void router::add(verb method, std::string_view pattern, handler h) {
    route r{method, std::string(pattern), {}, std::move(h)};
    for (auto s : split(pattern))
        r.segments.emplace_back(s);
    routes_.push_back(std::move(r));
}

void router::operator()(incoming in, responder respond) const {
    auto const path = split(target_path(in.req.target()));
    std::string allow;
    path_params params;
    for (auto const& r : routes_) {
        if (!match(r.segments, path, params)) continue;
        if (r.method == in.req.method()) {
            in.params = std::move(params);
            in.route = r.pattern;
            if (observer_) respond = observed(std::move(respond), r.pattern, r.method);
            r.h(std::move(in), std::move(respond));
            return;
        }
        auto name = bhttp::to_string(r.method);
        if (allow.find(name) == std::string::npos) {
            if (!allow.empty()) allow += ", ";
            allow += name;
        }
    }
    auto const version = in.req.version();
    if (allow.empty() && fallback_) {
        if (observer_) respond = observed(std::move(respond), "*", in.req.method());
        fallback_(std::move(in), std::move(respond));
        return;
    }
    if (observer_) respond = observed(std::move(respond), "", in.req.method());
    if (allow.empty()) {
        respond(problem(status::not_found, "no such resource", {}, version));
        return;
    }
    auto res = problem(status::method_not_allowed,
                       std::string(in.req.method_string()) + " is not allowed here", {}, version);
    res.set(bhttp::field::allow, allow);
    respond(std::move(res));
}

responder router::observed(responder respond, std::string_view route, verb method) const {
    return [respond = std::move(respond), obs = observer_, route, method](response res) {
        obs(route, method, res.result_int());
        respond(std::move(res));
    };
}

std::vector<std::pair<verb, std::string>> router::routes() const {
    std::vector<std::pair<verb, std::string>> out;
    for (auto const& r : routes_)
        out.emplace_back(r.method, r.pattern);
    return out;
}

} // namespace kryptod::http
