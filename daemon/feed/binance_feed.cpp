// binance_feed: the connect chain (resolve -> TCP -> TLS with SNI and host
// name verification -> websocket handshake) and the read and write loops of
// one Binance connection, as in Beast's async-ssl websocket client.
//
// Deadlines: the TCP stream's expiry covers resolve-to-TLS; Beast's
// websocket timeout covers the handshake (connect_timeout); the idle period
// (stale_after, with a keep-alive ping at half of it) is watched by
// idle_timer_, which compares the time of the last frame heard with the
// clock, so reading a frame costs one clock read and no timer operation.
// Nothing throws out of a handler: every error arrives as an error_code and
// ends in fail() or finish().
//
// Reading: one async_read per completion, then every further message that
// read_ahead_stream already holds whole is read synchronously in the same
// handler (up to a batch), so that a burst costs one trip through the
// io_context per batch rather than per message (see read_ahead_stream.hpp).
#include "daemon/feed/binance_feed.hpp"

#include "daemon/feed/exchange_text.hpp"
#include "daemon/log.hpp"

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/ssl.h>

namespace kryptod::daemon::feed {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

binance_feed::binance_feed(net::io_context& ioc, net::ssl::context& ssl, endpoint where,
                           feed_options const& options, core::symbol_table const& symbols,
                           std::weak_ptr<feed_listener> owner, std::uint64_t serial)
    : ioc_(ioc)
    , resolver_(ioc)
    , rate_timer_(ioc)
    , idle_timer_(ioc)
    , where_(std::move(where))
    , options_(options)
    , symbols_(symbols)
    , owner_(std::move(owner))
    , serial_(serial) {
    if (where_.tls)
        tls_ = std::make_unique<tls_ws>(ioc, ssl);
    else
        plain_ = std::make_unique<plain_ws>(ioc);
}

beast::tcp_stream& binance_feed::lowest_layer() {
    return tls_ ? beast::get_lowest_layer(*tls_) : beast::get_lowest_layer(*plain_);
}

void binance_feed::run() {
    resolver_.async_resolve(
        where_.host, where_.port,
        beast::bind_front_handler(&binance_feed::on_resolve, shared_from_this()));
}

void binance_feed::on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail(ec, "resolve");
    if (stopping_) return finish("stopped");
    lowest_layer().expires_after(options_.connect_timeout);
    lowest_layer().async_connect(
        results, beast::bind_front_handler(&binance_feed::on_connect, shared_from_this()));
}

void binance_feed::on_connect(beast::error_code ec, tcp::endpoint) {
    if (ec) return fail(ec, "connect");
    if (stopping_) return finish("stopped");
    // Requests and pongs are tiny and must not wait for Nagle's algorithm.
    beast::error_code ignored;
    lowest_layer().socket().set_option(tcp::no_delay(true), ignored);
    if (!tls_) {
        configure_websocket();
        plain_->async_handshake(
            where_.host + ":" + where_.port, where_.target,
            beast::bind_front_handler(&binance_feed::on_handshake, shared_from_this()));
        return;
    }
    // SNI: Binance's front end picks the certificate by it.
    auto& tls = tls_->next_layer().next_layer();
    if (!SSL_set_tlsext_host_name(tls.native_handle(), where_.host.c_str())) {
        return fail(
            beast::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()),
            "tls sni");
    }
    tls.set_verify_mode(net::ssl::verify_peer);
    tls.set_verify_callback(net::ssl::host_name_verification(where_.host));
    lowest_layer().expires_after(options_.connect_timeout);
    tls.async_handshake(
        net::ssl::stream_base::client,
        beast::bind_front_handler(&binance_feed::on_tls_handshake, shared_from_this()));
}

void binance_feed::on_tls_handshake(beast::error_code ec) {
    if (ec) return fail(ec, "tls handshake");
    if (stopping_) return finish("stopped");
    configure_websocket();
    tls_->async_handshake(
        where_.host + ":" + where_.port, where_.target,
        beast::bind_front_handler(&binance_feed::on_handshake, shared_from_this()));
}

void binance_feed::configure_websocket() {
    // The websocket's own timeouts take over from the TCP stream's.
    lowest_layer().expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = options_.connect_timeout;
    t.idle_timeout = websocket::stream_base::none(); // idle_timer_'s job, see the top
    t.keep_alive_pings = false;
    auto const apply = [&](auto& ws) {
        ws.set_option(t);
        // Pings and pongs count as signs of life, as frames do.
        ws.control_callback([weak = weak_from_this()](websocket::frame_type, beast::string_view) {
            if (auto self = weak.lock()) self->last_heard_ = std::chrono::steady_clock::now();
        });
        ws.read_message_max(options_.read_message_max);
        ws.auto_fragment(false);
        ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(beast::http::field::user_agent, "kryptod");
        }));
    };
    if (tls_)
        apply(*tls_);
    else
        apply(*plain_);
}

