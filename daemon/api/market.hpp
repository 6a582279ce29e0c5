// The market routes of SPEC §3: the listed coins with their last price and
// 24 h change, the price history as candles of an interval (one minute by
// default), and the admin's coin list. The 24 h change is
// core::percent_change(), exact; GET /api/coins answers with the same bytes
// while no coin's last trade has moved and the minute of its 24 h base is
// the same.
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
#include "storage/sample_store.hpp"

#include <functional>
#include <memory>
#include <optional>

namespace kryptod::daemon::api {

struct market_api_settings {
    // Called on the io_context thread after the coin list changed (the feed
    // follows it). May be empty.
    std::function<void()> on_coins_changed;
    // The coin's minute still open in memory (trade_recorder::open_minute),
    // called on the io_context thread; makes the newest candle of
    // GET /api/prices live. May be empty.
    std::function<std::optional<storage::sample_store::sample>(core::symbol_id)> open_minute;
};

// Adds GET /api/coins, POST /api/coins, DELETE /api/coins/{symbol} and
// GET /api/prices.
void add_market_routes(http::router& r, std::shared_ptr<api_context> const& context,
                       live_alerts& engine, market_api_settings settings);

} // namespace kryptod::daemon::api
