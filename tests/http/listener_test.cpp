// Tests for http/listener.hpp and http/http_session.hpp over real sockets on
// 127.0.0.1: answers, keep-alive, pipelining, size limits, deadlines,
// connection bound and drain.
#include "http/listener.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <thread>

using namespace kryptod::http;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// A listener on a free port, served by its own io_context thread. The
// handler answers GET /echo with the request body, and GET /slow after 300 ms.
struct server_fixture {
    asio::io_context ioc;
    std::shared_ptr<listener> server;
    std::thread thread;
    unsigned short port = 0;

    explicit server_fixture(server_limits limits = test_limits()) {
        router r;
        r.add(verb::post, "/echo", [](incoming in, responder respond) {
            response res{status::ok, 11};
            res.body() = in.req.body();
            res.prepare_payload();
            respond(std::move(res));
        });
        r.add(verb::get, "/hello", [](incoming in, responder respond) {
            response res{status::ok, 11};
            res.body() = "hello " + in.client_address;
            res.prepare_payload();
            respond(std::move(res));
        });
        r.add(verb::get, "/slow", [](incoming, responder respond) {
            // Answers from another thread, as handlers that do blocking work do.
            std::thread([respond] {
                std::this_thread::sleep_for(300ms);
                respond(empty_response(status::no_content));
            }).detach();
        });
        server = std::make_shared<listener>(
            ioc, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}, limits, std::move(r));
        port = server->local_endpoint().port();
        server->run();
        thread = std::thread([this] { ioc.run(); });
    }
    ~server_fixture() {
        asio::post(ioc, [this] { server->stop(); });
        ioc.stop();
        thread.join();
    }

    static server_limits test_limits() {
        server_limits l;
        l.max_body = 1024;
        l.max_header = 2048;
        l.max_connections = 8;
        l.header_timeout = 1s;
        l.body_timeout = 1s;
        l.idle_timeout = 2s;
        return l;
    }
};

// A blocking client connection for tests.
struct client {
    asio::io_context ioc;
    tcp::socket socket{ioc};
    beast::flat_buffer buffer;

