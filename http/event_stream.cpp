// http::event_stream: coalesced, bounded writes of a long-lived answer.
#include "http/event_stream.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>
#include <sys/uio.h>

namespace kryptod::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

// A buffer that held a burst keeps its capacity for the next one, up to
// this much; beyond, it is given back, so an idle stream stays small.
constexpr std::size_t kept_capacity = 16 * 1024;

// The kernel's share of what waits for a client. Left to autotuning, a
// socket whose client stopped reading can take megabytes before a write
// would block, which would make max_queued meaningless and let each stalled
// stream pin that much kernel memory.
constexpr int kernel_send_buffer = 128 * 1024;

// Pieces one send() hands to the socket in one system call; more are
// copied together first.
constexpr std::size_t max_parts = 16;

} // namespace

event_stream::event_stream(socket_type socket, std::string head, std::size_t max_queued)
    : socket_(std::move(socket))
    , max_queued_(max_queued)
    , pending_(std::move(head)) {
    boost::system::error_code ec;
    socket_.set_option(asio::socket_base::send_buffer_size(kernel_send_buffer), ec);
}

void event_stream::start(end_fn on_end) {
    on_end_ = std::move(on_end);
    flush();
    if (open_) do_read();
}

void event_stream::append(std::string_view bytes) {
    if (!open_) return;
    if (queued() + bytes.size() > max_queued_) return end(end_reason::too_slow);
    pending_.append(bytes);
}

void event_stream::flush() {
    if (!open_ || writing_ || pending_.empty()) return;
    std::string_view const all = pending_;
    auto const taken = write_now({&all, 1});
    if (!taken) return;
    // The socket is full: the rest goes out when it drains, together with
    // whatever is appended meanwhile.
    if (*taken < all.size()) write_rest({&all, 1}, *taken);
    pending_.clear();
    if (pending_.capacity() > kept_capacity) pending_.shrink_to_fit();
}

void event_stream::send(std::span<std::string_view const> parts) {
    if (!open_) return;
    std::size_t size = 0;
    for (auto const part : parts)
        size += part.size();
    if (queued() + size > max_queued_) return end(end_reason::too_slow);
    // Something waits already: these bytes go after it, coalesced.
    if (writing_ || !pending_.empty() || parts.size() > max_parts) {
        for (auto const part : parts)
            pending_.append(part);
        return flush();
    }
    if (size == 0) return;
    auto const taken = write_now(parts);
    if (taken && *taken < size) write_rest(parts, *taken);
}

std::optional<std::size_t> event_stream::write_now(std::span<std::string_view const> parts) {
    std::array<iovec, max_parts> iov{};
    std::size_t n = 0;
    for (auto const part : parts.first(std::min(parts.size(), max_parts))) {
        if (part.empty()) continue;
        iov[n].iov_base = const_cast<char*>(part.data());
        iov[n].iov_len = part.size();
        ++n;
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = n;
    for (;;) {
        // MSG_NOSIGNAL: a client that left is an error here, not a SIGPIPE.
        auto const sent = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent >= 0) return static_cast<std::size_t>(sent);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        end(end_reason::client_left);
        return std::nullopt;
    }
}

void event_stream::write_rest(std::span<std::string_view const> parts, std::size_t taken) {
    in_flight_.clear();
    for (auto part : parts) {
        if (taken >= part.size()) {
            taken -= part.size();
            continue;
        }
        part.remove_prefix(taken);
        taken = 0;
        in_flight_.append(part);
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(in_flight_),
                      beast::bind_front_handler(&event_stream::on_write, shared_from_this()));
}

void event_stream::on_write(boost::system::error_code ec, std::size_t) {
    writing_ = false;
    in_flight_.clear();
    if (in_flight_.capacity() > kept_capacity) in_flight_.shrink_to_fit();
    if (!open_) return;
    if (ec) return end(end_reason::client_left);
    flush();
}

void event_stream::do_read() {
    socket_.async_read_some(asio::buffer(discard_),
                            beast::bind_front_handler(&event_stream::on_read, shared_from_this()));
}

void event_stream::on_read(boost::system::error_code ec, std::size_t) {
    if (!open_) return;
    if (ec) return end(end_reason::client_left);
    do_read();
}

void event_stream::close() {
    end(end_reason::closed);
}

void event_stream::finish() {
    if (!open_) return;
    if (!writing_ && !pending_.empty()) {
        boost::system::error_code ec;
        socket_.write_some(asio::buffer(pending_), ec);
    }
    end(end_reason::closed);
}

void event_stream::end(end_reason why) {
    if (!open_) return;
    open_ = false;
    pending_.clear();
    pending_.shrink_to_fit();
    boost::system::error_code ec;
    if (why == end_reason::too_slow) {
        // A client that stopped reading would get what the kernel still holds
        // for it only as fast as its window reopens (zero-window probes back
        // off to minutes): reset the connection, so that the kernel lets go
        // of it now and the client sees the end at its next read.
        socket_.set_option(asio::socket_base::linger(true, 0), ec);
    } else {
        socket_.shutdown(socket_type::shutdown_send, ec);
    }
    socket_.close(ec);
    // The owner may drop its last reference to this stream from on_end.
    auto const self = shared_from_this();
    if (auto on_end = std::move(on_end_)) on_end(why);
}

} // namespace kryptod::http
