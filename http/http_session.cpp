// HTTP/1.1 sessions and the registry the listener bounds and drains them by.
//
// A session moves through idle → header → body → handling → (writing) →
// idle, and every step is driven from serve(): it starts a request when bytes
// are buffered, parses what is there, hands a complete request to the handler
// and writes the answer. Only two things suspend it: waiting for bytes
// (do_read) and waiting for the socket to drain a large answer (on_write);
// waiting for a slow handler is the third, ended by on_response.
#include "http/http_session.hpp"

#include "http/event_stream.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <array>

namespace kryptod::http {

namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {

// Requests served back to back from one read (pipelining) before the
// session lets other connections have a turn.
constexpr int max_batch = 16;

} // namespace

std::size_t session_registry::count_from(asio::ip::address const& peer) const {
    auto const it = per_peer_.find(peer);
    return it == per_peer_.end() ? 0 : it->second;
}

session_registry::iterator session_registry::add(std::weak_ptr<http_session> s,
                                                 asio::ip::address const& peer) {
    ++per_peer_[peer];
    return sessions_.insert(sessions_.end(), entry{std::move(s), peer});
}

void session_registry::remove(iterator it) {
    auto const count = per_peer_.find(it->peer);
    if (--count->second == 0) per_peer_.erase(count);
    sessions_.erase(it);
}

void session_registry::drain() {
    draining_ = true;
    // close_if_idle() may remove entries; walk a copy.
    std::vector<std::shared_ptr<http_session>> alive;
    for (auto const& e : sessions_)
        if (auto s = e.session.lock()) alive.push_back(std::move(s));
    for (auto const& s : alive)
        s->close_if_idle();
}

http_session::http_session(socket_type socket, asio::ip::address peer, bool peer_trusted,
                           server_limits const& limits, std::shared_ptr<handler const> h,
                           std::shared_ptr<trusted_proxies const> proxies,
                           std::shared_ptr<session_registry> registry)
    : socket_(std::move(socket))
    , timer_(socket_.get_executor())
    , buffer_(limits.max_header + 16 * 1024)
    , limits_(limits)
    , handler_(std::move(h))
    , proxies_(std::move(proxies))
    , registry_(std::move(registry))
    , peer_(peer)
    , peer_text_(peer.to_string())
    , shortest_timeout_(
          std::max<clock::duration>(std::min({limits.first_byte_timeout, limits.header_timeout,
                                              limits.body_timeout, limits.idle_timeout}),
                                    std::chrono::milliseconds(1)))
    , peer_trusted_(peer_trusted) {
    // Answers are written straight from the handler's completion; a socket
    // that cannot take one whole reports would_block instead of stalling the
    // thread, and the rest goes out asynchronously.
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

http_session::~http_session() {
    if (state_ != state::closed) registry_->remove(self_);
}

void http_session::run() {
    self_ = registry_->add(weak_from_this(), peer_);
    set_deadline(limits_.first_byte_timeout);
    do_timer(std::min(deadline_, clock::now() + shortest_timeout_));
    serve();
}

void http_session::close_if_idle() {
    if (state_ == state::idle) do_close();
}

// Serves buffered requests until it has to wait for something.
void http_session::serve() {
    for (int served = 0; served < max_batch; ++served) {
        if (state_ == state::closed) return;
        if (state_ == state::idle) {
            if (registry_->draining()) return do_close();
            if (buffer_.size() == 0) {
                // A connection that never started a request holds a slot
                // for nothing: it gets the short first-byte wait, not the
                // keep-alive one.
                set_deadline(first_request_ ? limits_.first_byte_timeout : limits_.idle_timeout);
                return do_read();
            }
            // The first byte of a request is here: its head is now due.
            first_request_ = false;
            parser_.emplace();
            parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header));
            // The path is not known before the head is in; body_allowed()
            // then narrows the limit to the path's.
            parser_->body_limit(limits_.largest_body());
            state_ = state::header;
            set_deadline(limits_.header_timeout);
        }
        if (!parse()) return;
        if (!dispatch()) return;
    }
    // A client that pipelined many requests waits its turn like the others.
    asio::post(socket_.get_executor(),
               beast::bind_front_handler(&http_session::serve, shared_from_this()));
}

// Feeds buffered bytes to the parser. True when a whole request is parsed;
// otherwise a read was started, or the request was refused.
bool http_session::parse() {
    for (;;) {
        if (buffer_.size() == 0) {
            do_read();
            return false;
        }
        boost::system::error_code ec;
        auto const used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == bhttp::error::need_more || (!ec && used == 0)) {
            if (buffer_.size() >= buffer_.max_size()) {
                if (!parser_->is_header_done())
                    fail_request(status::request_header_fields_too_large,
                                 "request header too large");
                else
                    fail_request(status::bad_request, "malformed HTTP request");
                return false;
            }
            do_read();
            return false;
        }
        if (ec == bhttp::error::header_limit) {
            fail_request(status::request_header_fields_too_large, "request header too large");
            return false;
        }
        if (ec == bhttp::error::body_limit) {
            fail_request(status::payload_too_large, "request body too large");
            return false;
        }
        if (ec) {
            fail_request(status::bad_request, "malformed HTTP request");
            return false;
        }
        if (parser_->is_done()) return true;
        if (state_ == state::header && parser_->is_header_done()) {
            state_ = state::body;
            set_deadline(limits_.body_timeout);
            if (!body_allowed() || !answer_expectation()) return false;
        }
    }
}

