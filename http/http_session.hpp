// One HTTP/1.1 connection: reads requests one at a time, hands each to the
// handler, and writes the answer back.
//
// The session never decides what to answer; it only enforces the protocol's
// limits: the request head size (431), the body size (413), malformed
// requests (400), and deadlines. A connection with no request for
// `idle_timeout` is closed; once a request's first byte arrives, its head must
// be complete within `header_timeout` (a slowloris client trickling headers
// is cut off) and its body within `body_timeout`. Pipelined requests are
// served in order; at most one request is in the handler at a time, so a
// client cannot queue unbounded work.
//
// Thread-safety: runs on the io_context's thread; the responder given to the
// handler may be called from any thread (it posts back).
#pragma once

#include "http/listener.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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
    http_session(boost::asio::ip::tcp::socket socket, server_limits const& limits,
                 std::shared_ptr<handler const> h, std::shared_ptr<session_registry> registry);
    ~http_session();

    void run();

    // Closes the connection if no request is being served; otherwise the
    // current answer is sent with `Connection: close`.
    void close_if_idle();

private:
    void do_wait();
    void on_wait(boost::system::error_code ec, std::size_t n);
    void do_read_header();
    void on_read_header(boost::system::error_code ec, std::size_t n);
    void on_read_body(boost::system::error_code ec, std::size_t n);
    void dispatch();
    void on_response(response res);
    void do_write(response res, bool close);
    void on_write(bool close, boost::system::error_code ec, std::size_t n);
    void fail_request(status s, std::string_view detail);
    void do_close();

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    server_limits limits_;
    std::shared_ptr<handler const> handler_;
    std::shared_ptr<session_registry> registry_;
    std::list<std::weak_ptr<http_session>>::iterator self_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<response> writing_; // keeps the answer alive while it is written
    std::string client_address_;
    bool keep_alive_ = false;
    bool busy_ = false; // a request is being read, handled or answered
    bool closed_ = false;
};

} // namespace kryptod::http
