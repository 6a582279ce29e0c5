// The HTTP/1.1 listener: accepts connections on one endpoint and runs an
// http_session for each, up to a bound.
//
// Invariants:
// - at most `limits.max_connections` sessions are alive; a connection beyond
//   that gets a 503 answer and is closed at once, and no other session is
//   touched;
// - after stop(), no connection is accepted; sessions finish the request they
//   are serving (answering it with `Connection: close`) and idle ones close.
//
// Thread-safety: all members run on the io_context's thread (one thread).
#pragma once

#include "http/router.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace kryptod::http {

struct server_limits {
    std::size_t max_body = 64 * 1024;        // larger bodies: 413
    std::size_t max_header = 16 * 1024;      // larger request heads: 431
    std::size_t max_connections = 1024;      // concurrent sessions
    std::chrono::seconds header_timeout{10}; // from a request's first byte to its last header byte
    std::chrono::seconds body_timeout{30};   // to read a body, and to write an answer
    std::chrono::seconds idle_timeout{60};   // a keep-alive connection with no request
};

class session_registry;

class listener : public std::enable_shared_from_this<listener> {
public:
    // Binds and listens on `endpoint`. Throws boost::system::system_error
    // (e.g. address in use) so that start-up can report it and exit.
    listener(boost::asio::io_context& ioc, boost::asio::ip::tcp::endpoint endpoint,
             server_limits limits, handler h);
    ~listener();

    // Starts accepting.
    void run();

    // Stops accepting and asks every session to close after its current
    // answer. Idempotent.
    void stop();

    // The bound address (useful with port 0).
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    // Sessions alive now.
    std::size_t active_sessions() const;

private:
    void do_accept();
    // A socket bound to the io_context's executor itself (see do_accept).
    using socket_type = boost::asio::ip::tcp::socket::rebind_executor<
        boost::asio::io_context::executor_type>::other;
    void on_accept(boost::system::error_code ec, socket_type socket);

    boost::asio::io_context& ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    server_limits limits_;
    std::shared_ptr<handler const> handler_;
    std::shared_ptr<session_registry> sessions_;
};

// Parses "host:port", "[v6]:port" into an endpoint. Throws
// std::invalid_argument with a readable message on bad input.
boost::asio::ip::tcp::endpoint parse_endpoint(std::string_view text);

} // namespace kryptod::http
