// market_feed: kryptod's live view of Binance. It owns the websocket
// connections (each at most max_streams_per_connection `<coin>@aggTrade`
// streams), reconnects them with capped, jittered backoff, follows the coin
// list at run time with SUBSCRIBE/UNSUBSCRIBE, and delivers every aggregate
// trade to a trade_sink exactly once, filling any gap (reconnect, restart,
// id jump) from the REST API.
//
// The order of delivery per coin (SPEC §4; the why is in the .cpp):
// - normally strictly by aggregate-trade id: live frames at or below the
//   last delivered id are dropped as duplicates, so overlapping connections
//   (make before break) and backfill never deliver a trade twice;
// - after a gap the coin catches up: its live trades are held (at most
//   live_buffer_max of them, at most backfill_hold long) while the REST
//   pages from the last delivered id + 1 are delivered, then the held ones
//   follow — still strictly by id;
// - when the hold runs out before the gap is filled, the coin is
//   "released": the held trades and every later live trade are delivered as
//   they come, and the gap's trades follow whenever REST answers, in id
//   order, each marked backfilled and each delivered once (ids already
//   delivered live are skipped). Only then can a trade arrive with an id
//   below one already delivered; it is evaluated like any other trade (it
//   fires the alerts armed before its exchange time that it reaches) and
//   does not move the coin's last price, which keeps the newest trade;
// - a gap longer than backfill_max is covered by 1-minute klines through
//   trade_sink::on_range instead of trade by trade.
// Other invariants:
// - position() never runs ahead of a trade not yet delivered: a restart
//   that resumes from it loses nothing (it may replay trades delivered live
//   after an unfilled gap, which find the alerts they fired already fired);
// - a connection is replaced before max_connection_age and on
//   serverShutdown by opening the new one first and closing the old one
//   once the new one's subscriptions are confirmed;
// - the reconnect backoff grows only with attempts that failed or that
//   delivered no trade; a connection that subscribed and delivered trades
//   (or lived stable_after) starts it over; connection attempts, rolls
//   included, never exceed connection_attempts_max per
//   connection_attempts_window;
// - one warning is logged per failed attempt (each backoff step), never more.
//
// Not thread-safe: every member runs on the io_context's thread; status() and
// metrics() must be read there too (post to it from elsewhere).
#pragma once

#include "core/price.hpp"
#include "core/symbol_table.hpp"
#include "core/time.hpp"
#include "daemon/feed/backoff.hpp"
#include "daemon/feed/binance_feed.hpp"
#include "daemon/feed/feed_options.hpp"
#include "daemon/feed/rest_backfill.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace kryptod::daemon::feed {

// Where the feed's output goes; the daemon implements it with the evaluator
// and storage. Called on the io_context thread.
class trade_sink {
public:
    virtual ~trade_sink() = default;
    // One aggregate trade, each id once. Per coin, ids increase across calls
    // except for the replay of a gap after the hold ran out (see the top).
    // `backfilled`: replayed from the REST API after a gap.
    virtual void on_trade(core::symbol_id symbol, std::int64_t agg_id, core::price price,
                          core::millis trade_time, bool backfilled) = 0;
    // The price range [low, high] a coin traded in between `from` and `to`
    // (a 1-minute kline of a gap too long to replay trade by trade).
    virtual void on_range(core::symbol_id symbol, core::price low, core::price high,
                          core::millis from, core::millis to) = 0;
};

// Where a coin stopped, from storage: the feed backfills from last_id + 1.
struct resume_point {
    std::string symbol;
    std::int64_t last_id = -1;
    core::millis last_time = 0;
};