// The head of a request with a body is in (state body). Refuses (413) a
// body declared larger than its path's limit, before any of it is read, and
// holds the parser to that limit (a chunked body's size is known only as
// it comes). True when the body may be read.
bool http_session::body_allowed() {
    auto const limit = limits_.body_limit(target_path(parser_->get().target()));
    if (auto const length = parser_->content_length(); length && *length > limit) {
        fail_request(status::payload_too_large, "request body too large");
        return false;
    }
    parser_->body_limit(limit);
    return true;
}

// The head of a request with a body is in (state body). Answers its
// `Expect`: `100-continue` gets `100 Continue` unless the client already
// sent body bytes; any other expectation gets 417, and the body is never
// read. HTTP/1.0 requests' Expect is ignored (RFC 9110 §10.1.1). True when
// the body should be read.
bool http_session::answer_expectation() {
    auto const& head = parser_->get();
    auto const expect = head.find(bhttp::field::expect);
    if (expect == head.end() || head.version() < 11) return true;
    if (!beast::iequals(expect->value(), "100-continue")) {
        fail_request(status::expectation_failed, "only Expect: 100-continue is understood");
        return false;
    }
    if (buffer_.size() > 0) return true;
    static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
    boost::system::error_code ec;
    auto const sent = socket_.write_some(asio::buffer(interim), ec);
    // A socket that takes none of it (the client is not reading our earlier
    // answers) is left alone: a client gives up waiting for 100 after a
    // while and sends the body anyway. Part of it cannot be taken back.
    if (!ec && sent != interim.size()) {
        do_close();
        return false;
    }
    return true;
}

