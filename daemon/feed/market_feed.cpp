// market_feed: connections and the coin list; the per-coin order of trades,
// gap detection and backfill are in catch_up.cpp (the same class).
//
// Connections: after a connection that worked (subscribed and delivered
// trades) a cut is an accident of the network, not a sign of trouble at the
// exchange, and is retried after the initial backoff step; repeated failures
// still back off up to backoff_max. The connection-attempt window is the
// exchange's limit, kept whatever the backoff says.
#include "daemon/feed/market_feed.hpp"

#include "daemon/clock.hpp"
#include "daemon/feed/exchange_text.hpp"
#include "daemon/log.hpp"

#include <boost/beast/core/bind_handler.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace kryptod::daemon::feed {

namespace beast = boost::beast;
namespace net = boost::asio;

market_feed::market_feed(net::io_context& ioc, feed_options options,
                         core::symbol_table const& symbols, trade_sink& sink)
    : ioc_(ioc)
    , options_(std::move(options))
    , ssl_(net::ssl::context::tls_client)
    , symbols_(symbols)
    , sink_(sink)
    , hold_timer_(ioc)
    , attempts_(std::max<std::size_t>(options_.connection_attempts_max, 1),
                options_.connection_attempts_window)
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

std::vector<std::string> market_feed::streams_of(connection const& c) const {
    std::vector<std::string> out;
    out.reserve(c.coins.size());
    for (auto sym : c.coins)
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
    for (std::size_t i = 0; i < connections_.size(); ++i)
        if (!connections_[i].conn) connect(i);
}

