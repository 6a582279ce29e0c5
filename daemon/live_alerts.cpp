// live_alerts: evaluation on the io_context thread; fires recorded by the
// fire recorder and expiries by the store, through the storage writer.
#include "daemon/live_alerts.hpp"

#include "daemon/log.hpp"
#include "storage/alert_store.hpp"
#include "storage/sample_store.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace kryptod::daemon {

namespace asio = boost::asio;
using storage::alert_store::event_type;

live_alerts::live_alerts(asio::io_context& ioc, storage::writer& writer,
                         live_alerts_options options)
    : ioc_(ioc)
    , writer_(writer)
    , options_(std::move(options))
    , recorder_(options_.max_per_user_per_hour) {}

storage::startup_state live_alerts::load(SQLite::Database& db) {
    auto const now = options_.clock.now();
    std::vector<core::millis> longest; // the longest move window of each coin, by symbol id
    auto state = storage::load_startup(
        db, book_.symbols(), [this, now, &longest](storage::alert_store::armed_alert const& a) {
            if (a.kind == core::alert_kind::move) {
                if (longest.size() <= a.symbol) longest.resize(a.symbol + 1, 0);
                longest[a.symbol] =
                    std::max(longest[a.symbol], core::seconds_to_millis(a.window_seconds));
            }
            core::alert_terms terms;
            terms.id = a.id;
            terms.symbol = a.symbol;
            terms.kind = a.kind;
            terms.target = a.target;
            terms.side = a.side;
            terms.move_percent = a.move_percent;
            terms.window = core::seconds_to_millis(a.window_seconds);
            terms.move_side = a.move_side;
            terms.repeat = a.repeat;
            terms.cooldown = core::seconds_to_millis(a.cooldown_seconds);
            terms.expires_at = a.expires_at;
            // Armed from when it was stored as armed: older trades (a
            // backfill after a restart) must not fire it. A repeat-every
            // alert that fired last goes back into that fire's pause, or a
            // price still at its target would notify again at once.
            book_.restore(terms, a.armed_at, a.last_fire, now);
        });
    for (auto const& coin : state.coins)
        list_coin(coin.symbol);
    std::vector<core::millis> resume_at(longest.size(), now);
    for (auto const& f : state.feed) {
        if (auto id = book_.symbols().find(f.symbol)) {
            book_.prices().record(*id, f.last_price, f.last_trade_time);
            if (*id < resume_at.size()) resume_at[*id] = std::min(now, f.last_trade_time);
        }
    }
    seed_move_windows(db, longest, resume_at);
    return state;
}

// SPEC §8: the windows of the coins with move alerts are rebuilt from the
// stored one-minute samples before any trade is evaluated, so that the
// backfill of the downtime and the live trades after it are measured
// against the lows and highs from before the restart. A replayed trade at
// time t needs the points of [t - window, t], and the replay starts where
// the feed position stopped (`resume_at`), so the samples read go back one
// window from there, and one minute more: a sample stands at its minute's
// end.
void live_alerts::seed_move_windows(SQLite::Database& db, std::vector<core::millis> const& longest,
                                    std::vector<core::millis> const& resume_at) {
    constexpr core::millis minute = 60'000;
    std::size_t seeded = 0;
    for (core::symbol_id s = 0; s < longest.size(); ++s) {
        if (longest[s] == 0) continue;
        auto const from = storage::sample_store::minute_of(resume_at[s] - longest[s]) - minute;
        auto const to = options_.clock.now() + minute;
        for (auto const& m :
             storage::sample_store::oldest_first(db, book_.symbols().name(s), from, to)) {
            book_.seed_minute(s, m.minute, m.low, m.high);
            ++seeded;
        }
    }
    if (seeded != 0) log::info("move alert windows rebuilt from ", seeded, " one-minute samples");
}

core::symbol_id live_alerts::list_coin(std::string_view symbol) {
    auto const id = book_.symbols().intern(symbol);
    if (listed_.size() <= id) listed_.resize(id + 1, false);
    listed_[id] = true;
    return id;
}

void live_alerts::unlist_coin(core::symbol_id symbol) {
    if (symbol < listed_.size()) listed_[symbol] = false;
}

std::vector<core::symbol_id> live_alerts::listed_coins() const {
    std::vector<core::symbol_id> out;
    for (core::symbol_id i = 0; i < listed_.size(); ++i)
        if (listed_[i]) out.push_back(i);
    return out;
}

