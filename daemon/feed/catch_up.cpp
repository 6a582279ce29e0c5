// market_feed, its catch-up half: trades in order per coin, gaps and their
// backfill (the connections and the coin list are in market_feed.cpp).
//
// A gap is noticed in two ways: a connection (re)subscribes while the coin
// already has a last id (reconnect, restart), or a live id jumps past last+1.
// Either way the coin "catches up": its live trades are held while REST pages
// from last+1 are delivered, then the held ones follow, duplicates dropped by
// id. Catching up on every resubscription costs one small REST request when
// nothing was missed, and it is what makes a silent cut lose nothing even for
// a coin that trades rarely.
//
// Holding live trades keeps the order by id, which is the simplest thing to
// reason about, but it must not hold live alerts hostage to a REST API that
// is down or rate-limits us (it may ask for minutes): after backfill_hold the
// coin is released. Its held trades and every later live trade are
// delivered at once; the ids delivered live are kept as ranges (`live`,
// usually one range growing at its end) above `fill_from`, the first id of
// the gap not yet delivered. Each REST page then delivers the ids between
// fill_from and the newest live id that no range covers, and moves
// fill_from past them and past the ranges it reaches; the catch-up ends
// when fill_from passes the newest live id. A gap trade replayed late is
// evaluated as any trade: it fires only alerts armed before its exchange
// time that are still armed, so an alert a later live trade fired already
// is not fired twice; the evaluator keeps the newest trade as the coin's
// price (core::last_prices).
#include "daemon/clock.hpp"
#include "daemon/feed/exchange_text.hpp"
#include "daemon/feed/market_feed.hpp"
#include "daemon/log.hpp"

#include <boost/beast/core/bind_handler.hpp>

#include <algorithm>
#include <chrono>

