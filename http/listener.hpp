// The HTTP/1.1 listener: accepts connections on one endpoint and runs an
// http_session for each, up to a bound.
//
// Invariants:
// - at most `limits.max_connections` sessions are alive, and at most
//   `limits.max_connections_per_ip` from one peer address (trusted proxies
//   are exempt: every client behind one shares its address); a connection
//   beyond either bound gets a 503 answer and is closed at once, and no
//   other session is touched;
// - out of file descriptors (EMFILE, ENFILE), the listener neither spins nor
//   goes deaf: it spends a reserve descriptor to accept each waiting
//   connection and close it with a 503, pauses accepting on a timer that
//   backs off while the shortage lasts, and reports the episode once when it
//   starts and once when it ends;
// - after stop(), no connection is accepted; sessions finish the request they
//   are serving (answering it with `Connection: close`) and idle ones close.
//
// Thread-safety: all members run on the io_context's thread (one thread).
#pragma once

#include "http/router.hpp"
#include "http/trusted_proxies.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kryptod::http {

// The members without a default are the daemon's http.* keys, filled from
// its configuration (daemon/options.cpp), which owns their defaults.
struct server_limits {
    std::size_t max_body = 0; // larger bodies: 413
    // Paths (as target_path() gives them) whose requests may carry a body
    // larger than max_body, each with its limit: a bulk import, say. Every
    // other path keeps max_body.
    std::vector<std::pair<std::string, std::size_t>> larger_bodies;
    std::size_t max_header = 16 * 1024;     // larger request heads: 431
    std::size_t max_connections = 0;        // concurrent sessions
    std::size_t max_connections_per_ip = 0; // concurrent sessions from one peer address
    // A new connection must send its first request's first byte within
    // first_byte_timeout; between requests on a kept-alive connection the
    // wait is idle_timeout instead. Once a request's first byte is in, its
    // head is due within header_timeout.
    std::chrono::seconds first_byte_timeout{0};
    std::chrono::seconds header_timeout{0}; // from a request's first byte to its last header byte
    std::chrono::seconds body_timeout{30};  // to read a body, and to write an answer
    std::chrono::seconds idle_timeout{0};   // a keep-alive connection with no request

    // The body limit of requests to `path`.
    std::size_t body_limit(std::string_view path) const noexcept {
        for (auto const& [p, limit] : larger_bodies)
            if (p == path) return limit;
        return max_body;
    }
    // The largest body limit of any path: a request's, until its head is in.
    std::size_t largest_body() const noexcept {
        std::size_t out = max_body;
        for (auto const& e : larger_bodies)
            out = std::max(out, e.second);
        return out;
    }
};

class session_registry;

class listener : public std::enable_shared_from_this<listener> {
public:
    // Binds and listens on `endpoint`. Requests from `proxies` are
    // attributed to the client their forwarding headers name (see
    // trusted_proxies.hpp). Throws boost::system::system_error (e.g. address
    // in use, or no descriptor for the reserve) so that start-up can report
    // it and exit.
    listener(boost::asio::io_context& ioc, boost::asio::ip::tcp::endpoint endpoint,
             server_limits limits, handler h, trusted_proxies proxies = {});
    ~listener();

    // Where the listener reports trouble no request can show (running out of
    // descriptors), one line each; set before run(). Unset: not reported.
    void report_to(std::function<void(std::string_view)> warn) { warn_ = std::move(warn); }

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
    void start_session(socket_type socket);
    void on_out_of_descriptors(boost::system::error_code ec);
    void on_pause(boost::system::error_code ec);
    void warn(std::string_view text) const;

    boost::asio::io_context& ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    server_limits limits_;
    std::shared_ptr<handler const> handler_;
    std::shared_ptr<trusted_proxies const> proxies_;
    std::shared_ptr<session_registry> sessions_;
    std::function<void(std::string_view)> warn_;
    // Out of descriptors: the reserve (a descriptor on /dev/null, -1 while
    // spent), the pause before the next accept, and the episode's tally.
    int reserve_fd_ = -1;
    boost::asio::steady_timer pause_timer_;
    std::chrono::milliseconds pause_{0};
    std::size_t refused_in_episode_ = 0;
};

// Parses "host:port", "[v6]:port" into an endpoint. Throws
// std::invalid_argument with a readable message on bad input.
boost::asio::ip::tcp::endpoint parse_endpoint(std::string_view text);

} // namespace kryptod::http
