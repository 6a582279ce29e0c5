// binance_test_server: a local stand-in for Binance that behaves like it
// where it hurts, for the feed's tests, benchmarks and whole-daemon tests.
// One listener on 127.0.0.1 (an ephemeral port) answers both:
// - the combined-stream websocket (`/stream`): SUBSCRIBE / UNSUBSCRIBE /
//   LIST_SUBSCRIPTIONS with replies matched by id, at most
//   `max_messages_per_second` incoming messages per second (more: the
//   connection is closed, as Binance does), a ping every `ping_interval` and
//   the connection dropped when its pong does not come within
//   `pong_timeout`; trades are sent as `<coin>@aggTrade` frames to the
//   sessions that follow the coin;
// - REST `GET /api/v3/aggTrades` (symbol, fromId, startTime, endTime, limit)
//   and `GET /api/v3/klines` (symbol, interval=1m, startTime, endTime,
//   limit), served from the same trade history, every request recorded.
// Faults on demand: cut (close every socket), stall (go silent without
// closing: no data, no pong), serverShutdown, raw and binary frames, REST
// answers of 429 or 418 with any Retry-After text, a REST API that is down
// (each request's connection closed unanswered). Every websocket session
// accepted is logged with its time, so tests can see reconnect delays.
//
// Not thread-safe: drive it from the io_context it runs on.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace kryptod::test {

struct server_trade {
    std::int64_t id = 0;
    std::string price; // decimal text, as Binance sends it
    std::int64_t time = 0;
};

class binance_test_server {
public:
    struct options {
        std::chrono::milliseconds ping_interval{20'000};
        std::chrono::milliseconds pong_timeout{10'000};
        unsigned max_messages_per_second = 5;
        std::int64_t first_agg_id = 1000;
    };

    // Listens on 127.0.0.1 at an ephemeral port. Throws on failure to bind.
    binance_test_server(boost::asio::io_context& ioc, options opts);
    ~binance_test_server();

    unsigned short port() const noexcept;
    std::string ws_url() const;   // ws://127.0.0.1:PORT/stream
    std::string rest_url() const; // http://127.0.0.1:PORT

    // Appends a trade of `symbol` (upper case) to the history and sends it to
    // every session following the coin that is not stalled. Returns its id.
    std::int64_t trade(std::string const& symbol, std::string const& price, std::int64_t time);

    // Sends a frame as is to every session (text, or binary).
    void send_raw(std::string const& frame, bool binary = false);
    // Queues text frames to every session in one write, as websocket frames
    // encoded here (benchmarks): send_encoded(encode_frames(frames)).
    void send_bulk(std::vector<std::string> const& frames);
    // Text frames as they travel from a server: RFC 6455 framing, FIN, no mask.
    // Thread-safe (touches no server state), so benchmarks encode ahead of time.
    static std::shared_ptr<std::string const> encode_frames(std::vector<std::string> const& frames);
    // Queues bytes from encode_frames() to every session, written to each
    // socket as they are, in one write.
    void send_encoded(std::shared_ptr<std::string const> wire);
    // Sends {"e":"serverShutdown"} to every session.
    void announce_shutdown();
    // Closes every websocket connection abruptly (no close frame).
    void cut();
    // Every current session goes silent: no frames, no pongs, no replies;
    // its socket stays open. New connections are served normally.
    void stall();
    // The next `n` REST requests answer 429 with Retry-After: `seconds`.
    void throttle_rest(unsigned n, unsigned seconds);
    // The next `n` REST requests answer `status` (429 or 418) with
    // Retry-After: `retry_after`, as given (it may be any text).
    void throttle_rest(unsigned n, std::string retry_after, unsigned status);
    // While down, every REST request's connection is closed unanswered.
    void rest_down(bool down);

    std::vector<server_trade> const& history(std::string const& symbol);
    std::size_t sessions() const; // open websocket sessions
    std::size_t accepted() const; // websocket sessions ever accepted
    // When each websocket session was accepted, oldest first.
    std::vector<std::chrono::steady_clock::time_point> const& accept_times() const;
    std::set<std::string> subscriptions() const;           // union over open, live sessions
    std::vector<std::string> const& rest_requests() const; // targets, in order
    std::size_t rate_violations() const;                   // sessions closed for too many messages
    std::size_t pongs() const;                             // pongs received for the server's pings
    std::size_t ping_drops() const;                        // sessions dropped for a missing pong
    std::size_t control_messages() const;                  // JSON requests received

    struct state;

private:
    std::shared_ptr<state> state_;
};

} // namespace kryptod::test