    explicit client(unsigned short port) {
        socket.connect({asio::ip::make_address("127.0.0.1"), port});
    }
    void send_raw(std::string_view bytes) { asio::write(socket, asio::buffer(bytes)); }
    response read() {
        response res;
        bhttp::read(socket, buffer, res);
        return res;
    }
    response call(verb method, std::string target, std::string body = {}) {
        request req{method, target, 11};
        req.set(bhttp::field::host, "127.0.0.1");
        req.body() = std::move(body);
        req.prepare_payload();
        bhttp::write(socket, req);
        return read();
    }
    // True when the server closed the connection (reads EOF or reset).
    bool closed_by_peer() {
        char c;
        boost::system::error_code ec;
        socket.read_some(asio::buffer(&c, 1), ec);
        return ec == asio::error::eof || ec == asio::error::connection_reset;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(listener)

BOOST_AUTO_TEST_CASE(answers_and_keeps_the_connection_alive) {
    server_fixture srv;
    client c(srv.port);
    auto first = c.call(verb::get, "/hello");
    BOOST_TEST(first.result() == status::ok);
    BOOST_TEST(first.body() == "hello 127.0.0.1");
    BOOST_TEST(first[bhttp::field::server] == "kryptod");
    auto second = c.call(verb::post, "/echo", "ping");
    BOOST_TEST(second.body() == "ping");
    BOOST_TEST(second.keep_alive());
}

BOOST_AUTO_TEST_CASE(serves_pipelined_requests_in_order) {
    server_fixture srv;
    client c(srv.port);
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
               "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
               "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree");
    BOOST_TEST(c.read().body() == "one");
    BOOST_TEST(c.read().result() == status::no_content);
    BOOST_TEST(c.read().body() == "three");
}

BOOST_AUTO_TEST_CASE(oversized_body_is_413) {
    server_fixture srv;
    client c(srv.port);
    auto res = c.call(verb::post, "/echo", std::string(4096, 'x'));
    BOOST_TEST(res.result() == status::payload_too_large);
    BOOST_TEST(res[bhttp::field::content_type] == "application/problem+json");
    BOOST_TEST(!res.keep_alive());
}

BOOST_AUTO_TEST_CASE(oversized_header_is_431) {
    server_fixture srv;
    client c(srv.port);
    request req{verb::get, "/hello", 11};
    req.set("X-Padding", std::string(8192, 'p'));
    bhttp::write(c.socket, req);
    auto res = c.read();
    BOOST_TEST(res.result() == status::request_header_fields_too_large);
}

BOOST_AUTO_TEST_CASE(malformed_request_is_400) {
    server_fixture srv;
    client c(srv.port);
    c.send_raw("GET /hello HTTP/1.1\r\nHost x no colon\r\n\r\n");
    auto res = c.read();
    BOOST_TEST(res.result() == status::bad_request);
    BOOST_TEST(c.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(slowloris_is_cut_off_while_others_are_served) {
    server_fixture srv;
    std::vector<std::unique_ptr<client>> slow;
    for (int i = 0; i < 5; ++i) {
        slow.push_back(std::make_unique<client>(srv.port));
        slow.back()->send_raw("GET /hello HTTP/1.1\r\nHost: x\r\n");
    }
    auto const start = std::chrono::steady_clock::now();
    // Trickle a header line every 300 ms; a normal client is served meanwhile.
    client normal(srv.port);
    for (int round = 0; round < 4; ++round) {
        for (auto& s : slow) {
            boost::system::error_code ec;
            asio::write(s->socket, asio::buffer(std::string_view("X-A: b\r\n")), ec);
        }
        auto t0 = std::chrono::steady_clock::now();
        BOOST_TEST(normal.call(verb::get, "/hello").result() == status::ok);
        BOOST_CHECK(std::chrono::steady_clock::now() - t0 < 200ms);
        std::this_thread::sleep_for(300ms);
    }
    for (auto& s : slow)
        BOOST_TEST(s->closed_by_peer());
    // header_timeout is 1 s: they were cut off well before a patient server would.
    BOOST_CHECK(std::chrono::steady_clock::now() - start < 3s);
}

BOOST_AUTO_TEST_CASE(idle_connection_is_closed) {
    server_fixture srv;
    client c(srv.port);
    BOOST_TEST(c.call(verb::get, "/hello").result() == status::ok);
    auto const start = std::chrono::steady_clock::now();
    BOOST_TEST(c.closed_by_peer());
    auto waited = std::chrono::steady_clock::now() - start;
    BOOST_CHECK(waited >= 1500ms);
    BOOST_CHECK(waited < 4s);
}

BOOST_AUTO_TEST_CASE(excess_connections_get_503_and_the_others_keep_working) {
    auto limits = server_fixture::test_limits();
    limits.max_connections = 3;
    server_fixture srv(limits);
    std::vector<std::unique_ptr<client>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(std::make_unique<client>(srv.port));
        BOOST_TEST(held.back()->call(verb::get, "/hello").result() == status::ok);
    }
    client extra(srv.port);
    auto res = extra.read();
    BOOST_TEST(res.result() == status::service_unavailable);
    for (auto& h : held)
        BOOST_TEST(h->call(verb::get, "/hello").result() == status::ok);
    // Once one leaves, a new connection is accepted.
    held.pop_back();
    std::this_thread::sleep_for(100ms);
    client again(srv.port);
    BOOST_TEST(again.call(verb::get, "/hello").result() == status::ok);
}

BOOST_AUTO_TEST_CASE(stop_finishes_requests_in_hand_and_closes_idle_ones) {
    server_fixture srv;
    client idle(srv.port);
    BOOST_TEST(idle.call(verb::get, "/hello").result() == status::ok);
    client busy(srv.port);
    request req{verb::get, "/slow", 11};
    req.set(bhttp::field::host, "x");
    bhttp::write(busy.socket, req);
    std::this_thread::sleep_for(100ms);
    asio::post(srv.ioc, [&] { srv.server->stop(); });
    auto res = busy.read();
    BOOST_TEST(res.result() == status::no_content);
    BOOST_TEST(!res.keep_alive());
    BOOST_TEST(idle.closed_by_peer());
    boost::system::error_code ec;
    tcp::socket late(srv.ioc);
    late.connect({asio::ip::make_address("127.0.0.1"), srv.port}, ec);
    BOOST_TEST(ec.failed());
}

BOOST_AUTO_TEST_CASE(parse_endpoint_accepts_v4_v6_and_rejects_garbage) {
    BOOST_TEST(parse_endpoint("127.0.0.1:8000").port() == 8000);
    BOOST_TEST(parse_endpoint("[::1]:9").address().is_v6());
    BOOST_CHECK_THROW(parse_endpoint("localhost"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_endpoint("127.0.0.1:99999"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_endpoint("127.0.0.1:"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_endpoint("nohost:80"), std::invalid_argument);
    BOOST_CHECK_THROW(parse_endpoint("[::1:80"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
