// HTTP messages as kryptod's handlers see them, and the builders for the
// answers every handler shares: JSON bodies and RFC 9457 problem details.
//
// A handler never writes to a socket: it receives a `request` and completes a
// `responder` exactly once with the `response` to send.
#pragma once

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::http {

namespace bhttp = boost::beast::http;

using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;
using status = bhttp::status;
using verb = bhttp::verb;

// Completes a request. Called exactly once, on any thread: the session posts
// the write back to its own strand.
using responder = std::function<void(response)>;

// Path parameters captured by the router, in the order they appear.
using path_params = std::vector<std::string>;

// One invalid field of a request, for the `errors` member of a 422 problem.
struct field_error {
    std::string field;
    std::string message;
};

// A response with a JSON body (`application/json`).
response json_response(status s, boost::json::value const& body, unsigned version = 11);

// A response whose body is `json`, text already serialised as JSON
// (`application/json`); for answers kept serialised between requests.
response json_text_response(status s, std::string json, unsigned version = 11);

// An RFC 9457 problem (`application/problem+json`) with `type`, `title`,
// `status`, `detail` and, when `errors` is not empty, `errors`.
response problem(status s, std::string_view detail, std::vector<field_error> const& errors = {},
                 unsigned version = 11);

// A response with no body (204 and the like).
response empty_response(status s, unsigned version = 11);

} // namespace kryptod::http
