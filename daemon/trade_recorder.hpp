// trade_recorder: what the daemon does with each trade the feed delivers. It
// hands the trade to the alert engine first (the tick path), then keeps the
// two things that must survive a restart without slowing that path down: the
// feed position per coin (from which a restart backfills) and the one-minute
// price samples of GET /api/prices. Both are written by one writer job per
// flush period (a second), not per trade.
//
// Invariants:
// - the position stored for a coin is the feed's position() (every trade up
//   to it evaluated; below an unfilled gap while one is replayed late), read
//   at flush time, so it never runs ahead of what the engine has evaluated;
//   nor of the fires it has durably recorded: positions are not written
//   while a fire awaits its commit or its retry;
// - the last price stored with a position is the newest trade's by exchange
//   time: a gap trade replayed late never replaces it;
// - a sample row is the minute's open/high/low/close of the trades seen,
//   written again while the minute is open and once more when it closes. A
//   gap trade replayed late (after newer live trades) widens the high and
//   low of its minute and never replaces a newer close; a minute's open is
//   that of the first trade recorded in it once its row is written (a
//   minute wholly inside the gap gets the replay's own open and close).
//
// Lifetime: owned by a std::shared_ptr; its timer and writer completions
// hold one, so they never outlive it. `engine` and `writer` must outlive the
// io_context's run.
// Thread-safety: every member runs on the io_context thread.
#pragma once

#include "daemon/feed/market_feed.hpp"
#include "daemon/live_alerts.hpp"
#include "storage/sample_store.hpp"
#include "storage/writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace kryptod::daemon {

class trade_recorder : public feed::trade_sink,
                       public std::enable_shared_from_this<trade_recorder> {
public:
    // Where the feed stands for a coin (market_feed::position).
    using position_fn = std::function<feed::resume_point(core::symbol_id)>;

    trade_recorder(boost::asio::io_context& ioc, live_alerts& engine, storage::writer& writer,
                   std::chrono::milliseconds flush_every = std::chrono::seconds(1));

    void on_trade(core::symbol_id symbol, std::int64_t agg_id, core::price price,
                  core::millis trade_time, bool backfilled) override;
    void on_range(core::symbol_id symbol, core::price low, core::price high, core::millis from,
                  core::millis to) override;

    // The minute of `symbol` still open (its trades so far), as it will be
    // written at the next flush; nothing before its first trade.
    std::optional<storage::sample_store::sample> open_minute(core::symbol_id symbol) const;

    // Starts the periodic flush, taking positions from `positions`; stop()
    // flushes one last time.
    void start(position_fn positions);
    void stop();

private:
    struct coin {
        core::millis last_time = 0; // of the newest trade
        core::price last_price;
        bool traded = false; // a trade came since the last position written
        std::int64_t written_id = -1;
        std::optional<storage::sample_store::sample> bar; // the open minute
        core::millis bar_open_time = 0, bar_close_time = 0;
        bool bar_dirty = false;
        std::optional<storage::sample_store::sample> late; // a closed minute being replayed
    };

    coin& state(core::symbol_id symbol);
    void record_late(coin& c, core::symbol_id symbol, std::int64_t minute, core::price price);
    void do_flush_timer();
    void on_flush_timer(boost::system::error_code ec);
    void flush();
    void on_flushed(std::vector<core::symbol_id> moved, storage::status st);

    boost::asio::io_context& ioc_;
    live_alerts& engine_;
    storage::writer& writer_;
    std::chrono::milliseconds flush_every_;
    boost::asio::steady_timer timer_;
    position_fn positions_;
    std::vector<coin> coins_;                           // by symbol id
    std::vector<storage::sample_store::sample> closed_; // minutes closed since the last flush
    std::vector<storage::sample_store::sample> late_;   // replayed minutes since the last flush
    bool stopped_ = false;
};

} // namespace kryptod::daemon
