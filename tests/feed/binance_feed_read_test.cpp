// Tests of daemon/feed/binance_feed's read path, over ws:// and wss://,
// against a small blocking websocket server in this file (binance_test_server
// speaks plain ws only). The server writes trades in bulk, so that many sit
// whole in the connection's read-ahead buffer and are read synchronously,
// and around them what must still go through Beast's asynchronous read: a
// ping (answered with a pong), frame headers split across writes, frames
// larger than Beast's own read buffer, and a binary frame. Every trade must
// arrive once and in order, the subscription reply must be matched, and
// stop() must close the connection.
#include "core/symbol_table.hpp"
#include "daemon/feed/binance_feed.hpp"
#include "daemon/options.hpp"
#include "tests/feed/binance_test_server.hpp"
#include "tests/support/default_config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace feed = kryptod::daemon::feed;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

// A self-signed certificate for IP 127.0.0.1 (P-256, valid until 2126), so
// that the client's peer and host name verification pass against it.
constexpr char const* test_cert = R"(-----BEGIN CERTIFICATE-----
MIIBkDCCATagAwIBAgIUBBnp2GC504IHec65wRYZ+q1EpmcwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMzE5NTAzOVoYDzIxMjYxMDMw
MTk1MDM5WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARyy4cgrNa2lwZmZMOGABZ34FVuuJY2/HrC3DqXzEpicepLWmPg6LYi
zySbcVkasjLvdxYTwoAWDmStbpO2P0yWo2QwYjAdBgNVHQ4EFgQUVGyZJDCHcAvh
s/ceAuo/rl1gMHowHwYDVR0jBBgwFoAUVGyZJDCHcAvhs/ceAuo/rl1gMHowDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0gAMEUC
IQC7ATE5Jx8Pb8h6FE66UWQ624RqBBi3+8AsY4qIseIn4gIgAfvyxdnBzR8/MFzw
UdX0eVfQ1XPfoRGCzrBwprhcgpU=
-----END CERTIFICATE-----
)";
constexpr char const* test_key = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+2YdWJ47aIRiref9
ZpPRHtnRU5ASqt7IBsHjzNIqZlahRANCAARyy4cgrNa2lwZmZMOGABZ34FVuuJY2
/HrC3DqXzEpicepLWmPg6LYizySbcVkasjLvdxYTwoAWDmStbpO2P0yW
-----END PRIVATE KEY-----
)";

std::string trade_frame(std::int64_t id, std::string const& extra = {}) {
    return R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1723161255343,"s":"BTCUSDT","a":)" +
           std::to_string(id) +
           R"(,"p":"61837.63000000","q":"0.02000000","f":1,"l":1,"T":1723161255342,"m":true,"M":true)" +
           extra + "}}";
}

std::string encoded(std::vector<std::string> const& frames) {
    return *kryptod::test::binance_test_server::encode_frames(frames);
}

// What the server sends after the subscription reply, and how many trades.
struct script {
    std::int64_t trades = 0;
    std::function<void(std::function<void(std::string const&)> const& write_raw,
                       std::function<void()> const& ping,
                       std::function<void(std::string const&)> const& write_binary)>
        run;
};