void binance_feed::on_handshake(beast::error_code ec) {
    if (ec) return fail(ec, "websocket handshake");
    if (stopping_) {
        stop();
        return;
    }
    if (tls_)
        tls_->next_layer().start_framing();
    else
        plain_->next_layer().start_framing();
    connected_ = true;
    connected_at_ = std::chrono::steady_clock::now();
    last_heard_ = connected_at_;
    pinged_after_ = {}; // no ping yet for this silence
    arm_idle_timer(last_heard_ + options_.stale_after / 2);
    if (auto owner = owner_.lock()) owner->on_connected(*this);
    do_read();
    do_write();
}

void binance_feed::arm_idle_timer(std::chrono::steady_clock::time_point at) {
    idle_timer_.expires_at(at);
    idle_timer_.async_wait(
        beast::bind_front_handler(&binance_feed::on_idle_timer, shared_from_this()));
}

void binance_feed::on_idle_timer(beast::error_code ec) {
    if (ec || ended_ || stopping_) return;
    auto const silence = std::chrono::steady_clock::now() - last_heard_;
    if (silence >= options_.stale_after)
        return finish("stale: nothing received for " +
                      std::to_string(options_.stale_after.count()) + " ms");
    if (silence < options_.stale_after / 2)
        return arm_idle_timer(last_heard_ + options_.stale_after / 2);
    // Quiet for half the limit: one ping per silence, whose pong (or any
    // frame) moves last_heard_ on.
    if (pinged_after_ != last_heard_) {
        pinged_after_ = last_heard_;
        ping_due_ = true;
        do_write();
    }
    arm_idle_timer(last_heard_ + options_.stale_after);
}

void binance_feed::on_ping(beast::error_code ec) {
    writing_ = false;
    if (ec) return fail(ec, "ping");
    do_write();
}

void binance_feed::do_read() {
    auto handler = beast::bind_front_handler(&binance_feed::on_read, shared_from_this());
    if (tls_)
        tls_->async_read(buffer_, std::move(handler));
    else
        plain_->async_read(buffer_, std::move(handler));
}

void binance_feed::on_read(beast::error_code ec, std::size_t bytes) {
    if (ec) return fail(ec, "read");
    last_heard_ = std::chrono::steady_clock::now();
    auto owner = owner_.lock();
    if (!owner) return stop();
    if (!handle_message(*owner, bytes)) return;
    // Messages already buffered whole are read synchronously: reading them
    // cannot wait on the network (see read_ahead_stream.hpp). Not while a
    // write is in flight, since a synchronous read that meets a protocol
    // error writes its close frame at once; and a bounded number, so that
    // timers and writes get their turn.
    constexpr int batch = 256;
    for (int i = 0; i < batch && !writing_ && !ended_ && !stopping_; ++i) {
        if (tls_) {
            if (!tls_->next_layer().frame_ready(options_.read_message_max)) break;
            bytes = tls_->read(buffer_, ec);
        } else {
            if (!plain_->next_layer().frame_ready(options_.read_message_max)) break;
            bytes = plain_->read(buffer_, ec);
        }
        if (ec) return fail(ec, "read");
        if (!handle_message(*owner, bytes)) return;
    }
    if (ended_ || stopping_) return;
    do_read();
}

bool binance_feed::handle_message(feed_listener& owner, std::size_t bytes) {
    bool const text = tls_ ? tls_->got_text() : plain_->got_text();
    if (!text) {
        owner.on_binary_frame(*this, bytes);
    } else {
        // Grow the buffer past the frame so simdjson reads it in place.
        buffer_.prepare(binance_decoder::padding);
        auto const* data = static_cast<char const*>(buffer_.data().data());
        auto const size = buffer_.size();
        auto const& frame =
            decoder_.decode_padded(data, size, size + binance_decoder::padding, symbols_);
        trades_ += frame.kind == frame_kind::trade;
        if (frame.kind == frame_kind::subscription_result || frame.kind == frame_kind::error)
            handle_reply(frame);
        owner.on_frame(*this, frame, bytes);
    }
    buffer_.consume(buffer_.size());
    return !ended_ && !stopping_;
}

void binance_feed::handle_reply(decoded_frame const& frame) {
    auto const it = in_flight_.find(static_cast<std::uint64_t>(frame.request_id));
    if (frame.request_id < 0 || it == in_flight_.end()) {
        if (frame.kind == frame_kind::error)
            log::warning("binance feed: error reply ", frame.error_code,
                         " without a known request: ", exchange_text(frame.error_message));
        return;
    }
    request const req = std::move(it->second);
    in_flight_.erase(it);
    bool const ok = frame.kind == frame_kind::subscription_result;
    if (!ok)
        log::warning("binance feed: ", req.method, " (id ", req.id, ") refused with code ",
                     frame.error_code, ": ", exchange_text(frame.error_message));
    if (auto owner = owner_.lock()) owner->on_reply(*this, req.method, req.streams, ok);
}

