// One HTTP/1.1 connection: reads requests one at a time, hands each to the
// handler, and writes the answer back.
//
// The session never decides what to answer; it only enforces the protocol's
// limits: the request head size (431), the body size (413), malformed
// requests (400), and deadlines. A connection with no request for
// `idle_timeout` is closed; once a request's first byte arrives, its head must
// be complete within `header_timeout` (a slowloris client trickling headers
// is cut off) and its body within `body_timeout`; an answer must be written
// within `body_timeout`. Pipelined requests are served in order; at most one
// request is in the handler at a time, so a client cannot queue unbounded
// work, and what a client sends ahead is bounded by the read buffer.
//
// Cost per request matters here (every API call pays it), so the session
// keeps its state between requests instead of rebuilding it: one read
// buffer, one parser slot, one answer and its serializer. It parses what a
// single read brought in, without one asynchronous operation per message
// part, and writes the answer straight to the socket, falling back to an
// asynchronous write only when the socket cannot take it all. Deadlines are
// kept as a time point checked by one timer per session (see `on_timer`),
// rather than a timer armed and cancelled around every socket operation.
//
// Thread-safety: runs on the io_context's thread (the io_context is run by
// exactly one thread); the responder given to the handler may be called from
// any thread (it posts back).
#pragma once

#include "http/listener.hpp"

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <optional>

namespace kryptod::http {

class http_session;

// Sessions alive, so that the listener can bound and drain them.
class session_registry {
public:
    std::size_t size() const { return sessions_.size(); }
    bool draining() const { return draining_; }
    std::list<std::weak_ptr<http_session>>::iterator add(std::weak_ptr<http_session> s);
    void remove(std::list<std::weak_ptr<http_session>>::iterator it);
    // Marks the registry draining and closes every idle session.
    void drain();

private:
    std::list<std::weak_ptr<http_session>> sessions_;
    bool draining_ = false;
};

class http_session : public std::enable_shared_from_this<http_session> {
public:
    using executor_type = boost::asio::io_context::executor_type;
    using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;

    http_session(socket_type socket, server_limits const& limits, std::shared_ptr<handler const> h,
                 std::shared_ptr<session_registry> registry);
    ~http_session();

    void run();

    // Closes the connection if no request is being served; otherwise the
    // current answer is sent with `Connection: close`.
    void close_if_idle();

private:
    using clock = std::chrono::steady_clock;
    using timer_type =
        boost::asio::basic_waitable_timer<clock, boost::asio::wait_traits<clock>, executor_type>;

    // Where the connection is; what may happen next depends only on this.
    enum class state {
        idle,     // between requests: nothing of the next one has arrived
        header,   // reading a request head
        body,     // reading a request body
        handling, // the handler has the request
        writing,  // an answer is being written asynchronously
        closed,
    };

    void serve();
    bool parse();
    void do_read();
    void on_read(boost::system::error_code ec, std::size_t n);
    bool dispatch();
    void on_response(response res);
    bool start_write();
    bool start_serialized_write();
    // After a write tried without waiting: what the socket could not take
    // goes out through `write_rest(handler)`; an error closes the session.
    template <class WriteRest>
    bool after_direct_write(boost::system::error_code ec, WriteRest&& write_rest);
    void on_write(boost::system::error_code ec, std::size_t n);
    bool finish_write();
    void fail_request(status s, std::string_view detail);
    void set_deadline(clock::duration timeout);
    void do_timer(clock::time_point at);
    void on_timer(boost::system::error_code ec);
    void do_close();

    socket_type socket_;
    timer_type timer_;
    boost::beast::flat_buffer buffer_;
    server_limits limits_;
    std::shared_ptr<handler const> handler_;
    std::shared_ptr<session_registry> registry_;
    std::list<std::weak_ptr<http_session>>::iterator self_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    response answer_;
    std::string head_; // answer_'s start line and fields, as written
    std::optional<bhttp::response_serializer<bhttp::string_body>> serializer_;
    std::string client_address_;
    clock::time_point deadline_ = clock::time_point::max();
    clock::duration shortest_timeout_;
    state state_ = state::idle;
    bool keep_alive_ = false;
    bool close_after_write_ = false;
    bool in_handler_ = false; // the handler is running on this thread's stack
    bool answered_ = false;   // the handler gave its answer while it ran
};

} // namespace kryptod::http
