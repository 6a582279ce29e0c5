// The alert and market endpoints of SPEC §2–3: alerts CRUD with status and
// symbol filters and pagination, each alert's event history, the coin list
// with last prices, the stored price history, and the admin coin list.
//
// Invariants kept by the handlers:
// - a create or change is answered only after its write committed, and takes
//   effect in the in-memory index in the same io_context turn, so a tick
//   right after the answer sees it;
// - another user's alert is answered exactly like a missing one (404);
// - fields a client must not set (id, owner, status on create, counters,
//   times) are refused as unknown fields (422 naming them);
// - the per-user limit of active alerts is checked inside the write that
//   creates or re-arms, so concurrent requests cannot pass it together.
//
// Thread-safety: handlers start on the io_context thread (which owns the
// engine); reads run on the worker pool, writes on the storage writer.
#pragma once

#include "daemon/live_alerts.hpp"
#include "daemon/api/account_services.hpp"
#include "http/router.hpp"

#include <memory>

namespace kryptod::daemon::api {

struct alert_api_settings {
    std::size_t max_active_per_user = 1000;
    // Called on the io_context thread after the coin list changed (the feed
    // follows it). May be empty.
    std::function<void()> on_coins_changed;
};

// Adds /api/alerts (and the original paths /api/alerts/create/ and
// /api/alerts/delete/{id}/), /api/alerts/{id}, /api/alerts/{id}/events,
// GET /api/coins, POST /api/coins, DELETE /api/coins/{symbol} and
// GET /api/prices.
void add_alert_routes(http::router& r, std::shared_ptr<account_services> const& services,
                      live_alerts& engine, alert_api_settings settings);

} // namespace kryptod::daemon::api
