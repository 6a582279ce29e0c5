// HTTP/1.1 sessions and the registry the listener bounds and drains them by.
#include "http/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

namespace kryptod::http {

namespace beast = boost::beast;
namespace asio = boost::asio;

std::list<std::weak_ptr<http_session>>::iterator
session_registry::add(std::weak_ptr<http_session> s) {
    return sessions_.insert(sessions_.end(), std::move(s));
}

void session_registry::remove(std::list<std::weak_ptr<http_session>>::iterator it) {
    sessions_.erase(it);
}

void session_registry::drain() {
    draining_ = true;
    // close_if_idle() may remove entries; walk a copy.
    std::vector<std::shared_ptr<http_session>> alive;
    for (auto const& w : sessions_)
        if (auto s = w.lock()) alive.push_back(std::move(s));
    for (auto const& s : alive)
        s->close_if_idle();
}

http_session::http_session(asio::ip::tcp::socket socket, server_limits const& limits,
                           std::shared_ptr<handler const> h,
                           std::shared_ptr<session_registry> registry)
    : stream_(std::move(socket))
    , buffer_(limits.max_header + 16 * 1024)
    , limits_(limits)
    , handler_(std::move(h))
    , registry_(std::move(registry)) {
    boost::system::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) client_address_ = remote.address().to_string();
}

http_session::~http_session() {
    if (!closed_) registry_->remove(self_);
}

void http_session::run() {
    self_ = registry_->add(weak_from_this());
    // Start on the stream's executor so every handler below runs there.
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&http_session::do_wait, shared_from_this()));
}

void http_session::close_if_idle() {
    if (!busy_) do_close();
}

// Waits for the first byte of the next request under the idle deadline.
void http_session::do_wait() {
    busy_ = false;
    if (registry_->draining()) return do_close();
    if (buffer_.size() > 0) return do_read_header(); // a pipelined request is waiting
    stream_.expires_after(limits_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            beast::bind_front_handler(&http_session::on_wait, shared_from_this()));
}

void http_session::on_wait(boost::system::error_code ec, std::size_t n) {
    if (ec) return do_close();
    buffer_.commit(n);
    do_read_header();
}

void http_session::do_read_header() {
    busy_ = true;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header));
    parser_->body_limit(limits_.max_body);
    stream_.expires_after(limits_.header_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&http_session::on_read_header, shared_from_this()));
}

void http_session::on_read_header(boost::system::error_code ec, std::size_t) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
        return fail_request(status::request_header_fields_too_large, "request header too large");
    if (ec == bhttp::error::body_limit)
        return fail_request(status::payload_too_large, "request body too large");
    if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
        ec == asio::error::eof || ec == asio::error::operation_aborted)
        return do_close();
    if (ec) return fail_request(status::bad_request, "malformed HTTP request");
    stream_.expires_after(limits_.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&http_session::on_read_body, shared_from_this()));
}

void http_session::on_read_body(boost::system::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit)
        return fail_request(status::payload_too_large, "request body too large");
    if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
        ec == asio::error::eof || ec == asio::error::operation_aborted ||
        ec == bhttp::error::partial_message)
        return do_close();
    if (ec) return fail_request(status::bad_request, "malformed HTTP request");
    dispatch();
}

void http_session::dispatch() {
    // The handler may take a while (a password hash, a durable write); no
    // deadline runs meanwhile, the client is just waiting for its answer.
    stream_.expires_never();
    keep_alive_ = parser_->keep_alive();
    incoming in{parser_->release(), client_address_, {}, {}};
    auto self = shared_from_this();
    asio::any_io_executor executor = stream_.get_executor();
    // The guard keeps the io_context running while the answer is computed
    // elsewhere: no socket operation is pending meanwhile.
    auto work = std::make_shared<asio::executor_work_guard<asio::any_io_executor>>(executor);
    responder respond = [self, work](response res) {
        // Inline when the handler answered on the session's own strand (the
        // common case: no blocking work); posted from any other thread.
        asio::dispatch(work->get_executor(), [self, work, res = std::move(res)]() mutable {
            self->on_response(std::move(res));
            work->reset();
        });
    };
    try {
        (*handler_)(std::move(in), std::move(respond));
    } catch (std::exception const&) {
        // A handler that throws must not take the daemon down with it.
        on_response(problem(status::internal_server_error, "internal error"));
    }
}

void http_session::on_response(response res) {
    if (closed_) return;
    bool const close = !keep_alive_ || registry_->draining() || res.need_eof();
    res.keep_alive(!close);
    do_write(std::move(res), close);
}

void http_session::do_write(response res, bool close) {
    if (close) res.keep_alive(false);
    res.set(bhttp::field::server, "kryptod");
    writing_ = std::make_shared<response>(std::move(res));
    stream_.expires_after(limits_.body_timeout);
    bhttp::async_write(
        stream_, *writing_,
        beast::bind_front_handler(&http_session::on_write, shared_from_this(), close));
}

void http_session::on_write(bool close, boost::system::error_code ec, std::size_t) {
    writing_.reset();
    if (ec || close) return do_close();
    do_wait();
}

// Answers a request that broke a protocol limit, then closes: the rest of the
// stream cannot be trusted to be at a request boundary.
void http_session::fail_request(status s, std::string_view detail) {
    busy_ = true;
    auto res = problem(s, detail);
    do_write(std::move(res), true);
}

void http_session::do_close() {
    if (closed_) return;
    closed_ = true;
    registry_->remove(self_);
    boost::system::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    stream_.close();
}

} // namespace kryptod::http
