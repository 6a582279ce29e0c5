// daemon/api: the REST API of SPEC §2–3, one route table per resource, all
// sharing one api_context that the service builds:
//   alerts.cpp      the alert routes (this header): CRUD and event history
//   alert_body.cpp  create and PATCH bodies, parsed with http::parse_body
//   alert_json.cpp  the one serialiser of an alert, for answers and pages
//   alert_transfer.cpp, alert_columns.cpp  import and export (JSON, CSV)
//   market.cpp      coins with last price and 24 h change, price history
//   accounts.cpp, users.cpp  registration, login, tokens, admin users
//   api_context, responses, list_query, account_rules  what handlers share
//
// Invariants kept by every handler:
// - a handler parses and checks on the io_context thread, reads on the
//   worker pool, writes through the storage writer, and ends in exactly one
//   call of its responder;
// - a change is answered only after its write committed, and takes effect in
//   the in-memory index in the same io_context turn, so a tick right after
//   the answer sees it;
// - another user's alert is answered exactly like a missing one (404);
// - a body field or query parameter the request does not take is refused,
//   named (422), never ignored: that covers fields a client must not set
//   (id, owner, status on create, counters, times) and repeated JSON keys;
// - the per-user limit of active alerts is checked inside the write that
//   creates or re-arms, so concurrent requests cannot pass it together;
// - GET /api/alerts is answered from the alert page cache whenever the
//   user's alerts did not change since the page was read (alert_page_cache).
//
// Thread-safety: handlers start on the io_context thread (which owns the
// engine); reads run on the worker pool, writes on the storage writer.
#pragma once

#include "daemon/api/api_context.hpp"
#include "daemon/live_alerts.hpp"
#include "http/router.hpp"

#include <memory>

namespace kryptod::daemon::api {

// alerts.max_active_per_user, filled by daemon/options.cpp.
struct alert_api_settings {
    std::size_t max_active_per_user = 0;
};

// Adds /api/alerts (and the original paths /api/alerts/create/ and
// /api/alerts/delete/{id}/), /api/alerts/export, /api/alerts/import,
// /api/alerts/{id} and /api/alerts/{id}/events.
void add_alert_routes(http::router& r, std::shared_ptr<api_context> const& context,
                      live_alerts& engine, alert_api_settings settings);

} // namespace kryptod::daemon::api
