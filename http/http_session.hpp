// One HTTP/1.1 connection: reads requests one at a time, hands each to the
// handler, and writes the answer back.
//
// The session never decides what to answer; it only enforces the protocol's
// limits: the request head size (431), the body size (413), malformed
// requests (400), unknown expectations (417), and deadlines. A new connection
// that sends nothing for `first_byte_timeout` is closed, and so is a
// kept-alive one with no next request for `idle_timeout`; once a request's
// first byte arrives, its head must be complete within `header_timeout` (a
// slowloris client trickling headers is cut off) and its body within
// `body_timeout`; an answer must be written within `body_timeout`. A request
// with `Expect: 100-continue` whose head is acceptable gets `100 Continue`
// before its body is read; one whose head is not (a Content-Length over the
// limit) gets its final answer without the body being read. Pipelined requests are served in order;
// at most one request is in the handler at a time, so a client cannot queue unbounded work, and
// what a client sends ahead is bounded by the read buffer.
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
// A handler may instead take the connection over for a long answer
// (incoming::open_stream): the session then sends the head, hands its socket
// to an http::event_stream and ends, leaving the registry: a stream is
// bounded by its owner, not by the connection limits of request/response.
//
// Thread-safety: runs on the io_context's thread (the io_context is run by
// exactly one thread); the responder given to the handler may be called from
// any thread (it posts back).
#pragma once

#include "http/listener.hpp"
#include "http/trusted_proxies.hpp"

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>

namespace kryptod::http {

class http_session;

// Sessions alive, so that the listener can bound and drain them, and how
// many come from each peer address.
class session_registry {
public:
    struct entry {
        std::weak_ptr<http_session> session;
        boost::asio::ip::address peer;
    };
    using iterator = std::list<entry>::iterator;

    std::size_t size() const { return sessions_.size(); }
    std::size_t count_from(boost::asio::ip::address const& peer) const;
    bool draining() const { return draining_; }
    iterator add(std::weak_ptr<http_session> s, boost::asio::ip::address const& peer);
    void remove(iterator it);
    // Marks the registry draining and closes every idle session.
    void drain();

private:
    std::list<entry> sessions_;
    // Sessions per peer; an address leaves the map with its last session,
    // so the map is never larger than the list.
    std::unordered_map<boost::asio::ip::address, std::size_t> per_peer_;
    bool draining_ = false;
};

class http_session : public std::enable_shared_from_this<http_session> {
public:
    using executor_type = boost::asio::io_context::executor_type;
    using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;

    // `peer` is the socket's remote address (unmapped), `peer_trusted`
    // whether it is one of `proxies`.
    http_session(socket_type socket, boost::asio::ip::address peer, bool peer_trusted,
                 server_limits const& limits, std::shared_ptr<handler const> h,
                 std::shared_ptr<trusted_proxies const> proxies,
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
    bool body_allowed();
    bool answer_expectation();
    void on_response(response res);
    bool start_write();
    // Writes answer_'s start line and fields into head_.
    void serialize_head();
    std::shared_ptr<event_stream> open_stream(response head, std::size_t max_queued);
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
    std::shared_ptr<trusted_proxies const> proxies_;
    std::shared_ptr<session_registry> registry_;
    session_registry::iterator self_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    response answer_;
    std::string head_; // answer_'s start line and fields, as written
    std::optional<bhttp::response_serializer<bhttp::string_body>> serializer_;
    boost::asio::ip::address peer_;
    std::string peer_text_; // peer_ as text, made once per connection
    clock::time_point deadline_ = clock::time_point::max();
    clock::duration shortest_timeout_;
    state state_ = state::idle;
    bool keep_alive_ = false;
    bool peer_trusted_ = false; // the peer is a trusted proxy: read forwarding headers
    bool first_request_ = true; // nothing has arrived yet: first_byte_timeout applies
    bool close_after_write_ = false;
    bool in_handler_ = false; // the handler is running on this thread's stack
    bool answered_ = false;   // the handler gave its answer while it ran
    bool streamed_ = false;   // the handler took the connection over as a stream
};

} // namespace kryptod::http