bool market_feed::add_coin(std::string_view symbol) {
    auto const sym = symbols_.find(symbol);
    if (!sym) return false;
    auto& c = coin(*sym);
    if (c.followed) return true;
    c.followed = true;
    std::size_t i = 0;
    while (i < connections_.size() &&
           connections_[i].coins.size() >= options_.max_streams_per_connection)
        ++i;
    bool const fresh = i == connections_.size();
    if (fresh) connections_.emplace_back(ioc_, options_);
    c.connection = i;
    auto& s = connections_[i];
    s.coins.push_back(*sym);
    std::vector<std::string> const stream{stream_name(*sym)};
    if (s.conn && s.conn->connected()) s.conn->subscribe(stream);
    if (s.next && s.next->connected()) s.next->subscribe(stream);
    if (fresh && started_ && !stopped_) connect(i);
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
    c.released = false;
    ++c.serial;
    c.held.clear();
    c.live.clear();
    auto& s = connections_[c.connection];
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

resume_point market_feed::position(core::symbol_id symbol) const {
    resume_point r;
    r.symbol = std::string(symbols_.name(symbol));
    if (symbol >= coins_.size()) return r;
    auto const& c = coins_[symbol];
    if (c.catching_up && c.released) {
        r.last_id = c.fill_from - 1;
        r.last_time = c.fill_time;
    } else {
        r.last_id = c.last_id;
        r.last_time = c.last_time;
    }
    return r;
}

std::shared_ptr<binance_feed> market_feed::open() {
    auto conn = std::make_shared<binance_feed>(ioc_, ssl_, where_, options_, symbols_,
                                               weak_from_this(), next_serial_++);
    conn->run();
    return conn;
}

// Counts a connection attempt when the exchange's limit allows one now;
// otherwise waits on `wait_on` until it does, then calls `then` again.
bool market_feed::take_attempt(net::steady_timer& wait_on, std::size_t index,
                               void (market_feed::*then)(std::size_t, boost::system::error_code)) {
    auto const now = std::chrono::steady_clock::now();
    auto const at = attempts_.next_allowed(now);
    if (at <= now) {
        attempts_.record(now);
        return true;
    }
    ++metrics_.limited_attempts;
    log::warning("binance feed: ", options_.connection_attempts_max,
                 " connection attempts in the exchange's window; the next in ",
                 std::chrono::duration_cast<std::chrono::milliseconds>(at - now).count(), " ms");
    wait_on.expires_at(at);
    wait_on.async_wait(beast::bind_front_handler(then, shared_from_this(), index));
    return false;
}

void market_feed::connect(std::size_t i) {
    if (stopped_) return;
    if (!take_attempt(*connections_[i].retry, i, &market_feed::on_retry)) return;
    connections_[i].subscribed = false;
    connections_[i].conn = open();
}

market_feed::connection* market_feed::connection_of(binance_feed const& conn, bool& is_next) {
    for (auto& s : connections_) {
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
    auto* s = connection_of(conn, is_next);
    if (!s || stopped_) return conn.stop();
    auto const streams = streams_of(*s);
    if (is_next) {
        s->next_pending = (streams.size() + binance_feed::max_streams_per_request - 1) /
                          binance_feed::max_streams_per_request;
        if (s->next_pending == 0) {
            auto old = std::move(s->conn);
            s->conn = std::move(s->next);
            if (old) old->stop();
            arm_roll(static_cast<std::size_t>(s - connections_.data()));
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
    arm_roll(static_cast<std::size_t>(s - connections_.data()));
}

void market_feed::arm_roll(std::size_t i) {
    auto& s = connections_[i];
    s.roll_timer->expires_after(options_.max_connection_age);
    s.roll_timer->async_wait(
        beast::bind_front_handler(&market_feed::on_roll_timer, shared_from_this(), i));
}

void market_feed::on_reply(binance_feed& conn, std::string_view method,
                           std::vector<std::string> const& streams, bool ok) {
    if (!ok) ++metrics_.error_replies;
    bool is_next = false;
    auto* s = connection_of(conn, is_next);
    if (!s || stopped_ || method != "SUBSCRIBE") return;
    if (is_next) {
        // The replacement is live once all of its streams are: only then may
        // the old connection go.
        if (s->next_pending > 0 && --s->next_pending == 0) {
            auto old = std::move(s->conn);
            s->conn = std::move(s->next);
            s->subscribed = true;
            if (old) old->stop();
            arm_roll(static_cast<std::size_t>(s - connections_.data()));
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
    auto const now = wall_clock_now();
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
        log::debug("binance feed: dropped a malformed frame: ", exchange_text(frame.reason));
        break;
    case frame_kind::server_shutdown: {
        bool is_next = false;
        auto* s = connection_of(conn, is_next);
        if (s && !is_next) {
            log::notice("binance feed: server announced shutdown; replacing the connection");
            roll_connection(static_cast<std::size_t>(s - connections_.data()));
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
    auto* s = connection_of(conn, is_next);
    if (!s) return; // an old connection closed after a roll
    std::size_t const index = static_cast<std::size_t>(s - connections_.data());
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
    // A connection that did its job resets the backoff; one that failed to
    // connect, to subscribe or to deliver anything lets it grow.
    if (lived >= options_.stable_after || (s->subscribed && conn.trades() > 0)) s->delays.reset();
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
    if (ec || stopped_ || connections_[i].conn) return;
    connect(i);
}

void market_feed::on_roll_timer(std::size_t i, boost::system::error_code ec) {
    if (ec || stopped_) return;
    roll_connection(i);
}

void market_feed::roll_connection(std::size_t i) {
    auto& s = connections_[i];
    if (stopped_ || s.next || !s.conn || !s.conn->connected()) return;
    if (!take_attempt(*s.roll_timer, i, &market_feed::on_roll_timer)) return;
    ++metrics_.rolls;
    s.next = open();
}

void market_feed::roll() {
    for (std::size_t i = 0; i < connections_.size(); ++i)
        roll_connection(i);
}

void market_feed::stop() {
    if (stopped_) return;
    stopped_ = true;
    hold_timer_.cancel();
    for (auto& s : connections_) {
        s.retry->cancel();
        s.roll_timer->cancel();
        if (s.conn) s.conn->stop();
        if (s.next) s.next->stop();
    }
    rest_->stop();
}

feed_status market_feed::status() const {
    feed_status st;
    st.connections = connections_.size();
    st.up = !connections_.empty() && !stopped_;
    for (auto const& s : connections_) {
        bool const live = s.conn && s.conn->connected() && s.subscribed;
        if (live)
            ++st.connected;
        else
            st.up = false;
        st.streams += s.coins.size();
    }
    auto const now = std::chrono::steady_clock::now();
    for (core::symbol_id i = 0; i < coins_.size(); ++i) {
        auto const& c = coins_[i];
        if (!c.followed) continue;
        st.followed.emplace_back(symbols_.name(i));
        if (!c.catching_up) continue;
        ++st.catching_up;
        st.catch_ups.push_back({std::string(symbols_.name(i)), now - c.since, c.released,
                                c.released ? c.fill_from : c.last_id + 1});
    }
    st.last_frame_time = last_frame_time_;
    st.last_error = connections_.empty() ? std::string("no coins to follow") : last_error_;
    st.backfill_error = rest_->last_failure();
    return st;
}

} // namespace kryptod::daemon::feed
