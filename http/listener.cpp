// Accepting connections, bounding them, and draining them on stop.
#include "http/listener.hpp"

#include "http/http_session.hpp"

#include <boost/beast/core/bind_handler.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace kryptod::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// The first pause after running out of descriptors, and the longest: short
// enough that the listener serves again soon after descriptors come back,
// long enough that a lasting shortage costs no measurable CPU.
constexpr std::chrono::milliseconds first_pause = 20ms;
constexpr std::chrono::milliseconds longest_pause = 500ms;

// Waiting connections turned away per pause while out of descriptors.
constexpr int max_refused_per_pause = 256;

int open_reserve() {
    return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

bool out_of_descriptors(boost::system::error_code ec) {
    return ec == asio::error::no_descriptors ||
           ec == boost::system::errc::too_many_files_open_in_system ||
           ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

// A complete 503 answer, closing the connection.
std::string busy_answer(std::string_view detail) {
    std::string body = R"({"type":"about:blank","title":"Service Unavailable",)"
                       R"("status":503,"detail":")" +
                       std::string(detail) + "\"}";
    return "HTTP/1.1 503 Service Unavailable\r\n"
           "Content-Type: application/problem+json\r\nConnection: close\r\n"
           "Retry-After: 1\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Refuses a connection without making anyone wait: a fresh socket's send
// buffer takes a short answer without blocking.
template <class Socket>
void refuse(Socket& socket, std::string const& answer) {
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(answer), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

} // namespace

listener::listener(asio::io_context& ioc, tcp::endpoint endpoint, server_limits limits, handler h,
                   trusted_proxies proxies)
    : ioc_(ioc)
    , acceptor_(ioc)
    , limits_(limits)
    , handler_(std::make_shared<handler const>(std::move(h)))
    , proxies_(std::make_shared<trusted_proxies const>(std::move(proxies)))
    , sessions_(std::make_shared<session_registry>())
    , pause_timer_(ioc) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    // The synchronous accept used to turn connections away (see
    // on_out_of_descriptors) must never wait; asynchronous accepts are not
    // affected by this.
    acceptor_.non_blocking(true);
    reserve_fd_ = open_reserve();
    if (reserve_fd_ < 0)
        throw boost::system::system_error(errno, boost::system::system_category(),
                                          "reserve descriptor");
}

listener::~listener() {
    if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

void listener::run() {
    do_accept();
}

void listener::stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    pause_timer_.cancel();
    sessions_->drain();
}

tcp::endpoint listener::local_endpoint() const {
    boost::system::error_code ec;
    return acceptor_.local_endpoint(ec);
}

std::size_t listener::active_sessions() const {
    return sessions_->size();
}

void listener::do_accept() {
    // Sessions run on the io_context's own executor, not a strand: one thread
    // runs it, and a strand would add a lock and a type-erased executor to
    // every operation of every request.
    acceptor_.async_accept(ioc_,
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(boost::system::error_code ec, socket_type socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    // Accepting again at once would fail again at once: the waiting
    // connection stays queued and the acceptor stays readable.
    if (out_of_descriptors(ec)) return on_out_of_descriptors(ec);
    if (!ec) {
        if (pause_ > 0ms) {
            warn("accepting connections again; " + std::to_string(refused_in_episode_) +
                 " were refused while out of file descriptors");
            pause_ = 0ms;
            refused_in_episode_ = 0;
        }
        if (reserve_fd_ < 0) reserve_fd_ = open_reserve();
        start_session(std::move(socket));
    }
    // Other errors (a connection reset while queued) concern one client.
    do_accept();
}

void listener::start_session(socket_type socket) {
    boost::system::error_code ec;
    auto const remote = socket.remote_endpoint(ec);
    if (ec) return; // gone already; the socket closes on return
    auto const peer = unmapped(remote.address());
    bool const trusted = proxies_->contains(peer);
    if (sessions_->size() >= limits_.max_connections) {
        static std::string const busy = busy_answer("too many connections");
        return refuse(socket, busy);
    }
    if (!trusted && sessions_->count_from(peer) >= limits_.max_connections_per_ip) {
        static std::string const busy = busy_answer("too many connections from your address");
        return refuse(socket, busy);
    }
    std::make_shared<http_session>(std::move(socket), peer, trusted, limits_, handler_, proxies_,
                                   sessions_)
        ->run();
}

// Out of descriptors. The reserve descriptor is given back so that the
// waiting connections can be accepted, answered 503 and closed one at a
// time (a client learns at once rather than timing out in the queue), then
// taken again; accepting resumes after a pause that doubles while the
// shortage lasts.
void listener::on_out_of_descriptors(boost::system::error_code ec) {
    if (pause_ == 0ms)
        warn("out of file descriptors (" + ec.message() +
             "): refusing new connections until some close");
    if (reserve_fd_ >= 0) {
        ::close(reserve_fd_);
        reserve_fd_ = -1;
    }
    static std::string const busy = busy_answer("out of file descriptors");
    for (int i = 0; i < max_refused_per_pause; ++i) {
        socket_type waiting(ioc_);
        boost::system::error_code accept_ec;
        acceptor_.accept(waiting, accept_ec);
        if (accept_ec) break; // nothing waits (would_block), or still no descriptor
        refuse(waiting, busy);
        ++refused_in_episode_;
    }
    // Another thread may have taken the descriptor meanwhile; then the next
    // episode, or the next accepted connection, tries again.
    reserve_fd_ = open_reserve();
    pause_ = pause_ == 0ms ? first_pause : std::min(pause_ * 2, longest_pause);
    pause_timer_.expires_after(pause_);
    pause_timer_.async_wait(beast::bind_front_handler(&listener::on_pause, shared_from_this()));
}

void listener::on_pause(boost::system::error_code ec) {
    if (ec || !acceptor_.is_open()) return;
    do_accept();
}

void listener::warn(std::string_view text) const {
    if (warn_) warn_(text);
}

tcp::endpoint parse_endpoint(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw std::invalid_argument("expected [address]:port, got \"" + std::string(text) +
                                        "\"");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos)
            throw std::invalid_argument("expected address:port, got \"" + std::string(text) + "\"");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (err != std::errc{} || end != port.data() + port.size() || port.empty() || value > 65535)
        throw std::invalid_argument("bad port \"" + std::string(port) + "\"");
    boost::system::error_code ec;
    auto address = asio::ip::make_address(std::string(host), ec);
    if (ec) throw std::invalid_argument("bad IP address \"" + std::string(host) + "\"");
    return {address, static_cast<unsigned short>(value)};
}

} // namespace kryptod::http
