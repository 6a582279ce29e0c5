// feed_health: what the feed tells the operator — the reason /readyz gives
// while it cannot do its job, and every figure it keeps as /metrics
// families. Kept next to the feed so that a counter added to feed_metrics
// is exported where it is defined.
//
// Not thread-safe: read the feed on its io_context thread.
#pragma once

#include "daemon/feed/market_feed.hpp"
#include "daemon/metrics.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kryptod::daemon::feed {

// Why the feed is not ready, or nullopt: a connection is down, or a coin has
// been catching up for longer than backfill_hold (its live trades are
// evaluated, but the trades of its gap are not yet). The reason names the
// connections or the coin, how long, and the REST API's last failure.
std::optional<std::string> not_ready_reason(feed_status const& status,
                                            std::chrono::milliseconds backfill_hold);

// Every counter and gauge of the feed and its REST client.
std::vector<metric_family> metric_families(market_feed const& feed);

} // namespace kryptod::daemon::feed
