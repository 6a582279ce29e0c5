// The live side of the alerts: evaluation on the io_context thread, fires and
// expiries committed through the storage writer.
#include "daemon/alert_engine.hpp"

#include "daemon/log.hpp"
#include "daemon/notify/notice.hpp"
#include "storage/alert_store.hpp"
#include "storage/outbox_store.hpp"
#include "storage/user_store.hpp"

#include <boost/asio/post.hpp>

namespace kryptod::daemon {

namespace asio = boost::asio;
using storage::alert_store::event_type;

core::millis wall_clock_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {

struct fire_record {
    core::alert_id id;
    core::user_id owner;
    std::string symbol;
    core::price at;
    bool backfilled;
    std::size_t suppressed; // notifications over the hourly cap
};

bool record_one(SQLite::Database& db, core::fired_alert const& f, std::uint32_t cap_per_hour,
                std::vector<fire_record>& records) {
    auto stored = storage::alert_store::find(db, f.id);
    if (!stored || stored->alert.status != core::alert_status::active) return false;
    core::alert a = stored->alert;
    if (core::fire(a, f.at, f.detected_at) != core::transition::applied) return false;
    auto user = storage::user_store::get(db, a.owner);
    if (!user) return false;

    // notify.max_per_user_per_hour bounds the alert notifications one user
    // is sent. It is applied here, once, and nowhere else: the outbox rows
    // of the hour before are the durable count (it survives a restart, and
    // fires earlier in this transaction are in it), and a notification over
    // the cap never becomes a row, so it costs no email. Each channel counts
    // as one notification; one over the cap gets a `suppressed` event.
    // Account emails are not alert rows: they neither count nor are capped.
    auto queued =
        storage::outbox_store::count_alert_messages_since(db, a.owner, f.detected_at - 3'600'000);
    // Everything the sender needs, fixed at fire time so a retry sends the
    // same thing.
    auto const payload =
        notify::encode(notify::notice_of_fire(a, stored->symbol, f.exchange_time, f.backfilled));
    std::vector<storage::alert_store::notification> notes;
    std::vector<core::channel> suppressed;
    auto const notify_by = [&](core::channel ch) {
        if (queued < static_cast<std::int64_t>(cap_per_hour)) {
            notes.push_back({ch, payload});
            ++queued;
        } else {
            suppressed.push_back(ch);
        }
    };
    if (core::has(a.channels, core::channel::email)) notify_by(core::channel::email);
    if (core::has(a.channels, core::channel::webhook) && user->webhook_url)
        notify_by(core::channel::webhook);
    auto outcome = storage::alert_store::record_fire(db, a, f.exchange_time, f.backfilled, notes);
    if (!outcome) return false;
    for (auto const ch : suppressed) {
        storage::alert_store::event_record e;
        e.alert = a.id;
        e.type = event_type::suppressed;
        e.time = f.detected_at;
        e.channel = ch;
        e.outcome = "notify.max_per_user_per_hour reached";
        storage::alert_store::add_event(db, e);
    }
    records.push_back({a.id, a.owner, stored->symbol, f.at, f.backfilled, suppressed.size()});
    return true;
}

} // namespace

alert_engine::alert_engine(asio::io_context& ioc, storage::writer& writer, engine_options options)
    : ioc_(ioc)
    , writer_(writer)
    , options_(options)
    , time_timer_(ioc)
    , retry_timer_(ioc) {}

storage::startup_state alert_engine::load(SQLite::Database& db) {
    auto const now = wall_clock_now();
    auto state = storage::load_startup(
        db, book_.symbols(), [this, now](storage::alert_store::armed_alert const& a) {
            core::alert_terms terms;
            terms.id = a.id;
            terms.symbol = a.symbol;
            terms.target = a.target;
            terms.side = a.side;
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
    for (auto const& f : state.feed) {
        if (auto id = book_.symbols().find(f.symbol))
            book_.prices().record(*id, f.last_price, f.last_trade_time);
    }
    return state;
}

core::symbol_id alert_engine::list_coin(std::string_view symbol) {
    auto const id = book_.symbols().intern(symbol);
    if (listed_.size() <= id) listed_.resize(id + 1, false);
    listed_[id] = true;
    return id;
}

void alert_engine::unlist_coin(core::symbol_id symbol) {
    if (symbol < listed_.size()) listed_[symbol] = false;
}

std::vector<core::symbol_id> alert_engine::listed_coins() const {
    std::vector<core::symbol_id> out;
    for (core::symbol_id i = 0; i < listed_.size(); ++i)
        if (listed_[i]) out.push_back(i);
    return out;
}

void alert_engine::start() {
    stopped_ = false;
    do_time_step();
}

void alert_engine::stop() {
    stopped_ = true;
    time_timer_.cancel();
    retry_timer_.cancel();
}

engine_stats alert_engine::stats() const {
    auto s = stats_;
    s.pending = pending_.size();
    return s;
}

void alert_engine::on_trade(core::tick const& t, std::chrono::steady_clock::time_point received) {
    ++stats_.ticks;
    fired_.clear();
    auto const n = book_.on_tick(t, wall_clock_now(), fired_);
    if (n == 0) return;
    if (on_latency_) on_latency_(std::chrono::steady_clock::now() - received);
    queue_fires(n);
}

void alert_engine::on_range(core::symbol_id symbol, core::price low, core::price high,
                            core::millis exchange_time) {
    fired_.clear();
    auto const n = book_.on_range(symbol, low, high, exchange_time, wall_clock_now(), fired_);
    if (n != 0) queue_fires(n);
}

core::arm_outcome alert_engine::armed(core::alert const& a) {
    return book_.update(core::alert_terms::of(a), wall_clock_now());
}

void alert_engine::disarmed(core::alert_id id) {
    book_.disarm(id);
}

// Fires of one burst of trades share one transaction: the flush runs after
// the handlers already queued on the io_context (the rest of the frames read
// together) have run.
void alert_engine::queue_fires(std::size_t count) {
    stats_.fired += count;
    pending_.insert(pending_.end(), fired_.end() - static_cast<std::ptrdiff_t>(count),
                    fired_.end());
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    asio::post(ioc_, [this] { do_flush(); });
}

void alert_engine::do_flush() {
    flush_scheduled_ = false;
    if (pending_.empty()) return;
    auto batch = std::make_shared<std::vector<core::fired_alert>>(std::move(pending_));
    pending_.clear();
    auto records = std::make_shared<std::vector<fire_record>>();
    auto const cap = options_.max_per_user_per_hour;
    auto s = writer_.submit(
        [batch, records, cap](SQLite::Database& db) {
            records->clear(); // a retried job starts afresh
            for (auto const& f : *batch)
                record_one(db, f, cap, *records);
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

void alert_engine::on_flushed(std::vector<core::fired_alert> batch, storage::status s,
                              std::size_t recorded) {
    if (!s) {
        // Keep every fire: they are retried until storage takes them.
        ++stats_.commit_failures;
        log::error("could not record ", batch.size(), " alert fires (", s.err().message,
                   "); retrying in ", options_.retry_delay.count(), " ms");
        pending_.insert(pending_.begin(), batch.begin(), batch.end());
        if (stopped_) return;
        retry_timer_.expires_after(options_.retry_delay);
        retry_timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec) do_flush();
        });
        return;
    }
    stats_.committed += recorded;
    stats_.dropped += batch.size() - recorded;
    if (recorded != 0 && on_committed_) on_committed_(recorded);
}

void alert_engine::do_time_step() {
    if (stopped_) return;
    time_timer_.expires_after(options_.time_step);
    time_timer_.async_wait([this](boost::system::error_code ec) { on_time_step(ec); });
}

void alert_engine::on_time_step(boost::system::error_code ec) {
    if (ec) return;
    expired_.clear();
    if (book_.on_time(wall_clock_now(), expired_) != 0) commit_expiries(expired_);
    do_time_step();
}

// Expired alerts left the book; their stored status follows. A failed write
// is retried by the next start-up's load, which expires them again.
void alert_engine::commit_expiries(std::vector<core::alert_id> ids) {
    stats_.expired += ids.size();
    auto const now = wall_clock_now();
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
