// The OpenAPI 3.1 description of kryptod's HTTP API, served at
// GET /api/openapi.json.
//
// The document lives in the source tree as daemon/api/openapi.json and is
// embedded into the binary at build time (daemon/api/openapi.cmake), so the
// daemon serves exactly what was reviewed, with its own version in
// `info.version`.
//
// Invariant: the document describes exactly the router's routes, one
// operation per (method, route pattern), with the router's `{name}` path
// templates written the same way. add_openapi_route() checks this against the
// router it is given and logs every difference, and the test suite fails on
// any.
//
// Thread-safety: the document is parsed on first use (thread-safe static
// initialisation) and only read afterwards.
#pragma once

#include "http/router.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <utility>
#include <vector>

namespace kryptod::daemon::api {

// The parsed document. Throws std::logic_error, naming the JSON error, when
// the embedded text is not a JSON object with `openapi` and `paths` (a
// broken build, caught by the tests before it can reach a user).
boost::json::object const& openapi_document();

// Every (method, path template) pair the document describes, in document
// order, e.g. (verb::get, "/api/alerts/{id}").
std::vector<std::pair<http::verb, std::string>> openapi_operations();

// How `routes` (as http::router::routes() lists them) and the document
// differ: one line per route the document lacks and per operation no route
// serves. Empty when they agree.
std::vector<std::string>
openapi_differences(std::vector<std::pair<http::verb, std::string>> const& routes);

// Adds GET /api/openapi.json (no authentication, `application/json`). Call
// it after every other route is added: it then compares the router with the
// document and logs each difference as an error. Throws as openapi_document().
void add_openapi_route(http::router& r);

} // namespace kryptod::daemon::api