struct feed_metrics {
    std::uint64_t frames = 0, bytes = 0, trades = 0, decode_errors = 0, binary_frames = 0;
    std::uint64_t duplicates = 0, gaps = 0, reconnects = 0, backfilled_trades = 0,
                  backfilled_ranges = 0;
    std::uint64_t backfill_failures = 0, dropped_live = 0, error_replies = 0, rolls = 0;
    std::uint64_t released = 0;         // catch-ups whose hold ran out
    std::uint64_t limited_attempts = 0; // connection attempts delayed by the rate limit
    // Receive time minus exchange event time of the last trade, in ms. May be
    // negative: the exchange's clock and ours differ.
    std::int64_t last_lag_ms = 0;
};

// A coin that is catching up after a gap.
struct catch_up_state {
    std::string symbol;
    std::chrono::steady_clock::duration age{}; // since the catch-up began
    bool released = false;                     // its live trades no longer wait
    std::int64_t from_id = -1;                 // the first gap trade not yet delivered
};

struct feed_status {
    bool up = false; // every connection is open and subscribed
    std::size_t connections = 0, connected = 0;
    std::size_t streams = 0;     // coins followed
    std::size_t catching_up = 0; // coins being backfilled
    std::vector<catch_up_state> catch_ups;
    std::vector<std::string> followed; // the coins followed
    core::millis last_frame_time = 0;  // wall clock of the last frame, 0 if none
    std::string last_error;            // why the last connection ended
    std::string backfill_error;        // why the last REST attempt failed, empty after a success
};

class market_feed : public feed_listener, public std::enable_shared_from_this<market_feed> {
public:
    // Must be owned by a std::shared_ptr (its handlers hold weak and shared
    // references to it). Throws std::invalid_argument when options.url or
    // options.rest_url is not a usable URL, and boost::system::system_error
    // when options.ca_file cannot be loaded. `symbols` and `sink` must outlive the io_context's
    // run; coins must be interned in `symbols` before they are followed.
    market_feed(boost::asio::io_context& ioc, feed_options options,
                core::symbol_table const& symbols, trade_sink& sink);
    ~market_feed() override;

    // Starts following `coins` (symbols, any case), resuming each coin found
    // in `resume` from its last aggregate-trade id. Unknown or invalid
    // symbols are logged and skipped.
    void start(std::vector<std::string> const& coins, std::vector<resume_point> const& resume = {});

    // Follows one more coin live, without a reconnect. Returns false when the
    // symbol is not interned in the symbol table.
    bool add_coin(std::string_view symbol);
    // Stops following a coin. Returns false when it was not followed.
    bool remove_coin(std::string_view symbol);

    // Closes every connection and stops backfill; nothing is delivered after.
    void stop();

    feed_status status() const;
    feed_metrics const& metrics() const noexcept { return metrics_; }
    std::vector<std::string> coins() const;

    // The id of the newest trade delivered for a coin, or -1.
    std::int64_t last_id(core::symbol_id symbol) const noexcept;

    // Where a restart must resume a coin so that nothing is lost: the newest
    // trade delivered with every trade before it delivered too (below an
    // unfilled gap when a released coin waits for it). last_id -1: nothing
    // delivered yet.
    resume_point position(core::symbol_id symbol) const;

    // The REST client's request counters.
    rest_backfill const& rest() const noexcept { return *rest_; }

    feed_options const& options() const noexcept { return options_; }

