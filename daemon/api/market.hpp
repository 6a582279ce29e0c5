// The market routes of SPEC §2: the listed coins with their last price and
// 24 h change, the stored one-minute price history, and the admin's coin
// list. The 24 h change is core::percent_change(), exact.
//
// Invariants: a coin is listed or removed only after its write committed,
// and the engine (and through on_coins_changed, the feed) follows in the
// same io_context turn; a coin with active alerts is not removed (409).
//
// Thread-safety: handlers start on the io_context thread (which owns the
// engine); reads run on the worker pool, writes on the storage writer.
#pragma once

#include "daemon/api/api_context.hpp"
#include "daemon/live_alerts.hpp"
#include "http/router.hpp"

#include <functional>
#include <memory>

namespace kryptod::daemon::api {

struct market_api_settings {
    // Called on the io_context thread after the coin list changed (the feed
    // follows it). May be empty.
    std::function<void()> on_coins_changed;
};

// Adds GET /api/coins, POST /api/coins, DELETE /api/coins/{symbol} and
// GET /api/prices.
void add_market_routes(http::router& r, std::shared_ptr<api_context> const& context,
                       live_alerts& engine, market_api_settings settings);

} // namespace kryptod::daemon::api