script standard_script() {
    script s;
    s.run = [](auto const& write_raw, auto const& ping, auto const& write_binary) {
        std::int64_t id = 1;
        std::vector<std::string> bulk;
        for (; id <= 3000; ++id)
            bulk.push_back(trade_frame(id));
        write_raw(encoded(bulk));
        // Larger than Beast's 1536-byte read buffer: a 16-bit length.
        write_raw(encoded({trade_frame(id++, R"(,"x":")" + std::string(3000, 'z') + '"')}));
        // Headers split across writes: after the first byte, and inside the
        // extended length.
        std::string const short_frame = encoded({trade_frame(id++)});
        write_raw(short_frame.substr(0, 1));
        std::this_thread::sleep_for(20ms);
        write_raw(short_frame.substr(1));
        std::string const long_frame =
            encoded({trade_frame(id++, R"(,"x":")" + std::string(300, 'y') + '"')});
        write_raw(long_frame.substr(0, 3));
        std::this_thread::sleep_for(20ms);
        write_raw(long_frame.substr(3));
        // A ping and a binary frame among bulk trades.
        bulk.clear();
        for (std::int64_t end = id + 500; id < end; ++id)
            bulk.push_back(trade_frame(id));
        write_raw(encoded(bulk));
        ping();
        write_binary(std::string("\x01\x02\x03", 3));
        bulk.clear();
        for (std::int64_t end = id + 1000; id < end; ++id)
            bulk.push_back(trade_frame(id));
        write_raw(encoded(bulk));
    };
    s.trades = 3000 + 3 + 500 + 1000;
    return s;
}

// A blocking websocket server for one connection, on its own thread.
class test_server {
public:
    test_server(bool tls, script s)
        : tls_(tls)
        , script_(std::move(s))
        , acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
        ssl_.use_certificate_chain(net::buffer(std::string(test_cert)));
        ssl_.use_private_key(net::buffer(std::string(test_key)), net::ssl::context::pem);
        thread_ = std::thread([this] { serve(); });
    }
    ~test_server() {
        beast::error_code ignored;
        acceptor_.close(ignored);
        thread_.join();
    }

    std::string url() const {
        return std::string(tls_ ? "wss" : "ws") +
               "://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/stream";
    }

    std::atomic<bool> pong{false};
    std::atomic<bool> done{false}; // the client closed the connection
    std::string error;             // set by the server thread before done

private:
    void serve() {
        try {
            tcp::socket socket(ioc_);
            acceptor_.accept(socket);
            if (tls_) {
                websocket::stream<net::ssl::stream<tcp::socket>> ws(std::move(socket), ssl_);
                ws.next_layer().handshake(net::ssl::stream_base::server);
                converse(ws);
            } else {
                websocket::stream<tcp::socket> ws(std::move(socket));
                converse(ws);
            }
        } catch (std::exception const& e) {
            error = e.what();
        }
        done = true;
    }

    template <class Ws>
    void converse(Ws& ws) {
        ws.accept();
        ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::pong) pong = true;
        });
        beast::flat_buffer in;
        ws.read(in);
        std::string const request = beast::buffers_to_string(in.data());
        auto const at = request.find("\"id\":");
        if (request.find("SUBSCRIBE") == std::string::npos || at == std::string::npos)
            throw std::runtime_error("expected a SUBSCRIBE request, got " + request);
        ws.text(true);
        ws.write(net::buffer(R"({"result":null,"id":)" +
                             request.substr(at + 5, request.find('}', at) - at - 5) + "}"));
        script_.run(
            [&](std::string const& bytes) { net::write(ws.next_layer(), net::buffer(bytes)); },
            [&] { ws.ping({}); },
            [&](std::string const& bytes) {
                ws.binary(true);
                ws.write(net::buffer(bytes));
            });
        // Until the client closes: the pong arrives here.
        beast::error_code ec;
        while (!ec) {
            in.clear();
            ws.read(in, ec);
        }
        if (ec != websocket::error::closed) error = "read: " + ec.message();
    }

    bool tls_;
    script script_;
    net::io_context ioc_;
    net::ssl::context ssl_{net::ssl::context::tls_server};
    tcp::acceptor acceptor_;
    std::thread thread_;
};

class recording_listener : public feed::feed_listener {
public:
    void on_connected(feed::binance_feed& conn) override {
        connected = true;
        conn.subscribe({"btcusdt@aggTrade"});
    }
    void on_frame(feed::binance_feed&, feed::decoded_frame const& frame, std::size_t) override {
        if (frame.kind == feed::frame_kind::trade) trade_ids.push_back(frame.trade_id);
        if (frame.kind == feed::frame_kind::malformed) ++malformed;
    }
    void on_binary_frame(feed::binance_feed&, std::size_t bytes) override { binary_bytes += bytes; }
    void on_reply(feed::binance_feed&, std::string_view method, std::vector<std::string> const&,
                  bool ok) override {
        replies.push_back(std::string(method) + (ok ? " ok" : " refused"));
    }
    void on_closed(feed::binance_feed&, std::string const& reason) override { closed = reason; }

    bool connected = false;
    std::vector<std::int64_t> trade_ids;
    std::size_t malformed = 0, binary_bytes = 0;
    std::vector<std::string> replies;
    std::string closed;
};

void run_session(bool tls) {
    auto const s = standard_script();
    test_server server(tls, s);

    net::io_context ioc;
    net::ssl::context ssl(net::ssl::context::tls_client);
    ssl.add_certificate_authority(net::buffer(std::string(test_cert)));
    kryptod::core::symbol_table symbols;
    symbols.intern("BTCUSDT");
    auto options = kryptod::daemon::feed_options_from(kryptod::test::default_config());
    options.url = server.url();
    std::string error;
    auto const where = feed::parse_endpoint(options.url, error);
    BOOST_REQUIRE(where);
    BOOST_TEST(where->tls == tls);
    auto listener = std::make_shared<recording_listener>();
    auto conn =
        std::make_shared<feed::binance_feed>(ioc, ssl, *where, options, symbols, listener, 1);
    conn->run();

    auto const run_until = [&](auto const& done) {
        auto const deadline = std::chrono::steady_clock::now() + 10s;
        while (!done() && std::chrono::steady_clock::now() < deadline)
            ioc.run_for(5ms);
        return done();
    };
    BOOST_REQUIRE(run_until([&] {
        return static_cast<std::int64_t>(listener->trade_ids.size()) >= s.trades &&
               listener->binary_bytes == 3 && server.pong;
    }));
    BOOST_TEST(listener->connected);
    BOOST_TEST(listener->closed.empty());
    BOOST_TEST(listener->malformed == 0u);
    BOOST_TEST(listener->replies == std::vector<std::string>{"SUBSCRIBE ok"});
    BOOST_REQUIRE(static_cast<std::int64_t>(listener->trade_ids.size()) == s.trades);
    for (std::int64_t i = 0; i < s.trades; ++i)
        BOOST_REQUIRE(listener->trade_ids[static_cast<std::size_t>(i)] == i + 1);

    conn->stop();
    BOOST_REQUIRE(run_until([&] { return !listener->closed.empty() && server.done; }));
    BOOST_TEST(listener->closed == "stopped");
    BOOST_TEST(server.error.empty(), server.error);
}

} // namespace

BOOST_AUTO_TEST_SUITE(binance_feed_read)

BOOST_AUTO_TEST_CASE(plain_websocket_delivers_bulk_split_large_and_control_frames_in_order) {
    run_session(false);
}

BOOST_AUTO_TEST_CASE(tls_websocket_delivers_bulk_split_large_and_control_frames_in_order) {
    run_session(true);
}

BOOST_AUTO_TEST_SUITE_END()