    // Replaces every connection now, make before break (what serverShutdown
    // and the 24-hour roll do).
    void roll();

private:
    struct pending_trade {
        std::int64_t id;
        core::price price;
        core::millis time;
    };
    // Ids [first, last] delivered live while a released coin's gap waits.
    struct id_range {
        std::int64_t first, last;
    };
    struct coin_state {
        bool followed = false;
        std::int64_t last_id = -1; // the newest trade delivered
        core::millis last_time = 0;
        // Catching up (see the top of the .cpp).
        bool catching_up = false;
        bool released = false;    // the hold ran out: live trades pass
        std::uint64_t serial = 0; // tells a stale REST answer from the current one
        std::chrono::steady_clock::time_point since{};
        unsigned catch_up_rounds = 0;
        std::vector<pending_trade> held;
        // Released only: the first gap id not yet delivered, the exchange
        // time of the trade before it, and the live ids delivered above it.
        std::int64_t fill_from = -1;
        core::millis fill_time = 0;
        std::deque<id_range> live;
        std::size_t connection = 0;
    };
    // One websocket connection's worth of streams, and its replacement
    // during a roll.
    struct connection {
        std::vector<core::symbol_id> coins;
        std::shared_ptr<binance_feed> conn;
        std::shared_ptr<binance_feed> next; // the replacement during a roll
        std::size_t next_pending = 0;       // its SUBSCRIBE requests not yet confirmed
        std::unique_ptr<boost::asio::steady_timer> retry;
        std::unique_ptr<boost::asio::steady_timer> roll_timer;
        backoff delays;
        bool subscribed = false;
        connection(boost::asio::io_context& ioc, feed_options const& o)
            : retry(std::make_unique<boost::asio::steady_timer>(ioc))
            , roll_timer(std::make_unique<boost::asio::steady_timer>(ioc))
            , delays(o.backoff_initial, o.backoff_max) {}
    };

    // feed_listener
    void on_connected(binance_feed& conn) override;
    void on_frame(binance_feed& conn, decoded_frame const& frame, std::size_t bytes) override;
    void on_binary_frame(binance_feed& conn, std::size_t bytes) override;
    void on_reply(binance_feed& conn, std::string_view method,
                  std::vector<std::string> const& streams, bool ok) override;
    void on_closed(binance_feed& conn, std::string const& reason) override;

    connection* connection_of(binance_feed const& conn, bool& is_next);
    std::shared_ptr<binance_feed> open();
    bool take_attempt(boost::asio::steady_timer& wait_on, std::size_t index,
                      void (market_feed::*then)(std::size_t, boost::system::error_code));
    void connect(std::size_t index);
    void on_retry(std::size_t index, boost::system::error_code ec);
    void on_roll_timer(std::size_t index, boost::system::error_code ec);
    void roll_connection(std::size_t index);
    void arm_roll(std::size_t index);
    std::vector<std::string> streams_of(connection const& c) const;
    std::string stream_name(core::symbol_id symbol) const;

    coin_state& coin(core::symbol_id symbol);
    void on_live_trade(core::symbol_id symbol, std::int64_t id, core::price price,
                       core::millis time);
    void on_released_trade(core::symbol_id symbol, std::int64_t id, core::price price,
                           core::millis time);
    void deliver(core::symbol_id symbol, std::int64_t id, core::price price, core::millis time,
                 bool backfilled);
    void start_catch_up(core::symbol_id symbol);
    void fetch_page(core::symbol_id symbol);
    void on_page(core::symbol_id symbol, std::uint64_t serial, std::string const& error,
                 std::vector<agg_trade> trades);
    void replay_page(core::symbol_id symbol, std::vector<agg_trade> const& trades);
    void on_klines(core::symbol_id symbol, std::uint64_t serial, core::millis gap_end,
                   std::string const& error, std::vector<kline> klines);
    void finish_catch_up(core::symbol_id symbol);
    void release(core::symbol_id symbol);
    bool skip_delivered(coin_state& c);
    void end_catch_up(core::symbol_id symbol);
    void arm_hold_timer();
    void on_hold_timer(boost::system::error_code ec);

    boost::asio::io_context& ioc_;
    feed_options options_;
    endpoint where_;
    boost::asio::ssl::context ssl_;
    core::symbol_table const& symbols_;
    trade_sink& sink_;
    std::shared_ptr<rest_backfill> rest_;
    std::vector<connection> connections_;
    std::vector<coin_state> coins_;
    boost::asio::steady_timer hold_timer_;
    attempt_window attempts_;
    feed_metrics metrics_;
    std::string last_error_;
    core::millis last_frame_time_ = 0;
    std::uint64_t next_serial_ = 1;
    std::mt19937_64 rng_;
    bool started_ = false;
    bool stopped_ = false;
};

} // namespace kryptod::daemon::feed
