// Trades into the engine, positions and price samples into storage.
#include "daemon/trade_recorder.hpp"

#include "daemon/log.hpp"
#include "storage/feed_state_store.hpp"

#include <boost/beast/core/bind_handler.hpp>

namespace kryptod::daemon {

trade_recorder::trade_recorder(boost::asio::io_context& ioc, live_alerts& engine,
                               storage::writer& writer, std::chrono::milliseconds flush_every)
    : ioc_(ioc)
    , engine_(engine)
    , writer_(writer)
    , flush_every_(flush_every)
    , timer_(ioc) {}

trade_recorder::coin& trade_recorder::state(core::symbol_id symbol) {
    if (coins_.size() <= symbol) coins_.resize(symbol + 1);
    return coins_[symbol];
}

void trade_recorder::on_trade(core::symbol_id symbol, std::int64_t, core::price price,
                              core::millis trade_time, bool backfilled) {
    engine_.on_trade({symbol, price, trade_time, backfilled}, std::chrono::steady_clock::now());

    auto& c = state(symbol);
    c.traded = true;
    if (trade_time >= c.last_time) {
        c.last_time = trade_time;
        c.last_price = price;
    }

    auto const minute = storage::sample_store::minute_of(trade_time);
    if (c.bar && c.bar->minute == minute) {
        c.bar->high = std::max(c.bar->high, price);
        c.bar->low = std::min(c.bar->low, price);
        // In order, every trade is the newest; a replayed one may be older.
        if (trade_time >= c.bar_close_time) {
            c.bar->close = price;
            c.bar_close_time = trade_time;
        } else if (trade_time < c.bar_open_time) {
            c.bar->open = price;
            c.bar_open_time = trade_time;
        }
    } else if (!c.bar || c.bar->minute < minute) {
        if (c.bar) closed_.push_back(*c.bar);
        c.bar = storage::sample_store::sample{
            std::string(engine_.book().symbols().name(symbol)), minute, price, price, price, price};
        c.bar_open_time = c.bar_close_time = trade_time;
    } else {
        // Older than the open minute: only a gap replayed after live trades.
        record_late(c, symbol, minute, price);
    }
    c.bar_dirty = true;
}

void trade_recorder::record_late(coin& c, core::symbol_id symbol, std::int64_t minute,
                                 core::price price) {
    // A replay comes in id order, so its minutes only move forward.
    if (c.late && c.late->minute == minute) {
        c.late->high = std::max(c.late->high, price);
        c.late->low = std::min(c.late->low, price);
        c.late->close = price;
        return;
    }
    if (c.late) late_.push_back(*c.late);
    c.late = storage::sample_store::sample{
        std::string(engine_.book().symbols().name(symbol)), minute, price, price, price, price};
}

void trade_recorder::on_range(core::symbol_id symbol, core::price low, core::price high,
                              core::millis, core::millis to) {
    engine_.on_range(symbol, low, high, to);
}

std::optional<storage::sample_store::sample>
trade_recorder::open_minute(core::symbol_id symbol) const {
    return symbol < coins_.size() ? coins_[symbol].bar : std::nullopt;
}

void trade_recorder::start(position_fn positions) {
    positions_ = std::move(positions);
    stopped_ = false;
    do_flush_timer();
}

void trade_recorder::stop() {
    stopped_ = true;
    timer_.cancel();
    flush();
}

void trade_recorder::do_flush_timer() {
    timer_.expires_after(flush_every_);
    timer_.async_wait(
        boost::beast::bind_front_handler(&trade_recorder::on_flush_timer, shared_from_this()));
}

void trade_recorder::on_flush_timer(boost::system::error_code ec) {
    if (ec || stopped_) return;
    flush();
    do_flush_timer();
}

void trade_recorder::flush() {
    std::vector<storage::feed_state_store::feed_state> positions;
    std::vector<core::symbol_id> moved; // coins whose position is in this write
    std::vector<storage::sample_store::sample> samples = std::move(closed_);
    closed_.clear();
    std::vector<storage::sample_store::sample> late = std::move(late_);
    late_.clear();
    // The writer runs jobs in order, but a fire transaction that fails is
    // retried later, after this job: positions wait until every fire is
    // durable, so a restart never backfills from beyond an unrecorded fire.
    bool const fires_durable = engine_.unconfirmed_fires() == 0;
    for (core::symbol_id id = 0; id < coins_.size(); ++id) {
        auto& c = coins_[id];
        if (c.traded && fires_durable && positions_) {
            c.traded = false;
            auto const p = positions_(id);
            if (p.last_id >= 0 && p.last_id != c.written_id) {
                positions.push_back({p.symbol, p.last_id, p.last_time, c.last_price});
                c.written_id = p.last_id;
                moved.push_back(id);
            }
        }
        if (c.bar_dirty && c.bar) {
            samples.push_back(*c.bar);
            c.bar_dirty = false;
        }
        if (c.late) {
            late.push_back(*c.late);
            c.late.reset();
        }
    }
    if (positions.empty() && samples.empty() && late.empty()) return;
    auto s = writer_.submit(
        [positions, samples, late](SQLite::Database& db) {
            for (auto const& p : positions)
                storage::feed_state_store::set(db, p);
            for (auto const& x : late)
                storage::sample_store::widen(db, x);
            for (auto const& x : samples)
                storage::sample_store::upsert(db, x);
        },
        [self = shared_from_this(), moved](storage::status st) {
            self->on_flushed(std::move(moved), st);
        });
    if (!s) on_flushed(std::move(moved), storage::status(s.err()));
}

void trade_recorder::on_flushed(std::vector<core::symbol_id> moved, storage::status st) {
    if (st) return;
    // The positions are written again by the next flush; a lost sample write
    // leaves that minute's row as it was.
    log::warning("could not record feed positions: ", st.err().message);
    for (auto id : moved) {
        coins_[id].written_id = -1;
        coins_[id].traded = true;
    }
}

} // namespace kryptod::daemon