void live_alerts::on_clock() {
    if (stopped_) return;
    expired_.clear();
    if (book_.on_time(options_.clock.now(), expired_) != 0) commit_expiries(expired_);
    if (retry_waiting_) {
        retry_waiting_ = false;
        do_flush();
    }
}

live_alerts_stats live_alerts::stats() const {
    auto s = stats_;
    s.pending = pending_.size();
    return s;
}

void live_alerts::on_trade(core::tick const& t, std::chrono::steady_clock::time_point received) {
    ++stats_.ticks;
    fired_.clear();
    auto const n = book_.on_tick(t, options_.clock.now(), fired_);
    if (n == 0) return;
    if (on_latency_) on_latency_(std::chrono::steady_clock::now() - received);
    queue_fires(n);
}

void live_alerts::on_range(core::symbol_id symbol, core::price low, core::price high,
                           core::millis exchange_time) {
    fired_.clear();
    auto const n = book_.on_range(symbol, low, high, exchange_time, options_.clock.now(), fired_);
    if (n != 0) queue_fires(n);
}

core::arm_outcome live_alerts::armed(core::alert const& a) {
    return book_.update(core::alert_terms::of(a), options_.clock.now());
}

void live_alerts::disarmed(core::alert_id id) {
    book_.disarm(id);
}

// Fires of one burst of trades share one transaction: the flush runs after
// the handlers already queued on the io_context (the rest of the frames read
// together) have run.
void live_alerts::queue_fires(std::size_t count) {
    stats_.fired += count;
    pending_.insert(pending_.end(), fired_.end() - static_cast<std::ptrdiff_t>(count),
                    fired_.end());
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    asio::post(ioc_, [this] { do_flush(); });
}

void live_alerts::do_flush() {
    flush_scheduled_ = false;
    if (pending_.empty()) return;
    auto batch = std::make_shared<std::vector<core::fired_alert>>(std::move(pending_));
    pending_.clear();
    auto records = std::make_shared<std::vector<recorded_fire>>();
    auto s = writer_.submit(
        [batch, records, recorder = recorder_](SQLite::Database& db) {
            records->clear(); // a retried job starts afresh
            for (auto const& f : *batch)
                if (auto r = recorder.record(db, f)) records->push_back(std::move(*r));
        },
        [this, batch, records](storage::status st) {
            in_flight_ -= batch->size();
            if (st) {
                for (auto const& r : *records) {
                    stats_.suppressed += r.suppressed;
                    log::alert(log_level::info, r.id, r.owner, r.symbol, "alert fired at ",
                               r.at.to_string(), r.backfilled ? " (backfilled)" : "",
                               r.suppressed != 0 ? "; notification suppressed by the hourly cap"
                                                 : "");
                }
            }
            on_flushed(std::move(*batch), st, records->size());
        });
    if (s)
        in_flight_ += batch->size();
    else
        on_flushed(std::move(*batch), s, 0);
}

void live_alerts::on_flushed(std::vector<core::fired_alert> batch, storage::status s,
                             std::size_t recorded) {
    if (!s) {
        // Keep every fire: they are retried until storage takes them.
        ++stats_.commit_failures;
        log::error("could not record ", batch.size(), " alert fires (", s.err().message,
                   "); retrying within a second");
        pending_.insert(pending_.begin(), batch.begin(), batch.end());
        retry_waiting_ = true;
        return;
    }
    stats_.committed += recorded;
    stats_.dropped += batch.size() - recorded;
    if (recorded != 0 && on_committed_) on_committed_(recorded);
}

// Expired alerts left the book; their stored status follows. A failed write
// is retried by the next start-up's load, which expires them again.
void live_alerts::commit_expiries(std::vector<core::alert_id> ids) {
    stats_.expired += ids.size();
    auto const now = options_.clock.now();
    auto s = writer_.submit(
        [ids, now](SQLite::Database& db) {
            for (auto id : ids) {
                auto stored = storage::alert_store::find(db, id);
                if (!stored) continue;
                core::alert a = stored->alert;
                if (core::expire(a, now) != core::transition::applied) continue;
                storage::alert_store::update(db, a, event_type::expired);
            }
        },
        [count = ids.size()](storage::status st) {
            if (!st) log::error("could not record ", count, " expiries: ", st.err().message);
        });
    if (!s) log::error("could not queue ", ids.size(), " expiries: ", s.err().message);
}

} // namespace kryptod::daemon
