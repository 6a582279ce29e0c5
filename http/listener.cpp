// Accepting connections, bounding them, and draining them on stop.
#include "http/listener.hpp"

#include "http/http_session.hpp"

#include <boost/beast/core/bind_handler.hpp>

#include <charconv>
#include <stdexcept>

namespace kryptod::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

listener::listener(asio::io_context& ioc, tcp::endpoint endpoint, server_limits limits, handler h)
    : ioc_(ioc)
    , acceptor_(ioc)
    , limits_(limits)
    , handler_(std::make_shared<handler const>(std::move(h)))
    , sessions_(std::make_shared<session_registry>()) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

listener::~listener() = default;

void listener::run() {
    do_accept();
}

void listener::stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
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
    if (!ec) {
        if (sessions_->size() >= limits_.max_connections) {
            // Refuse this one without making anyone wait: a fresh socket's
            // send buffer takes a short answer without blocking.
            static std::string const busy = [] {
                std::string body = R"({"type":"about:blank","title":"Service Unavailable",)"
                                   R"("status":503,"detail":"too many connections"})";
                return "HTTP/1.1 503 Service Unavailable\r\n"
                       "Content-Type: application/problem+json\r\nConnection: close\r\n"
                       "Retry-After: 1\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body;
            }();
            boost::system::error_code ignored;
            socket.non_blocking(true, ignored);
            socket.write_some(asio::buffer(busy), ignored);
            socket.shutdown(tcp::socket::shutdown_both, ignored);
            socket.close(ignored);
        } else {
            std::make_shared<http_session>(std::move(socket), limits_, handler_, sessions_)->run();
        }
    }
    // Errors such as EMFILE are transient: keep accepting.
    do_accept();
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
