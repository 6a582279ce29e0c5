// GET /api/stream: request checks and the hand-over to the hub.
#include "daemon/stream/stream_route.hpp"

#include "daemon/api/list_query.hpp"
#include "daemon/api/responses.hpp"

#include <boost/url/parse.hpp>

#include <variant>

namespace kryptod::daemon::stream {

namespace {

// The coins of `symbols=BTCUSDT,ETHUSDT`, each listed; an error names the
// first that is not.
std::variant<std::vector<core::symbol_id>, std::string> parse_symbols(std::string_view text,
                                                                      live_alerts const& engine) {
    std::vector<core::symbol_id> out;
    while (true) {
        auto const comma = text.find(',');
        auto const item = text.substr(0, comma);
        auto const canonical = core::canonical_symbol(item);
        auto const id = canonical ? engine.book().symbols().find(*canonical) : std::nullopt;
        if (!id || !engine.listed(*id)) {
            std::string why = "is not a listed coin: ";
            why.append(item.substr(0, 32));
            return why;
        }
        if (std::find(out.begin(), out.end(), *id) == out.end()) out.push_back(*id);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

// The request's query: `symbols` only. Fills `r`, or returns the 422.
std::optional<http::response> read_query(http::request const& req, live_alerts const& engine,
                                         stream_request& r) {
    std::vector<http::field_error> errors;
    if (auto parsed = boost::urls::parse_origin_form(req.target())) {
        for (auto const& p : parsed->params()) {
            std::string_view const key = p.key;
            if (key.empty() && !p.has_value) continue;
            if (key != "symbols") {
                errors.push_back({std::string(key.substr(0, 64)), "unknown query parameter"});
                continue;
            }
            auto symbols = parse_symbols(p.value, engine);
            if (auto* bad = std::get_if<std::string>(&symbols))
                errors.push_back({"symbols", *bad});
            else
                r.symbols = std::get<std::vector<core::symbol_id>>(std::move(symbols));
        }
    }
    if (auto const last = req.find("Last-Event-ID"); last != req.end()) {
        auto const id = api::parse_int(last->value());
        if (!id || *id < 0)
            errors.push_back({"Last-Event-ID", "must be a non-negative integer"});
        else
            r.last_event_id = *id;
    }
    if (errors.empty()) return std::nullopt;
    return http::problem(http::status::unprocessable_entity, "invalid stream request", errors,
                         req.version());
}

http::response stream_head(unsigned version) {
    http::response head{http::status::ok, version};
    head.set(http::bhttp::field::content_type, "text/event-stream; charset=utf-8");
    head.set(http::bhttp::field::cache_control, "no-store");
    // Reverse proxies (nginx) pass each event on at once instead of
    // buffering the answer.
    head.set("X-Accel-Buffering", "no");
    head.set(http::bhttp::field::connection, "close");
    return head;
}

} // namespace

void add_stream_route(http::router& r, std::shared_ptr<api::api_context> context,
                      live_alerts& engine, std::shared_ptr<stream_hub> hub) {
    r.add(http::verb::get, "/api/stream",
          [context, &engine, hub](http::incoming in, http::responder respond) {
              auto const version = in.req.version();
              auto const who = api::caller(*context, in, respond);
              if (!who) return;
              stream_request request;
              request.user = who->user.id;
              if (auto bad = read_query(in.req, engine, request)) return respond(std::move(*bad));
              // The token verified just now; its claims bound the stream.
              auto const header = in.req.find(http::bhttp::field::authorization);
              auto const claims = context->auth().codec().verify(api::bearer_token(header->value()),
                                                                 api::now_seconds());
              auto const* c = std::get_if<http::jwt_claims>(&claims);
              if (!c) return respond(api::unauthorized("the access token is not valid", version));
              request.token_issued_at = c->issued_at;
              request.token_expires_at = c->expires_at;
              switch (hub->admit(request.user)) {
              case stream_hub::admission::ok:
                  break;
              case stream_hub::admission::user_limit:
                  return respond(http::problem(http::status::too_many_requests,
                                               "too many open streams for this user", {}, version));
              case stream_hub::admission::server_limit:
                  return respond(http::problem(http::status::service_unavailable,
                                               "too many open streams", {}, version));
              case stream_hub::admission::stopping:
                  return respond(http::problem(http::status::service_unavailable,
                                               "the server is stopping", {}, version));
              }
              if (!in.open_stream)
                  return respond(http::problem(http::status::internal_server_error,
                                               "this connection cannot stream", {}, version));
              auto stream = in.open_stream(stream_head(version), hub->max_queued());
              hub->add(std::move(stream), std::move(request));
          });
}

} // namespace kryptod::daemon::stream
