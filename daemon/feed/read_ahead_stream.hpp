// read_ahead_stream: the layer under the feed's websocket stream. It reads
// the connection in large chunks and hands the websocket at most one frame at
// a time, so that it always knows whether the next whole frame is already
// here, and the feed can then read it with a synchronous read that cannot
// block.
//
// Why: Beast's websocket stream reads through an internal buffer of 1536
// bytes and completes every async_read of a buffered message by posting it,
// so each message cost a trip through the io_context's queue, and with it a
// non-blocking epoll_wait() (the scheduler polls its reactor once per pass);
// a bulk of small trade frames spent most of its time in those system calls.
// A synchronous websocket read costs neither, but may only be used when it
// cannot wait on the network, which is what frame_ready() tells.
//
// Invariants:
// - Until the websocket handshake's HTTP header has been handed up, bytes are
//   handed up to its end ("\r\n\r\n") and no further, so nothing past it sits
//   in the websocket's buffer; after it, bytes pass through unframed until
//   start_framing() (called once the handshake succeeded).
// - Framing: the websocket never holds bytes beyond the frame it is reading,
//   so when it has finished a message its buffer is empty and the next frame
//   starts at the front of this one's.
// - The synchronous read_some() never touches the network: it hands up what
//   is buffered, or fails with would_block when nothing is (the feed only
//   reads synchronously after frame_ready(), so that is never reached).
//   Writes pass straight to the next layer.
//
// Not thread-safe, like the stream it wraps.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

namespace kryptod::daemon::feed {

template <class NextLayer>
class read_ahead_stream {
public:
    using next_layer_type = NextLayer;
    using executor_type = typename NextLayer::executor_type;

    // Bytes asked of the next layer per read.
    static constexpr std::size_t chunk = 64 * 1024;

    template <class... Args>
    explicit read_ahead_stream(Args&&... args)
        : next_(std::forward<Args>(args)...) {}

    next_layer_type& next_layer() noexcept { return next_; }
    next_layer_type const& next_layer() const noexcept { return next_; }
    executor_type get_executor() noexcept { return next_.get_executor(); }

    // The handshake succeeded: from now on, bytes are handed up one frame at
    // a time.
    void start_framing() noexcept {
        mode_ = mode::frames;
        frame_left_ = 0;
    }

    // Whether a synchronous websocket read would get the next message from
    // bytes already here, without waiting: framing, and the whole next frame
    // is buffered and is a complete, unmasked text or binary message of at
    // most `max_payload` bytes with no reserved bits. Anything else (control
    // frames, fragments, what Beast would refuse) is left to async reads.
    bool frame_ready(std::uint64_t max_payload) const noexcept {
        if (mode_ != mode::frames || frame_left_ != 0) return false;
        auto const* p = static_cast<unsigned char const*>(buffer_.data().data());
        std::size_t const n = buffer_.size();
        if (n < 2) return false;
        // FIN and no reserved bit; opcode 1 (text) or 2 (binary); unmasked.
        if ((p[0] & 0xf0) != 0x80 || (p[1] & 0x80) != 0) return false;
        if ((p[0] & 0x0f) != 1 && (p[0] & 0x0f) != 2) return false;
        std::uint64_t const size = frame_size(p, n);
        return size != 0 && size <= n && size - header_size(p) <= max_payload;
    }

    template <class MutableBuffers>
    std::size_t read_some(MutableBuffers const& buffers, boost::beast::error_code& ec) {
        std::size_t const n = hand_up(buffers);
        if (n == 0 && boost::asio::buffer_size(buffers) != 0)
            ec = boost::asio::error::would_block;
        else
            ec = {};
        return n;
    }