void http_session::do_read() {
    auto const size = beast::read_size(buffer_, 64 * 1024);
    socket_.async_read_some(buffer_.prepare(size),
                            beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(boost::system::error_code ec, std::size_t n) {
    // End of stream, a reset, or the deadline closing the socket: whatever
    // request was under way cannot be completed, and nobody waits for an
    // answer to it.
    if (ec) return do_close();
    buffer_.commit(n);
    serve();
}

// Hands the parsed request to the handler. True when it answered at once and
// the answer is written, so that the next request may be served.
bool http_session::dispatch() {
    // The handler may take a while (a password hash, a durable write); no
    // deadline runs meanwhile, the client is just waiting for its answer.
    state_ = state::handling;
    deadline_ = clock::time_point::max();
    keep_alive_ = parser_->keep_alive();
    incoming in{parser_->release(), peer_text_, {}, {}, {}, {}};
    in.open_stream = [self = shared_from_this()](response head, std::size_t max_queued) {
        return self->open_stream(std::move(head), max_queued);
    };
    if (peer_trusted_) {
        // Behind a trusted proxy the client is whom its headers name; the
        // proxy stays visible as the peer.
        in.client_address = proxies_->client_of(peer_, in.req).to_string();
        in.peer_address = peer_text_;
    }
    responder respond = [self = shared_from_this()](response res) {
        // Inline when the answer comes on the io_context's thread (the common
        // case: no blocking work); posted from any other thread.
        auto executor = self->socket_.get_executor();
        if (executor.running_in_this_thread()) return self->on_response(std::move(res));
        asio::post(executor,
                   [self, res = std::move(res)]() mutable { self->on_response(std::move(res)); });
    };
    answered_ = false;
    in_handler_ = true;
    try {
        (*handler_)(std::move(in), std::move(respond));
    } catch (std::exception const&) {
        // A handler that throws must not take the daemon down with it.
        if (!answered_ && !streamed_) {
            answer_ = problem(status::internal_server_error, "internal error");
            answered_ = true;
        }
    }
    in_handler_ = false;
    if (streamed_) return false;
    // Not answered yet: on_response continues when the answer comes. The
    // session's timer keeps the io_context running meanwhile.
    if (!answered_) return false;
    return start_write();
}

void http_session::on_response(response res) {
    // A session closed meanwhile, or a handler answering twice: nobody is
    // waiting for this answer.
    if (state_ != state::handling || answered_) return;
    answer_ = std::move(res);
    answered_ = true;
    // Answered while the handler still runs: dispatch() writes it once the
    // handler returns, so that pipelined requests are served in a loop
    // rather than by recursion.
    if (in_handler_) return;
    if (start_write()) serve();
}

// Writes answer_. True when all of it went out and the connection stays open
// for the next request; false when the rest is written asynchronously or the
// connection closed.
//
// The head is serialised here into one reused string rather than by Beast's
// serializer, whose buffer-sequence machinery costs more than the rest of a
// small answer's trip; the bytes are the same (start line, the fields in
// their order, a blank line, the body). A chunked answer, which no kryptod
// handler produces, still goes through Beast's serializer.
bool http_session::start_write() {
    close_after_write_ = !keep_alive_ || registry_->draining() || answer_.need_eof();
    answer_.keep_alive(!close_after_write_);
    answer_.set(bhttp::field::server, "kryptod");
    if (answer_.chunked()) return start_serialized_write();
    serialize_head();
    std::array<asio::const_buffer, 2> const bytes{asio::buffer(head_),
                                                  asio::buffer(answer_.body())};
    boost::system::error_code ec;
    auto const sent = asio::write(socket_, bytes, ec);
    return after_direct_write(ec, [&](auto handler) {
        beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(bytes);
        rest.consume(sent);
        asio::async_write(socket_, rest, std::move(handler));
    });
}

void http_session::serialize_head() {
    auto const version = answer_.version();
    head_.assign("HTTP/1.1 ");
    head_[5] = static_cast<char>('0' + version / 10 % 10);
    head_[7] = static_cast<char>('0' + version % 10);
    auto const code = answer_.result_int();
    head_ += static_cast<char>('0' + code / 100 % 10);
    head_ += static_cast<char>('0' + code / 10 % 10);
    head_ += static_cast<char>('0' + code % 10);
    head_ += ' ';
    head_ += answer_.reason();
    head_ += "\r\n";
    for (auto const& f : answer_) {
        head_ += f.name_string();
        head_ += ": ";
        head_ += f.value();
        head_ += "\r\n";
    }
    head_ += "\r\n";
}

// The handler chose to stream: the head goes out first through the stream,
// and this session ends without closing the socket it gave away. No read is
// in flight (the handler runs between reads); bytes the client pipelined
// after this request are dropped with the session.
std::shared_ptr<event_stream> http_session::open_stream(response head, std::size_t max_queued) {
    answer_ = std::move(head);
    answer_.keep_alive(false);
    answer_.set(bhttp::field::server, "kryptod");
    serialize_head();
    auto stream = std::make_shared<event_stream>(std::move(socket_), std::move(head_), max_queued);
    head_ = {};
    answer_ = {};
    streamed_ = true;
    state_ = state::closed;
    registry_->remove(self_);
    timer_.cancel();
    return stream;
}

bool http_session::start_serialized_write() {
    serializer_.emplace(answer_);
    boost::system::error_code ec;
    bhttp::write(socket_, *serializer_, ec);
    return after_direct_write(
        ec, [&](auto handler) { bhttp::async_write(socket_, *serializer_, std::move(handler)); });
}

template <class WriteRest>
bool http_session::after_direct_write(boost::system::error_code ec, WriteRest&& write_rest) {
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        state_ = state::writing;
        set_deadline(limits_.body_timeout);
        write_rest(beast::bind_front_handler(&http_session::on_write, shared_from_this()));
        return false;
    }
    if (ec) {
        do_close();
        return false;
    }
    return finish_write();
}

void http_session::on_write(boost::system::error_code ec, std::size_t) {
    if (ec) return do_close();
    if (finish_write()) serve();
}

bool http_session::finish_write() {
    serializer_.reset();
    answer_ = {};
    if (close_after_write_) {
        do_close();
        return false;
    }
    state_ = state::idle;
    return true;
}

// Answers a request that broke a protocol limit, then closes: the rest of the
// stream cannot be trusted to be at a request boundary.
void http_session::fail_request(status s, std::string_view detail) {
    state_ = state::handling;
    keep_alive_ = false;
    answer_ = problem(s, detail);
    answered_ = true;
    start_write();
}

void http_session::set_deadline(clock::duration timeout) {
    deadline_ = clock::now() + timeout;
}

// The timer is always due no later than the deadline, whatever the deadline
// becomes: it is armed at most shortest_timeout_ ahead, and every deadline is
// set at least that far ahead. So moving the deadline, which happens several
// times per request, never touches the timer; it fires about once per
// shortest_timeout_ and either closes the session or is armed again.
void http_session::do_timer(clock::time_point at) {
    timer_.expires_at(at);
    timer_.async_wait(beast::bind_front_handler(&http_session::on_timer, shared_from_this()));
}

void http_session::on_timer(boost::system::error_code ec) {
    if (ec || state_ == state::closed) return;
    auto const now = clock::now();
    // Idle too long, a head or body too slow, or an answer the client does
    // not read: the pending operation is cancelled by the close.
    if (now >= deadline_) return do_close();
    do_timer(std::min(deadline_, now + shortest_timeout_));
}

void http_session::do_close() {
    if (state_ == state::closed) return;
    state_ = state::closed;
    registry_->remove(self_);
    boost::system::error_code ec;
    timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    socket_.close(ec);
}

} // namespace kryptod::http
