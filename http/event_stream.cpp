// http::event_stream: coalesced, bounded writes of a long-lived answer.
#include "http/event_stream.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>

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
    boost::system::error_code ec;
    auto const sent = socket_.write_some(asio::buffer(pending_), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again)
        return end(end_reason::client_left);
    if (sent == pending_.size()) {
        pending_.clear();
        if (pending_.capacity() > kept_capacity) pending_.shrink_to_fit();
        return;
    }
    // The socket is full: the rest goes out when it drains, together with
    // whatever is appended meanwhile.
    in_flight_.assign(pending_, sent);
    pending_.clear();
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
    socket_.shutdown(socket_type::shutdown_send, ec);
    socket_.close(ec);
    // The owner may drop its last reference to this stream from on_end.
    auto const self = shared_from_this();
    if (auto on_end = std::move(on_end_)) on_end(why);
}

} // namespace kryptod::http
