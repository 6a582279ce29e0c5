// feed_health: /readyz text and /metrics families of the feed.
#include "daemon/feed/feed_health.hpp"

#include <algorithm>

namespace kryptod::daemon::feed {

namespace {

long long whole_seconds(std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

} // namespace

std::optional<std::string> not_ready_reason(feed_status const& st,
                                            std::chrono::milliseconds backfill_hold) {
    if (!st.up)
        return "feed down: " + std::to_string(st.connected) + " of " +
               std::to_string(st.connections) + " connections up" +
               (st.last_error.empty() ? "" : " (" + st.last_error + ")");
    // A catch-up shorter than the hold is the normal after-reconnect
    // request: only one that outlived it is worth an operator's attention.
    std::vector<catch_up_state const*> late;
    for (auto const& c : st.catch_ups)
        if (c.released || c.age >= backfill_hold) late.push_back(&c);
    if (late.empty()) return std::nullopt;
    auto const oldest = *std::max_element(
        late.begin(), late.end(), [](auto const* a, auto const* b) { return a->age < b->age; });
    std::string reason = oldest->symbol + " catching up for " +
                         std::to_string(whole_seconds(oldest->age)) + " s: trades from id " +
                         std::to_string(oldest->from_id) + " not yet replayed";
    if (late.size() > 1) reason += " (and " + std::to_string(late.size() - 1) + " more coins)";
    if (!st.backfill_error.empty()) reason += "; REST: " + st.backfill_error;
    return reason;
}

std::vector<metric_family> metric_families(market_feed const& feed) {
    auto const& f = feed.metrics();
    auto const st = feed.status();
    auto const& rest = feed.rest();
    auto count = [](char const* name, char const* help, std::uint64_t v) {
        return metric_family{name, help, "counter", {{"", static_cast<double>(v)}}};
    };
    auto gauge = [](char const* name, char const* help, double v) {
        return metric_family{name, help, "gauge", {{"", v}}};
    };
    metric_family catching_up{
        "kryptod_feed_catching_up", "1 while a coin replays a gap in its trades", "gauge", {}};
    metric_family catching_up_for{"kryptod_feed_catching_up_seconds",
                                  "seconds since a coin's current catch-up began (0: none)",
                                  "gauge",
                                  {}};
    for (auto const& symbol : st.followed) {
        auto const it = std::find_if(st.catch_ups.begin(), st.catch_ups.end(),
                                     [&](auto const& c) { return c.symbol == symbol; });
        auto const label = "symbol=\"" + escape_label(symbol) + "\"";
        catching_up.samples.push_back({label, it != st.catch_ups.end() ? 1.0 : 0.0});
        catching_up_for.samples.push_back(
            {label,
             it != st.catch_ups.end() ? std::chrono::duration<double>(it->age).count() : 0.0});
    }
    return {
        count("kryptod_feed_frames_total", "websocket frames received", f.frames),
        count("kryptod_feed_bytes_total", "websocket bytes received", f.bytes),
        count("kryptod_feed_trades_total", "trade frames received", f.trades),
        count("kryptod_feed_decode_errors_total", "frames dropped as malformed or unexpected",
              f.decode_errors),
        count("kryptod_feed_binary_frames_total", "binary frames dropped (not Binance's protocol)",
              f.binary_frames),
        count("kryptod_feed_error_replies_total", "requests the exchange answered with an error",
              f.error_replies),
        count("kryptod_feed_duplicates_total", "trades dropped as already delivered", f.duplicates),
        count("kryptod_feed_reconnects_total", "feed connections re-established", f.reconnects),
        count("kryptod_feed_rolls_total", "connections replaced, the new one first", f.rolls),
        count("kryptod_feed_connection_attempts_limited_total",
              "connection attempts delayed by the exchange's connection-rate limit",
              f.limited_attempts),
        count("kryptod_feed_gaps_total", "gaps in the trade ids detected", f.gaps),
        count("kryptod_feed_backfilled_trades_total", "trades replayed from the REST API",
              f.backfilled_trades),
        count("kryptod_feed_backfilled_ranges_total",
              "1-minute klines replayed for gaps past feed.backfill_max", f.backfilled_ranges),
        count("kryptod_feed_backfill_failures_total",
              "gap replays given up (the exchange refused them for good)", f.backfill_failures),
        count("kryptod_feed_backfill_releases_total",
              "catch-ups whose live trades stopped waiting after feed.backfill_hold", f.released),
        count("kryptod_feed_dropped_live_total",
              "live trades dropped from a full hold buffer (the replay covers them)",
              f.dropped_live),
        count("kryptod_feed_rest_requests_total", "REST requests the exchange answered",
              rest.requests()),
        count("kryptod_feed_rest_retries_total",
              "REST requests retried after a failure, 429 or 418", rest.retries()),
        gauge("kryptod_feed_rest_used_weight", "the exchange's last X-MBX-USED-WEIGHT-1M",
              static_cast<double>(rest.used_weight())),
        gauge("kryptod_feed_lag_milliseconds",
              "receive time minus exchange time of the last trade (may be negative)",
              static_cast<double>(f.last_lag_ms)),
        gauge("kryptod_feed_up", "1 when every feed connection is open and subscribed",
              st.up ? 1 : 0),
        std::move(catching_up),
        std::move(catching_up_for),
    };
}

} // namespace kryptod::daemon::feed
