// feed_sink: what the daemon does with each trade the feed delivers. It
// hands the trade to the alert engine first (the tick path), then keeps the
// two things that must survive a restart without slowing that path down: the
// feed position per coin (the last aggregate-trade id, from which a restart
// backfills) and the one-minute price samples of GET /api/prices. Both are
// written by one writer job per second, not per trade.
//
// Invariants: the position stored for a coin never runs ahead of what the
// engine has evaluated (it is taken after the trade was evaluated) nor of the
// fires it has durably recorded (positions are not written while a fire
// awaits its commit or its retry); a sample
// row is the minute's open/high/low/close of the trades seen, written again
// while the minute is open and once more when it closes.
//
// Thread-safety: every member runs on the io_context thread.
#pragma once

#include "daemon/live_alerts.hpp"
#include "daemon/feed/market_feed.hpp"
#include "storage/sample_store.hpp"
#include "storage/writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <optional>
#include <vector>

namespace kryptod::daemon {

class feed_sink : public feed::trade_sink {
public:
    feed_sink(boost::asio::io_context& ioc, live_alerts& engine, storage::writer& writer,
              std::chrono::milliseconds flush_every = std::chrono::seconds(1));

    void on_trade(core::symbol_id symbol, std::int64_t agg_id, core::price price,
                  core::millis trade_time, bool backfilled) override;
    void on_range(core::symbol_id symbol, core::price low, core::price high, core::millis from,
                  core::millis to) override;

    // Starts the periodic flush; stop() flushes one last time.
    void start();
    void stop();

private:
    struct coin {
        std::int64_t last_id = -1;
        core::millis last_time = 0;
        core::price last_price;
        bool position_dirty = false;
        std::optional<storage::sample_store::sample> bar; // the open minute
        bool bar_dirty = false;
    };

    coin& state(core::symbol_id symbol);
    void do_flush_timer();
    void flush();

    boost::asio::io_context& ioc_;
    live_alerts& engine_;
    storage::writer& writer_;
    std::chrono::milliseconds flush_every_;
    boost::asio::steady_timer timer_;
    std::vector<coin> coins_;                           // by symbol id
    std::vector<storage::sample_store::sample> closed_; // minutes closed since the last flush
    bool stopped_ = false;
};

} // namespace kryptod::daemon