namespace kryptod::daemon::feed {

namespace beast = boost::beast;
namespace net = boost::asio;

void market_feed::on_live_trade(core::symbol_id symbol, std::int64_t id, core::price price,
                                core::millis time) {
    auto& c = coins_[symbol];
    if (c.catching_up) {
        if (c.released) return on_released_trade(symbol, id, price, time);
        if (c.held.size() >= options_.live_buffer_max) {
            // Bounded memory: the REST pages cover what is dropped here.
            metrics_.dropped_live += c.held.size();
            c.held.clear();
        }
        c.held.push_back({id, price, time});
        return;
    }
    if (c.last_id >= 0 && id <= c.last_id) {
        ++metrics_.duplicates;
        return;
    }
    if (c.last_id >= 0 && id > c.last_id + 1) {
        ++metrics_.gaps;
        c.held.push_back({id, price, time});
        start_catch_up(symbol);
        return;
    }
    deliver(symbol, id, price, time, false);
}

// A live trade of a released coin: delivered at once, its id kept so that
// the gap's replay skips it.
void market_feed::on_released_trade(core::symbol_id symbol, std::int64_t id, core::price price,
                                    core::millis time) {
    auto& c = coins_[symbol];
    if (id <= c.last_id) {
        ++metrics_.duplicates;
        return;
    }
    if (!c.live.empty() && c.live.back().last + 1 == id) {
        c.live.back().last = id;
    } else {
        if (id > c.last_id + 1) ++metrics_.gaps; // another gap: the same replay fills it
        c.live.push_back({id, id});
    }
    deliver(symbol, id, price, time, false);
    if (skip_delivered(c)) end_catch_up(symbol);
}

void market_feed::deliver(core::symbol_id symbol, std::int64_t id, core::price price,
                          core::millis time, bool backfilled) {
    auto& c = coins_[symbol];
    c.last_id = id;
    c.last_time = time;
    if (backfilled) ++metrics_.backfilled_trades;
    sink_.on_trade(symbol, id, price, time, backfilled);
}

void market_feed::start_catch_up(core::symbol_id symbol) {
    auto& c = coin(symbol);
    if (c.catching_up || stopped_) return;
    c.catching_up = true;
    c.released = false;
    ++c.serial;
    c.since = std::chrono::steady_clock::now();
    c.catch_up_rounds = 0;
    if (c.last_id < 0) return finish_catch_up(symbol);
    arm_hold_timer();
    auto const now = wall_clock_now();
    if (c.last_time > 0 && now - c.last_time > options_.backfill_max.count()) {
        log::notice("binance feed: ", symbols_.name(symbol), " missed ", (now - c.last_time) / 1000,
                    " s; replaying 1-minute klines");
        std::weak_ptr<market_feed> weak = weak_from_this();
        rest_->fetch_klines(std::string(symbols_.name(symbol)), c.last_time, now,
                            [weak, symbol, serial = c.serial, now](std::string const& error,
                                                                   std::vector<kline> klines) {
                                if (auto self = weak.lock())
                                    self->on_klines(symbol, serial, now, error, std::move(klines));
                            });
        return;
    }
    fetch_page(symbol);
}

void market_feed::fetch_page(core::symbol_id symbol) {
    auto const& c = coins_[symbol];
    std::weak_ptr<market_feed> weak = weak_from_this();
    rest_->fetch_agg_trades(
        std::string(symbols_.name(symbol)), c.released ? c.fill_from : c.last_id + 1,
        options_.backfill_page_limit,
        [weak, symbol, serial = c.serial](std::string const& error, std::vector<agg_trade> trades) {
            if (auto self = weak.lock()) self->on_page(symbol, serial, error, std::move(trades));
        });
}

void market_feed::on_page(core::symbol_id symbol, std::uint64_t serial, std::string const& error,
                          std::vector<agg_trade> trades) {
    if (stopped_ || !coins_[symbol].catching_up || coins_[symbol].serial != serial) return;
    auto& c = coins_[symbol];
    if (!error.empty()) {
        // Only a final refusal gets here (rest_backfill retries the rest).
        ++metrics_.backfill_failures;
        log::warning("binance feed: backfill of ", symbols_.name(symbol), " failed: ", error,
                     "; trades after id ", c.released ? c.fill_from - 1 : c.last_id,
                     " may be missing");
        if (c.released) return end_catch_up(symbol);
        c.catch_up_rounds = 1000; // give up: deliver what is held
        return finish_catch_up(symbol);
    }
    if (c.released) return replay_page(symbol, trades);
    for (auto const& t : trades)
        if (t.id > c.last_id) deliver(symbol, t.id, t.price, t.time, true);
    if (trades.size() >= options_.backfill_page_limit) return fetch_page(symbol);
    finish_catch_up(symbol);
}

// A page of a released coin's gap: its trades that were not delivered live,
// in id order. Trades past the newest live id (the stream has not brought
// them yet) are delivered as in any catch-up, and their live copies dropped.
void market_feed::replay_page(core::symbol_id symbol, std::vector<agg_trade> const& trades) {
    auto& c = coins_[symbol];
    bool progressed = false;
    for (auto const& t : trades) {
        if (t.id < c.fill_from) continue;
        progressed = true;
        if (t.id > c.last_id) {
            deliver(symbol, t.id, t.price, t.time, true);
        } else {
            while (!c.live.empty() && c.live.front().last < t.id)
                c.live.pop_front();
            if (!c.live.empty() && c.live.front().first <= t.id) {
                ++metrics_.duplicates; // delivered live already
            } else {
                ++metrics_.backfilled_trades;
                sink_.on_trade(symbol, t.id, t.price, t.time, true);
            }
        }
        c.fill_from = t.id + 1;
        c.fill_time = t.time;
    }
    if (skip_delivered(c)) return end_catch_up(symbol);
    if (trades.size() >= options_.backfill_page_limit) return fetch_page(symbol);
    // The page ended below the newest live id: the REST view lags the
    // stream's. Ask again a few times, then give the rest up.
    if (!progressed && ++c.catch_up_rounds > 3) {
        ++metrics_.backfill_failures;
        log::warning("binance feed: the REST API has no trades of ", symbols_.name(symbol),
                     " from id ", c.fill_from, "; they may be missing");
        return end_catch_up(symbol);
    }
    fetch_page(symbol);
}

// Moves a released coin's fill_from past the ids delivered live that it
// reached. Returns true when nothing is left to fill.
bool market_feed::skip_delivered(coin_state& c) {
    while (!c.live.empty() && c.live.front().first <= c.fill_from) {
        c.fill_from = std::max(c.fill_from, c.live.front().last + 1);
        c.live.pop_front();
    }
    return c.fill_from > c.last_id;
}

void market_feed::on_klines(core::symbol_id symbol, std::uint64_t serial, core::millis gap_end,
                            std::string const& error, std::vector<kline> klines) {
    if (stopped_ || !coins_[symbol].catching_up || coins_[symbol].serial != serial) return;
    auto& c = coins_[symbol];
    if (!error.empty()) {
        ++metrics_.backfill_failures;
        log::warning("binance feed: kline backfill of ", symbols_.name(symbol), " failed: ", error);
    }
    for (auto const& k : klines) {
        ++metrics_.backfilled_ranges;
        sink_.on_range(symbol, k.low, k.high, k.open_time, k.close_time);
    }
    // Released, the live trades are ahead: they stay the position.
    if (c.released) return end_catch_up(symbol);
    // The klines stand for every trade up to gap_end: continue from the next
    // live trade.
    c.last_id = -1;
    c.last_time = gap_end;
    finish_catch_up(symbol);
}

void market_feed::finish_catch_up(core::symbol_id symbol) {
    auto& c = coins_[symbol];
    auto held = std::move(c.held);
    c.held.clear();
    std::sort(held.begin(), held.end(), [](auto const& a, auto const& b) { return a.id < b.id; });
    auto first =
        std::find_if(held.begin(), held.end(), [&](auto const& t) { return t.id > c.last_id; });
    if (c.last_id >= 0 && first != held.end() && first->id > c.last_id + 1 &&
        c.catch_up_rounds < 3) {
        // The REST answer ended before the first held trade (its view lags the
        // stream's): ask again.
        ++c.catch_up_rounds;
        c.held = std::move(held);
        return fetch_page(symbol);
    }
    c.catching_up = false;
    for (auto it = first; it != held.end(); ++it)
        if (it->id > c.last_id) deliver(symbol, it->id, it->price, it->time, false);
}

// The hold ran out with the gap not filled: deliver what is held and let
// live trades pass from now on (see the top of the file).
void market_feed::release(core::symbol_id symbol) {
    auto& c = coins_[symbol];
    c.released = true;
    c.catch_up_rounds = 0;
    ++metrics_.released;
    c.fill_from = c.last_id + 1;
    c.fill_time = c.last_time;
    c.live.clear();
    log::warning("binance feed: ", symbols_.name(symbol), " gap from id ", c.fill_from,
                 " not filled after ", options_.backfill_hold.count(),
                 " ms; evaluating live trades meanwhile");
    auto held = std::move(c.held);
    c.held.clear();
    std::sort(held.begin(), held.end(), [](auto const& a, auto const& b) { return a.id < b.id; });
    // As if they came now: the first that meets the replay's end (no gap
    // after all) ends the catch-up, and the rest pass as usual.
    for (auto const& t : held)
        on_live_trade(symbol, t.id, t.price, t.time);
}

void market_feed::end_catch_up(core::symbol_id symbol) {
    auto& c = coins_[symbol];
    auto const took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - c.since);
    log::notice("binance feed: ", symbols_.name(symbol), " caught up after ", took.count(), " ms");
    c.catching_up = false;
    c.released = false;
    ++c.serial;
    c.live.clear();
    c.fill_from = -1;
}

void market_feed::arm_hold_timer() {
    auto due = std::chrono::steady_clock::time_point::max();
    for (auto const& c : coins_)
        if (c.catching_up && !c.released) due = std::min(due, c.since + options_.backfill_hold);
    if (due == std::chrono::steady_clock::time_point::max() || stopped_) return;
    if (hold_timer_.expiry() == due) return; // already waiting for it
    hold_timer_.expires_at(due);
    hold_timer_.async_wait(
        beast::bind_front_handler(&market_feed::on_hold_timer, shared_from_this()));
}

void market_feed::on_hold_timer(boost::system::error_code ec) {
    if (ec || stopped_) return;
    auto const now = std::chrono::steady_clock::now();
    for (core::symbol_id i = 0; i < coins_.size(); ++i) {
        auto const& c = coins_[i];
        if (c.followed && c.catching_up && !c.released && c.since + options_.backfill_hold <= now)
            release(i);
    }
    arm_hold_timer();
}

} // namespace kryptod::daemon::feed
