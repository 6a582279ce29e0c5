// live_alerts: the armed alerts at run time, the daemon's side of the fire
// path. It owns the evaluator (core::alert_book) on the io_context thread,
// feeds it trades, ranges and time, and hands what fires to the fire
// recorder inside storage writer jobs; it also takes the API's changes to
// armed alerts and the coin list.
//
// The fire path, one file per step:
//   feed (daemon/feed/) -> trade recorder (trade_recorder) -> live_alerts ->
//   evaluator (core::alert_book) -> fire recorder (fire_recorder) ->
//   storage writer -> outbox sender (daemon/notify/)
// on_trade() only evaluates and queues; every fire of a burst of trades is
// committed by one writer job (one transaction), and only after that commit
// is the notifier woken.
//
// Invariants:
// - A fire detected in memory is committed or retried until it is: a failed
//   commit (disk full, I/O error) puts the fires back in the queue, so a
//   crossing is never dropped for a transient storage error. A fire whose
//   alert was disabled or deleted in the meantime is dropped by the recorder.
// - The API arms an alert only after its write is durable (armed()).
// - Time comes from one wall_clock (daemon/clock.hpp), injectable in tests.
//
// Thread-safety: every member runs on the io_context thread. Completion
// handlers capture `this`: the owner keeps the object alive until its
// io_context stopped running (service.cpp destroys it before the io_context,
// whose pending handlers are then destroyed, never run).
#pragma once

#include "core/alert_book.hpp"
#include "daemon/clock.hpp"
#include "daemon/fire_recorder.hpp"
#include "storage/startup.hpp"
#include "storage/writer.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace kryptod::daemon {

struct live_alerts_options {
    // notify.max_per_user_per_hour (daemon/options.cpp; no default here): alert notifications (one
    // per channel) one user can be queued per hour; past it they are recorded as `suppressed`
    // events and never queued. The fire recorder is the cap's only owner: the sender sends whatever
    // was queued.
    std::uint32_t max_per_user_per_hour = 0;
    // The daemon's wall clock (tests move their own).
    wall_clock clock;
};

struct live_alerts_stats {
    std::uint64_t ticks = 0;           // trades evaluated
    std::uint64_t fired = 0;           // fires detected
    std::uint64_t committed = 0;       // fires durably recorded
    std::uint64_t dropped = 0;         // fires storage refused (alert no longer active)
    std::uint64_t commit_failures = 0; // failed fire transactions (retried)
    std::uint64_t expired = 0;         // alerts expired
    std::uint64_t suppressed = 0;      // notifications over the per-user hourly cap
    std::size_t pending = 0;           // fires waiting for their commit
};

class live_alerts {
public:
    // Called after fires committed, with how many: wakes the notifier.
    using committed_fn = std::function<void(std::size_t)>;
    // Called with each tick-to-trigger latency (frame arrival to the book
    // returning the alerts it fires), for the metrics histogram.
    using latency_fn = std::function<void(std::chrono::nanoseconds)>;

    live_alerts(boost::asio::io_context& ioc, storage::writer& writer, live_alerts_options options);

    // Fills the book from the database before serving: coins, armed alerts
    // (armed from their stored armed_at; a repeat-every alert whose last
    // change was a fire still in that fire's pause), last prices, and the
    // move windows of the coins with move alerts, from the stored one-minute
    // samples (SPEC §8). Throws like storage::load_startup().
    storage::startup_state load(SQLite::Database& db);

    // Applies the passage of time (expiries, cooldown ends: the book's
    // on_time()) and tries again the fires whose commit failed. The daemon's
    // cron calls it every second, so time-driven changes land within a
    // second and a failed commit is retried a second or less later.
    void on_clock();

    // No fire commit is retried and no time step applied after this (a clean
    // stop); fires still pending stay unconfirmed, so the feed position is
    // not stored past them.
    void stop() { stopped_ = true; }

    void on_committed(committed_fn fn) { on_committed_ = std::move(fn); }
    void on_latency(latency_fn fn) { on_latency_ = std::move(fn); }

    // A trade from the feed (live or backfilled). `received` is when its
    // frame arrived, for the latency figure.
    void on_trade(core::tick const& t, std::chrono::steady_clock::time_point received);

    // A backfilled kline range of one coin.
    void on_range(core::symbol_id symbol, core::price low, core::price high,
                  core::millis exchange_time);

    // The API committed an alert that is (again) active: it fires from now.
    core::arm_outcome armed(core::alert const& a);

    // The API committed an alert that is no longer active.
    void disarmed(core::alert_id id);

    // The coin list: coins alerts may be set on (and the feed follows).
    bool listed(core::symbol_id symbol) const noexcept {
        return symbol < listed_.size() && listed_[symbol];
    }
    // Lists a coin (interning it); returns its id.
    core::symbol_id list_coin(std::string_view symbol);
    void unlist_coin(core::symbol_id symbol);
    std::vector<core::symbol_id> listed_coins() const;

    core::alert_book& book() noexcept { return book_; }
    core::alert_book const& book() const noexcept { return book_; }
    live_alerts_stats stats() const;

    // Fires detected but not yet known to be durable: waiting for their
    // transaction, or in one the writer has not answered. While any exists
    // the feed position must not be stored past their trades, or a crash
    // followed by a restart would backfill from after them and lose them.
    std::size_t unconfirmed_fires() const noexcept { return pending_.size() + in_flight_; }
    // Of those, the fires in a transaction the writer has not answered yet.
    std::size_t committing_fires() const noexcept { return in_flight_; }

private:
    void seed_move_windows(SQLite::Database& db, std::vector<core::millis> const& longest,
                           std::vector<core::millis> const& resume_at);
    void queue_fires(std::size_t count);
    void do_flush();
    void on_flushed(std::vector<core::fired_alert> batch, storage::status s, std::size_t recorded);
    void commit_expiries(std::vector<core::alert_id> ids);

    boost::asio::io_context& ioc_;
    storage::writer& writer_;
    live_alerts_options options_;
    fire_recorder recorder_;
    core::alert_book book_;
    std::vector<core::fired_alert> fired_;   // scratch for one tick
    std::vector<core::fired_alert> pending_; // fires waiting for a commit
    std::vector<core::alert_id> expired_;    // scratch for one time step
    std::vector<bool> listed_;               // by symbol id
    std::size_t in_flight_ = 0;              // fires in a submitted transaction
    bool flush_scheduled_ = false;
    bool retry_waiting_ = false; // a failed commit's fires wait for on_clock()
    bool stopped_ = false;
    committed_fn on_committed_;
    latency_fn on_latency_;
    live_alerts_stats stats_;
};

} // namespace kryptod::daemon
