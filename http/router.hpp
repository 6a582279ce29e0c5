// Routing by method and path, with `{name}` path parameters.
//
// Routes are matched segment by segment; a trailing slash is ignored (every
// path also answers with one, as the original services' paths do). A path no
// route matches is 404; a path some route matches with another method is 405
// with `Allow` naming the methods that would work, unless a fallback handler
// is set: then the fallback answers every path no route matches (the web
// app's files). The router is itself a handler, so a session only ever knows
// "the handler".
//
// Thread-safety: routes are added before serving starts; after that the
// router is only read and may be called from any thread.
#pragma once

#include "http/message.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::http {

class event_stream;

// A request as a handler receives it.
struct incoming {
    request req;
    // The client's IP address, for rate limits and logs: the peer's, or when
    // the peer is a trusted proxy, the client its forwarding headers name
    // (see trusted_proxies.hpp).
    std::string client_address;
    path_params params;       // filled by the router
    std::string_view route;   // the matched route's pattern, e.g. "/api/alerts/{id}"
    std::string peer_address; // the trusted proxy the request came through; empty if none
    // Answers with a stream instead (event_stream.hpp): the session sends
    // `head` (which should say `Connection: close` and carry no length) and
    // hands its connection over to the stream returned, which the caller
    // start()s. May be called only while the handler runs, on the
    // io_context's thread, and then instead of the responder. Empty where
    // the request did not come through a session (handler tests).
    std::function<std::shared_ptr<event_stream>(response head, std::size_t max_queued)> open_stream;
};

using handler = std::function<void(incoming, responder)>;

// The path of a request target: everything before `?`, with one trailing
// slash removed (but "/" stays "/").
std::string_view target_path(std::string_view target);

class router {
public:
    // Adds a route. `pattern` is a path like "/api/alerts/{id}/events".
    void add(verb method, std::string_view pattern, handler h);

    // Dispatches to the matching route, or answers 404 / 405.
    void operator()(incoming in, responder respond) const;

    // Called with every answer's route pattern ("" when no route matched),
    // method and status, for request metrics. Set before serving starts; it
    // runs on the thread that completes the responder. The router must
    // outlive every request it dispatched (route patterns are not copied).
    using observer = std::function<void(std::string_view route, verb method, unsigned status)>;
    void observe(observer o) { observer_ = std::move(o); }

    // Answers the requests whose path no route matches, instead of the 404.
    // Its answers are observed with the route pattern "*".
    void fallback(handler h) { fallback_ = std::move(h); }

    // Every (method, pattern) pair, in the order added (for the OpenAPI check).
    std::vector<std::pair<verb, std::string>> routes() const;

private:
    struct route {
        verb method;
        std::string pattern;
        std::vector<std::string> segments; // "{...}" marks a parameter
        handler h;
    };
    responder observed(responder respond, std::string_view route, verb method) const;

    std::vector<route> routes_;
    observer observer_;
    handler fallback_;
};

} // namespace kryptod::http
