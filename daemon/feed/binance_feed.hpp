// binance_feed: one websocket connection to Binance's combined-stream
// endpoint, from resolve to close. It subscribes and unsubscribes streams on
// request, decodes every frame and hands it to its owner, and reports its end
// once. Reconnecting is the owner's job (market_feed).
//
// Invariants:
// - one read is always pending once connected, so the server's pings are
//   answered (Beast answers them inside the read);
// - the connection pings the server once it has heard nothing for
//   stale_after/2 and is closed when it has heard nothing (no frame, ping or
//   pong) for stale_after, so a silent stall ends within stale_after. This is
//   kept by one timer of its own that fires about twice per stale_after, not
//   by Beast's idle timeout, which re-arms a timer (a timerfd system call and
//   a cancelled wait) for every frame read: at high frame rates that cost
//   more than decoding the frame;
// - JSON requests leave through a queue, one write at a time, at most
//   control_messages_per_second in any one-second window; the queue is
//   bounded (max_queued_requests) and each request carries a unique id that
//   its reply is matched to;
// - on_closed() is reported exactly once, after which no frame is delivered;
// - what the exchange writes in an error reply is logged at most
//   max_logged_bytes long (exchange_text.hpp).
//
// Not thread-safe: every member runs on the io_context's thread.
#pragma once

#include "daemon/feed/binance_decode.hpp"
#include "daemon/feed/feed_options.hpp"
#include "daemon/feed/read_ahead_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kryptod::daemon::feed {

class binance_feed;

// What a connection tells its owner. Called on the io_context thread.
class feed_listener {
public:
    virtual ~feed_listener() = default;
    // The websocket handshake succeeded; requests may be sent.
    virtual void on_connected(binance_feed& conn) = 0;
    // A text frame was decoded (of any kind). `bytes` is its size.
    virtual void on_frame(binance_feed& conn, decoded_frame const& frame, std::size_t bytes) = 0;
    // A binary frame (not Binance's protocol): counted and dropped by the owner.
    virtual void on_binary_frame(binance_feed& conn, std::size_t bytes) = 0;
    // A request was answered: `ok` false means an error reply (already logged).
    virtual void on_reply(binance_feed& conn, std::string_view method,
                          std::vector<std::string> const& streams, bool ok) = 0;
    // The connection ended (failed to connect, was cut, stalled or closed).
    virtual void on_closed(binance_feed& conn, std::string const& reason) = 0;
};

class binance_feed : public std::enable_shared_from_this<binance_feed> {
public:
    static constexpr std::size_t max_queued_requests = 1024;
    static constexpr std::size_t max_streams_per_request = 200;

    // `ssl` and `symbols` must outlive the io_context's run (pending handlers
    // keep the connection alive); `ssl` is used only for wss:// endpoints.
    binance_feed(boost::asio::io_context& ioc, boost::asio::ssl::context& ssl, endpoint where,
                 feed_options const& options, core::symbol_table const& symbols,
                 std::weak_ptr<feed_listener> owner, std::uint64_t serial);

    // Starts connecting. Failure is reported through on_closed().
    void run();

    // Queues SUBSCRIBE / UNSUBSCRIBE requests for `streams` (split into
    // requests of at most max_streams_per_request). Returns false, queuing
    // nothing, when the queue is full or the connection has ended.
    bool subscribe(std::vector<std::string> const& streams);
    bool unsubscribe(std::vector<std::string> const& streams);

    // Closes the connection (a websocket close when open); on_closed()
    // follows. Safe to call more than once and from any state.
    void stop();

    bool connected() const noexcept { return connected_; }
    bool ended() const noexcept { return ended_; }
    std::uint64_t serial() const noexcept { return serial_; }
    std::chrono::steady_clock::time_point connected_at() const noexcept { return connected_at_; }
    // Trade frames received on this connection.
    std::uint64_t trades() const noexcept { return trades_; }

private:
    using plain_ws = boost::beast::websocket::stream<read_ahead_stream<boost::beast::tcp_stream>>;
    using tls_ws = boost::beast::websocket::stream<
        read_ahead_stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>>;

    struct request {
        std::uint64_t id;
        std::string method;
        std::vector<std::string> streams;
        std::string text;
    };

    bool enqueue(std::string_view method, std::vector<std::string> const& streams);
    boost::beast::tcp_stream& lowest_layer();
    void configure_websocket();

    void on_resolve(boost::beast::error_code ec,
                    boost::asio::ip::tcp::resolver::results_type results);
    void on_connect(boost::beast::error_code ec, boost::asio::ip::tcp::endpoint ep);
    void on_tls_handshake(boost::beast::error_code ec);
    void on_handshake(boost::beast::error_code ec);
    void do_read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    bool handle_message(feed_listener& owner, std::size_t bytes);
    void do_write();
    void on_write(boost::beast::error_code ec, std::size_t bytes);
    void on_rate_timer(boost::beast::error_code ec);
    void arm_idle_timer(std::chrono::steady_clock::time_point at);
    void on_idle_timer(boost::beast::error_code ec);
    void on_ping(boost::beast::error_code ec);
    void on_close(boost::beast::error_code ec);
    void handle_reply(decoded_frame const& frame);
    void fail(boost::beast::error_code ec, char const* what);
    void finish(std::string const& reason);

    boost::asio::io_context& ioc_;
    boost::asio::ip::tcp::resolver resolver_;
    std::unique_ptr<plain_ws> plain_;
    std::unique_ptr<tls_ws> tls_;
    boost::beast::flat_buffer buffer_;
    boost::asio::steady_timer rate_timer_;
    boost::asio::steady_timer idle_timer_;
    endpoint where_;
    feed_options options_;
    core::symbol_table const& symbols_;
    std::weak_ptr<feed_listener> owner_;
    binance_decoder decoder_;
    std::uint64_t serial_;
    std::uint64_t trades_ = 0;

    std::deque<request> queue_;
    std::map<std::uint64_t, request> in_flight_; // sent, waiting for their reply
    std::deque<std::chrono::steady_clock::time_point> sent_times_;
    std::uint64_t next_id_ = 1;
    bool writing_ = false;
    bool ping_due_ = false; // a keep-alive ping waits for the write slot
    std::chrono::steady_clock::time_point last_heard_{};   // last frame, ping or pong
    std::chrono::steady_clock::time_point pinged_after_{}; // last_heard_ when we last pinged
    bool rate_waiting_ = false;
    bool connected_ = false;
    bool stopping_ = false;
    bool ended_ = false;
    std::chrono::steady_clock::time_point connected_at_{};
};

} // namespace kryptod::daemon::feed
