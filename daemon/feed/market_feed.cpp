// market_feed: connections, coin list, gap detection and backfill.
//
// A gap is noticed in two ways: a connection (re)subscribes while the coin
// already has a last id (reconnect, restart), or a live id jumps past last+1.
// Either way the coin "catches up": its live trades are held while REST pages
// from last+1 are delivered, then the held ones follow, duplicates dropped by
// id. Catching up on every resubscription costs one small REST request when
// nothing was missed, and it is what makes a silent cut lose nothing even for
// a coin that trades rarely.
#include "daemon/feed/market_feed.hpp"

#include "daemon/log.hpp"

#include <boost/beast/core/bind_handler.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace kryptod::daemon::feed {

namespace beast = boost::beast;
namespace net = boost::asio;

namespace {

core::millis wall_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

market_feed::market_feed(net::io_context& ioc, feed_options options,
                         core::symbol_table const& symbols, trade_sink& sink)
    : ioc_(ioc)
    , options_(std::move(options))
    , ssl_(net::ssl::context::tls_client)
    , symbols_(symbols)
    , sink_(sink)
    , rng_(std::random_device{}()) {
    std::string error;
    auto ep = parse_endpoint(options_.url, error);
    if (!ep) throw std::invalid_argument("feed.url: " + error);
    if (ep->port.empty()) throw std::invalid_argument("feed.url: no port");
    where_ = *ep;
    if (options_.ca_file.empty())
        ssl_.set_default_verify_paths();
    else
        ssl_.load_verify_file(options_.ca_file.string());
    ssl_.set_verify_mode(net::ssl::verify_peer);
    if (options_.max_streams_per_connection == 0 || options_.control_messages_per_second == 0)
        throw std::invalid_argument("feed: stream and message limits must be positive");
    rest_ = std::make_shared<rest_backfill>(ioc_, ssl_, options_);
}

market_feed::~market_feed() = default;

market_feed::coin_state& market_feed::coin(core::symbol_id symbol) {
    if (symbol >= coins_.size()) coins_.resize(symbol + 1);
    return coins_[symbol];
}

std::string market_feed::stream_name(core::symbol_id symbol) const {
    std::string name(symbols_.name(symbol));
    for (char& c : name)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return name + "@aggTrade";
}

std::vector<std::string> market_feed::streams_of(slot const& s) const {
    std::vector<std::string> out;
    out.reserve(s.coins.size());
    for (auto sym : s.coins)
        out.push_back(stream_name(sym));
    return out;
}

void market_feed::start(std::vector<std::string> const& coins,
                        std::vector<resume_point> const& resume) {
    started_ = true;
    for (auto const& r : resume) {
        if (auto sym = symbols_.find(r.symbol)) {
            auto& c = coin(*sym);
            c.last_id = r.last_id;
            c.last_time = r.last_time;
        }
    }
    for (auto const& name : coins)
        if (!add_coin(name))
            log::warning("binance feed: coin `", log::one_line(name), "` is not known; skipped");
    for (std::size_t i = 0; i < slots_.size(); ++i)
        if (!slots_[i].conn) connect_slot(i);
}

bool market_feed::add_coin(std::string_view symbol) {
    auto const sym = symbols_.find(symbol);
    if (!sym) return false;
    auto& c = coin(*sym);
    if (c.followed) return true;
    c.followed = true;
    std::size_t i = 0;
    while (i < slots_.size() && slots_[i].coins.size() >= options_.max_streams_per_connection)
        ++i;
    bool const fresh = i == slots_.size();
    if (fresh) slots_.emplace_back(ioc_, options_);
    c.slot = i;
    auto& s = slots_[i];
    s.coins.push_back(*sym);
    std::vector<std::string> const stream{stream_name(*sym)};
    if (s.conn && s.conn->connected()) s.conn->subscribe(stream);
    if (s.next && s.next->connected()) s.next->subscribe(stream);
    if (fresh && started_ && !stopped_) connect_slot(i);
    return true;
}

bool market_feed::remove_coin(std::string_view symbol) {
    auto const sym = symbols_.find(symbol);
    if (!sym || *sym >= coins_.size() || !coins_[*sym].followed) return false;
    auto& c = coins_[*sym];
    c.followed = false;
    // Its history no longer matters: following it again starts afresh rather
    // than replaying everything since today.
    c.last_id = -1;
    c.catching_up = false;
    c.held.clear();
    auto& s = slots_[c.slot];
    s.coins.erase(std::remove(s.coins.begin(), s.coins.end(), *sym), s.coins.end());
    std::vector<std::string> const stream{stream_name(*sym)};
    if (s.conn && s.conn->connected()) s.conn->unsubscribe(stream);
    if (s.next && s.next->connected()) s.next->unsubscribe(stream);
    return true;
}

std::vector<std::string> market_feed::coins() const {
    std::vector<std::string> out;
    for (core::symbol_id i = 0; i < coins_.size(); ++i)
        if (coins_[i].followed) out.emplace_back(symbols_.name(i));
    return out;
}

std::int64_t market_feed::last_id(core::symbol_id symbol) const noexcept {
    return symbol < coins_.size() ? coins_[symbol].last_id : -1;
}

std::shared_ptr<binance_feed> market_feed::open(std::size_t) {
    auto conn = std::make_shared<binance_feed>(ioc_, ssl_, where_, options_, symbols_,
                                               weak_from_this(), next_serial_++);
    conn->run();
    return conn;
}

void market_feed::connect_slot(std::size_t i) {
    if (stopped_) return;
    slots_[i].subscribed = false;
    slots_[i].conn = open(i);
}

market_feed::slot* market_feed::slot_of(binance_feed const& conn, bool& is_next) {
    for (auto& s : slots_) {
        if (s.conn.get() == &conn) {
            is_next = false;
            return &s;
        }
        if (s.next.get() == &conn) {
            is_next = true;
            return &s;
        }
    }
    return nullptr;
}

void market_feed::on_connected(binance_feed& conn) {
    bool is_next = false;
    auto* s = slot_of(conn, is_next);
    if (!s || stopped_) return conn.stop();
    auto const streams = streams_of(*s);
    if (is_next) {
        s->next_pending = (streams.size() + binance_feed::max_streams_per_request - 1) /
                          binance_feed::max_streams_per_request;
        if (s->next_pending == 0) {
            auto old = std::move(s->conn);
            s->conn = std::move(s->next);
            if (old) old->stop();
            arm_roll(static_cast<std::size_t>(s - slots_.data()));
        } else {
            conn.subscribe(streams);
        }
        return;
    }
    log::info("binance feed: connected to ", where_.host, ":", where_.port, where_.target,
              ", subscribing ", streams.size(), " streams");
    if (!streams.empty())
        conn.subscribe(streams);
    else
        s->subscribed = true;
    arm_roll(static_cast<std::size_t>(s - slots_.data()));
}

void market_feed::arm_roll(std::size_t i) {
    auto& s = slots_[i];
    s.roll_timer->expires_after(options_.max_connection_age);
    s.roll_timer->async_wait(
        beast::bind_front_handler(&market_feed::on_roll_timer, shared_from_this(), i));
}

void market_feed::on_reply(binance_feed& conn, std::string_view method,
                           std::vector<std::string> const& streams, bool ok) {
    if (!ok) ++metrics_.error_replies;
    bool is_next = false;
    auto* s = slot_of(conn, is_next);
    if (!s || stopped_ || method != "SUBSCRIBE") return;
    if (is_next) {
        // The replacement is live once all of its streams are: only then may
        // the old connection go.
        if (s->next_pending > 0 && --s->next_pending == 0) {
            auto old = std::move(s->conn);
            s->conn = std::move(s->next);
            s->subscribed = true;
            if (old) old->stop();
            arm_roll(static_cast<std::size_t>(s - slots_.data()));
            log::info("binance feed: connection replaced");
        }
        return;
    }
    if (!ok) return;
    s->subscribed = true;
    // Whatever traded while these streams were not followed is fetched now.
    for (auto const& stream : streams) {
        auto const at = stream.find('@');
        if (auto sym = symbols_.find(stream.substr(0, at));
            sym && coin(*sym).followed && coin(*sym).last_id >= 0)
            start_catch_up(*sym);
    }
}

void market_feed::on_frame(binance_feed& conn, decoded_frame const& frame, std::size_t bytes) {
    if (stopped_) return;
    ++metrics_.frames;
    metrics_.bytes += bytes;
    auto const now = wall_now();
    last_frame_time_ = now;
    switch (frame.kind) {
    case frame_kind::trade:
        ++metrics_.trades;
        if (frame.event_time > 0) metrics_.last_lag_ms = now - frame.event_time;
        if (frame.aggregate && frame.symbol && *frame.symbol < coins_.size() &&
            coins_[*frame.symbol].followed)
            on_live_trade(*frame.symbol, frame.trade_id, frame.price, frame.trade_time);
        break;
    case frame_kind::malformed:
        ++metrics_.decode_errors;
        log::debug("binance feed: dropped a malformed frame: ", frame.reason);
        break;
    case frame_kind::server_shutdown: {
        bool is_next = false;
        auto* s = slot_of(conn, is_next);
        if (s && !is_next) {
            log::notice("binance feed: server announced shutdown; replacing the connection");
            roll_slot(static_cast<std::size_t>(s - slots_.data()));
        }
        break;
    }
    default:
        break;
    }
}

void market_feed::on_binary_frame(binance_feed&, std::size_t bytes) {
    ++metrics_.frames;
    ++metrics_.binary_frames;
    ++metrics_.decode_errors;
    metrics_.bytes += bytes;
}

void market_feed::on_closed(binance_feed& conn, std::string const& reason) {
    if (stopped_) return;
    bool is_next = false;
    auto* s = slot_of(conn, is_next);
    if (!s) return; // an old connection closed after a roll
    std::size_t const index = static_cast<std::size_t>(s - slots_.data());
    if (is_next) {
        s->next.reset();
        log::warning("binance feed: replacement connection failed (", reason,
                     "); keeping the current one");
        s->roll_timer->expires_after(
            std::max(options_.backoff_max, std::chrono::milliseconds(1000)));
        s->roll_timer->async_wait(
            beast::bind_front_handler(&market_feed::on_roll_timer, shared_from_this(), index));
        return;
    }
    last_error_ = reason;
    ++metrics_.reconnects;
    auto const lived = conn.connected_at().time_since_epoch().count() != 0
                           ? std::chrono::steady_clock::now() - conn.connected_at()
                           : std::chrono::steady_clock::duration::zero();
    if (lived >= options_.stable_after) s->delays.reset();
    s->conn.reset();
    s->subscribed = false;
    s->roll_timer->cancel();
    if (s->next) {
        // The replacement is already on its way: it becomes the connection.
        s->conn = std::move(s->next);
        s->next_pending = 0;
        if (s->conn->connected()) arm_roll(index);
        return;
    }
    auto const delay = s->delays.next(rng_);
    log::warning("binance feed: connection ended (", reason, "); reconnecting in ", delay.count(),
                 " ms");
    s->retry->expires_after(delay);
    s->retry->async_wait(
        beast::bind_front_handler(&market_feed::on_retry, shared_from_this(), index));
}

void market_feed::on_retry(std::size_t i, boost::system::error_code ec) {
    if (ec || stopped_ || slots_[i].conn) return;
    connect_slot(i);
}

void market_feed::on_roll_timer(std::size_t i, boost::system::error_code ec) {
    if (ec || stopped_) return;
    roll_slot(i);
}

void market_feed::roll_slot(std::size_t i) {
    auto& s = slots_[i];
    if (stopped_ || s.next || !s.conn || !s.conn->connected()) return;
    ++metrics_.rolls;
    s.next = open(i);
}

void market_feed::roll() {
    for (std::size_t i = 0; i < slots_.size(); ++i)
        roll_slot(i);
}

void market_feed::on_live_trade(core::symbol_id symbol, std::int64_t id, core::price price,
                                core::millis time) {
    auto& c = coins_[symbol];
    if (c.catching_up) {
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
    c.catch_up_rounds = 0;
    if (c.last_id < 0) return finish_catch_up(symbol);
    auto const now = wall_now();
    if (c.last_time > 0 && now - c.last_time > options_.backfill_max.count()) {
        log::notice("binance feed: ", symbols_.name(symbol), " missed ", (now - c.last_time) / 1000,
                    " s; replaying 1-minute klines");
        std::weak_ptr<market_feed> weak = weak_from_this();
        rest_->fetch_klines(
            std::string(symbols_.name(symbol)), c.last_time, now,
            [weak, symbol, now](std::string const& error, std::vector<kline> klines) {
                if (auto self = weak.lock()) self->on_klines(symbol, now, error, std::move(klines));
            });
        return;
    }
    fetch_page(symbol);
}

void market_feed::fetch_page(core::symbol_id symbol) {
    std::weak_ptr<market_feed> weak = weak_from_this();
    rest_->fetch_agg_trades(
        std::string(symbols_.name(symbol)), coins_[symbol].last_id + 1,
        options_.backfill_page_limit,
        [weak, symbol](std::string const& error, std::vector<agg_trade> trades) {
            if (auto self = weak.lock()) self->on_page(symbol, error, std::move(trades));
        });
}

void market_feed::on_page(core::symbol_id symbol, std::string const& error,
                          std::vector<agg_trade> trades) {
    if (stopped_ || !coins_[symbol].catching_up) return;
    if (!error.empty()) {
        ++metrics_.backfill_failures;
        log::warning("binance feed: backfill of ", symbols_.name(symbol), " failed: ", error,
                     "; trades after id ", coins_[symbol].last_id, " may be missing");
        coins_[symbol].catch_up_rounds = 1000; // give up: deliver what is held
        return finish_catch_up(symbol);
    }
    for (auto const& t : trades)
        if (t.id > coins_[symbol].last_id) deliver(symbol, t.id, t.price, t.time, true);
    if (trades.size() >= options_.backfill_page_limit) return fetch_page(symbol);
    finish_catch_up(symbol);
}

void market_feed::on_klines(core::symbol_id symbol, core::millis gap_end, std::string const& error,
                            std::vector<kline> klines) {
    if (stopped_ || !coins_[symbol].catching_up) return;
    auto& c = coins_[symbol];
    if (!error.empty()) {
        ++metrics_.backfill_failures;
        log::warning("binance feed: kline backfill of ", symbols_.name(symbol), " failed: ", error);
    }
    for (auto const& k : klines) {
        ++metrics_.backfilled_ranges;
        sink_.on_range(symbol, k.low, k.high, k.open_time, k.close_time);
    }
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

void market_feed::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& s : slots_) {
        s.retry->cancel();
        s.roll_timer->cancel();
        if (s.conn) s.conn->stop();
        if (s.next) s.next->stop();
    }
    rest_->stop();
}

feed_status market_feed::status() const {
    feed_status st;
    st.connections = slots_.size();
    st.up = !slots_.empty() && !stopped_;
    for (auto const& s : slots_) {
        bool const live = s.conn && s.conn->connected() && s.subscribed;
        if (live)
            ++st.connected;
        else
            st.up = false;
        st.streams += s.coins.size();
    }
    for (auto const& c : coins_)
        if (c.followed && c.catching_up) ++st.catching_up;
    st.last_frame_time = last_frame_time_;
    st.last_error = slots_.empty() ? std::string("no coins to follow") : last_error_;
    return st;
}

} // namespace kryptod::daemon::feed