    // The throwing forms complete Beast's SyncStream requirements; the
    // websocket stream's error_code reads and writes use the others.
    template <class MutableBuffers>
    std::size_t read_some(MutableBuffers const& buffers) {
        boost::beast::error_code ec;
        std::size_t const n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

    // Hands up buffered bytes (completing through the executor, never from
    // within this call), or reads a chunk from the next layer first. Like any
    // Asio stream, this one must outlive its operations (the websocket stream
    // that owns it does).
    template <class MutableBuffers, class ReadHandler>
    void async_read_some(MutableBuffers const& buffers, ReadHandler&& handler) {
        if (boost::asio::buffer_size(buffers) == 0 || deliverable() != 0) {
            std::size_t const n = hand_up(buffers);
            boost::asio::post(get_executor(),
                              boost::beast::bind_front_handler(std::forward<ReadHandler>(handler),
                                                               boost::beast::error_code{}, n));
            return;
        }
        auto const ex = boost::asio::get_associated_executor(handler, get_executor());
        auto on_read = [this, buffers, h = std::forward<ReadHandler>(handler)](
                           boost::beast::error_code ec, std::size_t got) mutable {
            buffer_.commit(got);
            if (ec) return std::move(h)(ec, std::size_t{0});
            // The header of the next frame may still be incomplete.
            if (deliverable() == 0) return async_read_some(buffers, std::move(h));
            std::move(h)(ec, hand_up(buffers));
        };
        next_.async_read_some(buffer_.prepare(chunk),
                              boost::asio::bind_executor(ex, std::move(on_read)));
    }

    template <class ConstBuffers>
    std::size_t write_some(ConstBuffers const& buffers, boost::beast::error_code& ec) {
        return next_.write_some(buffers, ec);
    }

    template <class ConstBuffers>
    std::size_t write_some(ConstBuffers const& buffers) {
        return next_.write_some(buffers);
    }

    template <class ConstBuffers, class WriteHandler>
    void async_write_some(ConstBuffers const& buffers, WriteHandler&& handler) {
        next_.async_write_some(buffers, std::forward<WriteHandler>(handler));
    }

private:
    enum class mode : std::uint8_t {
        http_header, // the handshake's response header is not all handed up
        passthrough, // after it, until start_framing()
        frames,
    };

    static std::size_t header_size(unsigned char const* p) noexcept {
        std::size_t const length = p[1] & 0x7f;
        std::size_t const extended = length == 126 ? 2 : length == 127 ? 8 : 0;
        return 2 + extended + ((p[1] & 0x80) != 0 ? 4 : 0);
    }

    // Header and payload bytes of the frame at p (n bytes buffered); 0 while
    // its length is not all here. Saturates: Beast refuses such a frame.
    static std::uint64_t frame_size(unsigned char const* p, std::size_t n) noexcept {
        if (n < 2) return 0;
        std::uint64_t length = p[1] & 0x7f;
        std::size_t const at = 2;
        if (length == 126) {
            if (n < at + 2) return 0;
            length = (std::uint64_t{p[2]} << 8) | p[3];
        } else if (length == 127) {
            if (n < at + 8) return 0;
            length = 0;
            for (std::size_t i = 0; i < 8; ++i)
                length = (length << 8) | p[at + i];
        }
        std::uint64_t const header = header_size(p);
        constexpr auto max = std::numeric_limits<std::uint64_t>::max();
        return length > max - header ? max : header + length;
    }

    // How many buffered bytes may be handed up now.
    std::size_t deliverable() noexcept {
        std::size_t const n = buffer_.size();
        if (mode_ != mode::frames || n == 0) return n;
        if (frame_left_ == 0) {
            frame_left_ = frame_size(static_cast<unsigned char const*>(buffer_.data().data()), n);
            if (frame_left_ == 0) return 0;
        }
        return static_cast<std::size_t>(std::min<std::uint64_t>(n, frame_left_));
    }

    template <class MutableBuffers>
    std::size_t hand_up(MutableBuffers const& buffers) {
        std::size_t n = std::min(deliverable(), boost::asio::buffer_size(buffers));
        if (mode_ == mode::http_header) {
            auto const* p = static_cast<char const*>(buffer_.data().data());
            for (std::size_t i = 0; i < n; ++i) {
                header_end_ = p[i] == "\r\n\r\n"[header_end_] ? header_end_ + 1 : p[i] == '\r';
                if (header_end_ == 4) {
                    n = i + 1;
                    mode_ = mode::passthrough;
                    break;
                }
            }
        }
        n = boost::asio::buffer_copy(buffers, buffer_.data(), n);
        buffer_.consume(n);
        if (mode_ == mode::frames) frame_left_ -= n;
        return n;
    }

    NextLayer next_;
    boost::beast::flat_buffer buffer_;
    mode mode_ = mode::http_header;
    std::uint64_t frame_left_ = 0; // bytes of the current frame not yet handed up
    int header_end_ = 0;           // characters of "\r\n\r\n" just handed up
};

// The websocket's closing handshake shuts the next layer down.
template <class NextLayer>
void teardown(boost::beast::role_type role, read_ahead_stream<NextLayer>& stream,
              boost::beast::error_code& ec) {
    using boost::beast::websocket::teardown;
    teardown(role, stream.next_layer(), ec);
}

template <class NextLayer, class TeardownHandler>
void async_teardown(boost::beast::role_type role, read_ahead_stream<NextLayer>& stream,
                    TeardownHandler&& handler) {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

} // namespace kryptod::daemon::feed
