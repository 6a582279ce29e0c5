// http::event_stream: a connection that left request/response behind to
// carry one long answer, a Server-Sent Events stream (GET /api/stream).
//
// A session hands its socket over (see incoming::open_stream in router.hpp)
// once the handler chose to stream; from then on the stream writes whatever
// its owner appends, and reads only to notice the client leaving.
//
// Invariants:
// - Writes are coalesced: what is appended while a write is in flight goes
//   out with the next single write, and flush() first tries the socket
//   without waiting, so a client that keeps up costs one system call per
//   flush and no asynchronous operation.
// - send() to a stream with nothing queued hands the caller's bytes to the
//   socket as they are, without a copy: one frame fanned out to thousands
//   of streams is not copied per stream. Only what the socket does not take
//   at once is copied, and it goes out before anything sent later.
// - What is queued for the client (appended, not yet taken by the socket)
//   never exceeds `max_queued`: the append that would pass it ends the
//   stream instead (end_reason::too_slow). The socket's own send buffer is
//   fixed (128 KiB, not autotuned), so a client that stops reading costs at
//   most about that much more memory, and never delays anyone else.
// - `on_end` is called exactly once, when the stream ends for any reason;
//   after that, append() and flush() do nothing.
//
// Thread-safety: every member runs on the io_context's thread.
#pragma once

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kryptod::http {

class event_stream : public std::enable_shared_from_this<event_stream> {
public:
    using executor_type = boost::asio::io_context::executor_type;
    using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;

    enum class end_reason {
        client_left, // the client closed the connection, or it failed
        too_slow,    // more than max_queued bytes waited for the client
        closed,      // the owner ended it (close() or finish())
    };
    using end_fn = std::function<void(end_reason)>;

    // `head` is the answer's head, the first bytes sent. The socket must be
    // in non-blocking mode (sessions put theirs there).
    event_stream(socket_type socket, std::string head, std::size_t max_queued);

    event_stream(event_stream const&) = delete;
    event_stream& operator=(event_stream const&) = delete;

    // Sends the head and starts watching for the client leaving.
    void start(end_fn on_end);

    // Queues `bytes`; nothing is written until flush().
    void append(std::string_view bytes);
    // Writes what is queued: at once as far as the socket takes it, the rest
    // asynchronously.
    void flush();
    // append() and flush() in one, and when nothing is queued the bytes are
    // written from the caller's buffer: only what the socket does not take
    // at once is copied (and counts against max_queued).
    void send(std::string_view bytes) { send(std::span<std::string_view const>(&bytes, 1)); }
    // The same for several pieces, in order, in one system call.
    void send(std::span<std::string_view const> parts);

    // Ends the stream at once; what is queued is dropped.
    void close();
    // Ends the stream cleanly: writes what is queued as far as the socket
    // takes it without waiting, then closes the sending side.
    void finish();

    bool is_open() const noexcept { return open_; }
    // Bytes appended that the socket has not taken yet.
    std::size_t queued() const noexcept { return pending_.size() + in_flight_.size(); }

private:
    // Writes `parts` without waiting, as far as the socket takes them, and
    // returns how many bytes it took; ends the stream (and returns nothing)
    // when the socket failed.
    std::optional<std::size_t> write_now(std::span<std::string_view const> parts);
    // After write_now() took `taken` bytes of `parts`: the rest goes out
    // asynchronously, together with whatever is appended meanwhile.
    void write_rest(std::span<std::string_view const> parts, std::size_t taken);
    void do_read();
    void on_read(boost::system::error_code ec, std::size_t n);
    void on_write(boost::system::error_code ec, std::size_t n);
    void end(end_reason why);

    socket_type socket_;
    std::size_t max_queued_;
    std::string pending_;            // appended, not yet handed to the socket
    std::string in_flight_;          // handed to an asynchronous write
    std::array<char, 64> discard_{}; // what the client sends is read and dropped
    end_fn on_end_;
    bool open_ = true;
    bool writing_ = false;
};

} // namespace kryptod::http