bool binance_feed::subscribe(std::vector<std::string> const& streams) {
    return enqueue("SUBSCRIBE", streams);
}

bool binance_feed::unsubscribe(std::vector<std::string> const& streams) {
    return enqueue("UNSUBSCRIBE", streams);
}

bool binance_feed::enqueue(std::string_view method, std::vector<std::string> const& streams) {
    if (ended_ || stopping_) return false;
    std::size_t const requests =
        (streams.size() + max_streams_per_request - 1) / max_streams_per_request;
    if (queue_.size() + requests > max_queued_requests) return false;
    for (std::size_t i = 0; i < streams.size(); i += max_streams_per_request) {
        request r;
        r.id = next_id_++;
        r.method = std::string(method);
        auto const end = std::min(streams.size(), i + max_streams_per_request);
        r.streams.assign(streams.begin() + static_cast<std::ptrdiff_t>(i),
                         streams.begin() + static_cast<std::ptrdiff_t>(end));
        r.text = "{\"method\":\"" + r.method + "\",\"params\":[";
        for (std::size_t k = 0; k < r.streams.size(); ++k) {
            if (k) r.text += ',';
            r.text += '"' + r.streams[k] + '"';
        }
        r.text += "],\"id\":" + std::to_string(r.id) + "}";
        queue_.push_back(std::move(r));
    }
    if (connected_) do_write();
    return true;
}

void binance_feed::do_write() {
    if (writing_ || !connected_ || stopping_ || ended_) return;
    if (ping_due_) {
        // Keep-alive pings are not JSON requests: they skip the rate limit
        // but, like every write, wait for the one write slot.
        ping_due_ = false;
        writing_ = true;
        auto handler = beast::bind_front_handler(&binance_feed::on_ping, shared_from_this());
        if (tls_)
            tls_->async_ping({}, std::move(handler));
        else
            plain_->async_ping({}, std::move(handler));
        return;
    }
    if (rate_waiting_ || queue_.empty()) return;
    auto const now = std::chrono::steady_clock::now();
    while (!sent_times_.empty() && now - sent_times_.front() >= std::chrono::seconds(1))
        sent_times_.pop_front();
    if (sent_times_.size() >= options_.control_messages_per_second) {
        // Wait until the oldest send leaves the one-second window.
        rate_waiting_ = true;
        rate_timer_.expires_at(sent_times_.front() + std::chrono::seconds(1) +
                               std::chrono::milliseconds(5));
        rate_timer_.async_wait(
            beast::bind_front_handler(&binance_feed::on_rate_timer, shared_from_this()));
        return;
    }
    sent_times_.push_back(now);
    writing_ = true;
    auto& req = queue_.front();
    auto handler = beast::bind_front_handler(&binance_feed::on_write, shared_from_this());
    if (tls_) {
        tls_->text(true);
        tls_->async_write(net::buffer(req.text), std::move(handler));
    } else {
        plain_->text(true);
        plain_->async_write(net::buffer(req.text), std::move(handler));
    }
}

void binance_feed::on_rate_timer(beast::error_code ec) {
    rate_waiting_ = false;
    if (ec) return;
    do_write();
}

void binance_feed::on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return fail(ec, "write");
    request req = std::move(queue_.front());
    queue_.pop_front();
    auto const id = req.id;
    in_flight_.emplace(id, std::move(req));
    do_write();
}

void binance_feed::stop() {
    if (stopping_ || ended_) return;
    stopping_ = true;
    rate_timer_.cancel();
    idle_timer_.cancel();
    resolver_.cancel();
    if (connected_) {
        auto handler = beast::bind_front_handler(&binance_feed::on_close, shared_from_this());
        if (tls_)
            tls_->async_close(websocket::close_code::normal, std::move(handler));
        else
            plain_->async_close(websocket::close_code::normal, std::move(handler));
    } else {
        // Not yet a websocket: closing the socket aborts whatever is pending,
        // whose handler then reports the end.
        beast::error_code ignored;
        lowest_layer().socket().close(ignored);
    }
}

void binance_feed::on_close(beast::error_code ec) {
    // The pending read completes with `closed` (or an error) and reports the
    // end; closing the socket guarantees it does even if the peer never
    // answers the close.
    if (ec) {
        beast::error_code ignored;
        lowest_layer().socket().close(ignored);
    }
}

void binance_feed::fail(beast::error_code ec, char const* what) {
    if (ended_) return;
    if (stopping_ && (ec == net::error::operation_aborted || ec == websocket::error::closed))
        return finish("stopped");
    finish(std::string(what) + ": " + ec.message());
}

void binance_feed::finish(std::string const& reason) {
    if (ended_) return;
    ended_ = true;
    connected_ = false;
    rate_timer_.cancel();
    idle_timer_.cancel();
    beast::error_code ignored;
    lowest_layer().socket().close(ignored);
    queue_.clear();
    in_flight_.clear();
    if (auto owner = owner_.lock()) owner->on_closed(*this, reason);
}

} // namespace kryptod::daemon::feed
