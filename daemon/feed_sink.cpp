// Trades into the engine, positions and price samples into storage.
#include "daemon/feed_sink.hpp"

#include "daemon/log.hpp"
#include "storage/feed_state_store.hpp"

namespace kryptod::daemon {

feed_sink::feed_sink(boost::asio::io_context& ioc, live_alerts& engine, storage::writer& writer,
                     std::chrono::milliseconds flush_every)
    : ioc_(ioc)
    , engine_(engine)
    , writer_(writer)
    , flush_every_(flush_every)
    , timer_(ioc) {}

feed_sink::coin& feed_sink::state(core::symbol_id symbol) {
    if (coins_.size() <= symbol) coins_.resize(symbol + 1);
    return coins_[symbol];
}

void feed_sink::on_trade(core::symbol_id symbol, std::int64_t agg_id, core::price price,
                         core::millis trade_time, bool backfilled) {
    engine_.on_trade({symbol, price, trade_time, backfilled}, std::chrono::steady_clock::now());

    auto& c = state(symbol);
    c.last_id = agg_id;
    c.last_time = trade_time;
    c.last_price = price;
    c.position_dirty = true;

    auto const minute = storage::sample_store::minute_of(trade_time);
    if (c.bar && c.bar->minute == minute) {
        c.bar->high = std::max(c.bar->high, price);
        c.bar->low = std::min(c.bar->low, price);
        c.bar->close = price;
    } else if (!c.bar || c.bar->minute < minute) {
        if (c.bar) closed_.push_back(*c.bar);
        c.bar = storage::sample_store::sample{
            std::string(engine_.book().symbols().name(symbol)), minute, price, price, price, price};
    }
    // A trade older than the open minute cannot come: per coin the feed
    // delivers trades in id order, and ids follow time.
    c.bar_dirty = true;
}

void feed_sink::on_range(core::symbol_id symbol, core::price low, core::price high,
                         core::millis from, core::millis to) {
    (void)from;
    engine_.on_range(symbol, low, high, to);
}

void feed_sink::start() {
    stopped_ = false;
    do_flush_timer();
}

void feed_sink::stop() {
    stopped_ = true;
    timer_.cancel();
    flush();
}

void feed_sink::do_flush_timer() {
    timer_.expires_after(flush_every_);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        flush();
        do_flush_timer();
    });
}

void feed_sink::flush() {
    std::vector<storage::feed_state_store::feed_state> positions;
    std::vector<core::symbol_id> moved; // coins whose position is in this write
    std::vector<storage::sample_store::sample> samples = std::move(closed_);
    closed_.clear();
    // The writer runs jobs in order, but a fire transaction that fails is
    // retried later, after this job: positions wait until every fire is
    // durable, so a restart never backfills from beyond an unrecorded fire.
    bool const fires_durable = engine_.unconfirmed_fires() == 0;
    for (core::symbol_id id = 0; id < coins_.size(); ++id) {
        auto& c = coins_[id];
        if (c.position_dirty && fires_durable) {
            positions.push_back({std::string(engine_.book().symbols().name(id)), c.last_id,
                                 c.last_time, c.last_price});
            c.position_dirty = false;
            moved.push_back(id);
        }
        if (c.bar_dirty && c.bar) {
            samples.push_back(*c.bar);
            c.bar_dirty = false;
        }
    }
    if (positions.empty() && samples.empty()) return;
    auto s = writer_.submit(
        [positions, samples](SQLite::Database& db) {
            for (auto const& p : positions)
                storage::feed_state_store::set(db, p);
            for (auto const& x : samples)
                storage::sample_store::upsert(db, x);
        },
        [this, moved](storage::status st) {
            if (st) return;
            // The positions are written again by the next flush; a lost
            // sample write leaves that minute's row as it was.
            log::warning("could not record feed positions: ", st.err().message);
            for (auto id : moved)
                coins_[id].position_dirty = true;
        });
    if (!s) {
        log::warning("could not queue the feed positions: ", s.err().message);
        for (auto id : moved)
            coins_[id].position_dirty = true;
    }
}

} // namespace kryptod::daemon
