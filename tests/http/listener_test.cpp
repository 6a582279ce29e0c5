// Tests for http/listener.hpp and http/http_session.hpp over real sockets on
// 127.0.0.1: answers, keep-alive, pipelining, size limits, deadlines,
// connection bounds (global and per address), trusted proxies, Expect:
// 100-continue, running out of descriptors, and drain.
#include "http/listener.hpp"
#include "http/rate_limiter.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace kryptod::http;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// Polls `done` every 10 ms until it holds or `limit` passes; true if it held.
template <class Condition>
bool eventually(Condition done, std::chrono::milliseconds limit = 5000ms) {
    auto const until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// The routes every test server has: POST /echo answers with the request
// body, GET /hello with the client's address (and its proxy in X-Peer), GET
// /slow after 300 ms from another thread, and POST /login is rate limited
// to two attempts a minute per client address, as kryptod's logins are.
router test_routes(std::atomic<int>& slow_requests) {
    router r;
    auto limiter = std::make_shared<rate_limiter>(2);
    r.add(verb::post, "/login", [limiter](incoming in, responder respond) {
        if (limiter->hit(in.client_address, rate_limiter::clock::now()))
            return respond(problem(status::too_many_requests, "too many attempts"));
        respond(empty_response(status::no_content));
    });
    r.add(verb::post, "/echo", [](incoming in, responder respond) {
        response res{status::ok, 11};
        res.body() = in.req.body();
        res.prepare_payload();
        respond(std::move(res));
    });
    r.add(verb::get, "/hello", [](incoming in, responder respond) {
        response res{status::ok, 11};
        res.body() = "hello " + in.client_address;
        if (!in.peer_address.empty()) res.set("X-Peer", in.peer_address);
        res.prepare_payload();
        respond(std::move(res));
    });
    r.add(verb::get, "/slow", [&slow_requests](incoming, responder respond) {
        ++slow_requests;
        // Answers from another thread, as handlers that do blocking work do.
        std::thread([respond] {
            std::this_thread::sleep_for(300ms);
            respond(empty_response(status::no_content));
        }).detach();
    });
    return r;
}

// A listener on a free port, served by its own io_context thread.
struct server_fixture {
    asio::io_context ioc;
    std::shared_ptr<listener> server;
    std::thread thread;
    unsigned short port = 0;
    std::atomic<int> slow_requests{0}; // GET /slow requests that reached the handler

    explicit server_fixture(server_limits limits = test_limits(), trusted_proxies proxies = {}) {
        server =
            std::make_shared<listener>(ioc, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0},
                                       limits, test_routes(slow_requests), std::move(proxies));
        port = server->local_endpoint().port();
        server->run();
        thread = std::thread([this] { ioc.run(); });
    }
    ~server_fixture() {
        asio::post(ioc, [this] { server->stop(); });
        ioc.stop();
        thread.join();
    }

    // Sessions alive, asked on the server's own thread.
    std::size_t sessions() {
        std::promise<std::size_t> count;
        asio::post(ioc, [&] { count.set_value(server->active_sessions()); });
        return count.get_future().get();
    }

    static server_limits test_limits() {
        server_limits l;
        l.max_body = 1024;
        l.max_header = 2048;
        l.max_connections = 8;
        l.max_connections_per_ip = 8;
        l.first_byte_timeout = 2s;
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
    // Reads a response, or std::nullopt when none comes within `limit`.
    std::optional<response> read_for(std::chrono::milliseconds limit) {
        response res;
        std::optional<boost::system::error_code> result;
        bhttp::async_read(socket, buffer, res,
                          [&](boost::system::error_code ec, std::size_t) { result = ec; });
        ioc.restart();
        ioc.run_for(limit);
        if (!result) {
            socket.cancel();
            ioc.restart();
            ioc.run();
            return std::nullopt;
        }
        if (*result) return std::nullopt;
        return res;
    }
    // Reads up to the blank line that ends a response head, and returns that
    // head as text; what follows stays buffered for read().
    std::string read_head() {
        for (;;) {
            auto const text = beast::buffers_to_string(buffer.data());
            if (auto end = text.find("\r\n\r\n"); end != std::string::npos) {
                buffer.consume(end + 4);
                return text.substr(0, end + 4);
            }
            buffer.commit(socket.read_some(buffer.prepare(1024)));
        }
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

// One path may take a larger body (a bulk import); every other keeps
// max_body, whether the body's length is declared or it comes chunked.
BOOST_AUTO_TEST_CASE(a_path_with_a_larger_body_limit_keeps_it_to_itself) {
    auto limits = server_fixture::test_limits();
    limits.larger_bodies.emplace_back("/echo", 8192);
    server_fixture srv(limits);
    auto post = [&](std::string const& target, std::size_t size) {
        client c(srv.port);
        return c.call(verb::post, target, std::string(size, 'x'));
    };
    BOOST_TEST(post("/echo", 4096).body() == std::string(4096, 'x'));
    BOOST_TEST(post("/echo/?q=1", 8192).result() == status::ok);
    BOOST_TEST(post("/echo", 8193).result() == status::payload_too_large);
    BOOST_TEST(post("/hello", 1025).result() == status::payload_too_large);
    auto chunked = [&](std::string const& target, std::size_t size) {
        client c(srv.port);
        std::ostringstream head;
        head << "POST " << target << " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             << std::hex << size << "\r\n";
        c.send_raw(head.str() + std::string(size, 'x') + "\r\n0\r\n\r\n");
        return c.read();
    };
    BOOST_TEST(chunked("/echo", 4096).result() == status::ok);
    BOOST_TEST(chunked("/echo", 9000).result() == status::payload_too_large);
    BOOST_TEST(chunked("/hello", 2000).result() == status::payload_too_large);
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
    BOOST_TEST(eventually([&] { return srv.sessions() == 2; }));
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
    BOOST_TEST_REQUIRE(eventually([&] { return srv.slow_requests == 1; }));
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

BOOST_AUTO_TEST_CASE(one_address_cannot_take_every_slot_and_silent_connections_are_cut) {
    auto limits = server_fixture::test_limits();
    limits.max_connections = 16;
    limits.max_connections_per_ip = 4;
    limits.first_byte_timeout = 1s;
    limits.header_timeout = 10s;
    limits.idle_timeout = 30s;
    server_fixture srv(limits);
    // One connection in use, kept alive; three that never send a byte.
    client served(srv.port);
    BOOST_TEST(served.call(verb::get, "/hello").result() == status::ok);
    std::vector<std::unique_ptr<client>> silent;
    for (int i = 0; i < 3; ++i)
        silent.push_back(std::make_unique<client>(srv.port));
    BOOST_TEST_REQUIRE(eventually([&] { return srv.sessions() == 4; }));
    // The address's cap is reached: a fifth is told so at once, though the
    // server as a whole has room.
    client fifth(srv.port);
    auto const refused = fifth.read();
    BOOST_TEST(refused.result() == status::service_unavailable);
    BOOST_TEST(refused.body().find("too many connections from your address") != std::string::npos);
    BOOST_TEST(refused[bhttp::field::retry_after] == "1");
    BOOST_TEST(fifth.closed_by_peer());
    // The silent ones are cut by the first-byte timeout (1 s), not left for
    // the idle timeout (30 s), which still holds the served connection open.
    for (auto& s : silent)
        BOOST_TEST(s->closed_by_peer());
    BOOST_TEST(eventually([&] { return srv.sessions() == 1; }));
    BOOST_TEST(served.call(verb::get, "/hello").result() == status::ok);
    client again(srv.port);
    BOOST_TEST(again.call(verb::get, "/hello").result() == status::ok);
}

BOOST_AUTO_TEST_CASE(a_trusted_proxy_is_not_held_to_the_per_address_cap) {
    auto limits = server_fixture::test_limits();
    limits.max_connections_per_ip = 2;
    server_fixture srv(limits, trusted_proxies::parse("127.0.0.1"));
    std::vector<std::unique_ptr<client>> held;
    for (int i = 0; i < 5; ++i) {
        held.push_back(std::make_unique<client>(srv.port));
        BOOST_TEST(held.back()->call(verb::get, "/hello").result() == status::ok);
    }
}

namespace {

status login_as(client& c, std::string_view forwarded_for) {
    request req{verb::post, "/login", 11};
    req.set(bhttp::field::host, "x");
    req.set("X-Forwarded-For", forwarded_for);
    req.prepare_payload();
    bhttp::write(c.socket, req);
    return c.read().result();
}

std::string hello_as(client& c, std::string_view forwarded_for, std::string* peer = nullptr) {
    request req{verb::get, "/hello", 11};
    req.set(bhttp::field::host, "x");
    req.set("X-Forwarded-For", forwarded_for);
    bhttp::write(c.socket, req);
    auto res = c.read();
    if (peer) *peer = std::string(res["X-Peer"]);
    return res.body();
}

} // namespace

BOOST_AUTO_TEST_CASE(clients_behind_a_trusted_proxy_get_their_own_rate_limit) {
    server_fixture proxied(server_fixture::test_limits(), trusted_proxies::parse("127.0.0.1"));
    client proxy(proxied.port);
    std::string peer;
    BOOST_TEST(hello_as(proxy, "6.6.6.6, 203.0.113.1", &peer) == "hello 203.0.113.1");
    BOOST_TEST(peer == "127.0.0.1");
    BOOST_TEST(login_as(proxy, "203.0.113.1") == status::no_content);
    BOOST_TEST(login_as(proxy, "203.0.113.1") == status::no_content);
    BOOST_TEST(login_as(proxy, "203.0.113.1") == status::too_many_requests);
    // Another client of the same proxy is not locked out by the first one...
    BOOST_TEST(login_as(proxy, "203.0.113.2") == status::no_content);
    // ...and the first cannot escape its bucket by forging hops on the left.
    BOOST_TEST(login_as(proxy, "198.51.100.99, 203.0.113.1") == status::too_many_requests);
}

BOOST_AUTO_TEST_CASE(an_untrusted_peer_cannot_forge_its_address) {
    server_fixture direct; // trusts no proxy
    client c(direct.port);
    std::string peer = "unset";
    BOOST_TEST(hello_as(c, "203.0.113.1", &peer) == "hello 127.0.0.1");
    BOOST_TEST(peer.empty());
    BOOST_TEST(login_as(c, "203.0.113.1") == status::no_content);
    BOOST_TEST(login_as(c, "203.0.113.2") == status::no_content);
    BOOST_TEST(login_as(c, "203.0.113.3") == status::too_many_requests);
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_before_the_body) {
    server_fixture srv;
    client c(srv.port);
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
               "Expect: 100-continue\r\n\r\n");
    // Like curl, the client sends nothing more until it hears 100.
    BOOST_TEST(c.read_head() == "HTTP/1.1 100 Continue\r\n\r\n");
    c.send_raw("ping");
    auto res = c.read();
    BOOST_TEST(res.result() == status::ok);
    BOOST_TEST(res.body() == "ping");
    BOOST_TEST(res.keep_alive());
    // The token is case-insensitive; the connection serves on.
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
               "Expect: 100-Continue\r\n\r\n");
    BOOST_TEST(c.read_head() == "HTTP/1.1 100 Continue\r\n\r\n");
    c.send_raw("pong");
    BOOST_TEST(c.read().body() == "pong");
}

BOOST_AUTO_TEST_CASE(expect_100_continue_with_a_body_too_large_gets_413_unread) {
    server_fixture srv;
    client c(srv.port);
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n"
               "Expect: 100-continue\r\n\r\n");
    auto res = c.read();
    BOOST_TEST(res.result() == status::payload_too_large);
    BOOST_TEST(!res.keep_alive());
    BOOST_TEST(c.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(an_unknown_expectation_gets_417_unread) {
    server_fixture srv;
    client c(srv.port);
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
               "Expect: 200-ok\r\n\r\n");
    auto res = c.read();
    BOOST_TEST(res.result() == status::expectation_failed);
    BOOST_TEST(c.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(a_client_that_sends_the_body_anyway_is_served_without_a_100) {
    server_fixture srv;
    client c(srv.port);
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
               "Expect: 100-continue\r\n\r\nping");
    auto const head = c.read_head();
    BOOST_TEST(head.starts_with("HTTP/1.1 200 OK\r\n"));
}

namespace {

// A listener in a child process whose descriptor limit is a few above what
// it has open, so that a handful of connections exhausts it. Its warnings
// come back through a pipe, one line each.
struct starved_server {
    pid_t pid = -1;
    unsigned short port = 0;
    int warnings = -1; // read end

    starved_server() {
        int port_pipe[2], warn_pipe[2];
        BOOST_TEST_REQUIRE(::pipe(port_pipe) == 0);
        BOOST_TEST_REQUIRE(::pipe(warn_pipe) == 0);
        pid = ::fork();
        BOOST_TEST_REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(port_pipe[0]);
            ::close(warn_pipe[0]);
            serve(port_pipe[1], warn_pipe[1]);
        }
        ::close(port_pipe[1]);
        ::close(warn_pipe[1]);
        warnings = warn_pipe[0];
        ::fcntl(warnings, F_SETFL, O_NONBLOCK);
        BOOST_TEST_REQUIRE(::read(port_pipe[0], &port, sizeof port) == sizeof port);
        ::close(port_pipe[0]);
    }
    ~starved_server() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        if (warnings >= 0) ::close(warnings);
    }

    [[noreturn]] static void serve(int port_out, int warn_out) {
        try {
            asio::io_context ioc;
            auto limits = server_fixture::test_limits();
            limits.max_connections = 1000;
            limits.max_connections_per_ip = 1000;
            limits.first_byte_timeout = limits.idle_timeout = limits.header_timeout = 60s;
            std::atomic<int> slow{0};
            auto srv = std::make_shared<kryptod::http::listener>(
                ioc, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}, limits,
                test_routes(slow));
            srv->report_to([warn_out](std::string_view line) {
                std::string text(line);
                text += '\n';
                (void)!::write(warn_out, text.data(), text.size());
            });
            std::size_t open = 0;
            for ([[maybe_unused]] auto const& e :
                 std::filesystem::directory_iterator("/proc/self/fd"))
                ++open;
            // Room for six connections (the directory's own descriptor closed).
            rlimit const limit{open + 5, open + 5};
            if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(3);
            srv->run();
            auto const port = srv->local_endpoint().port();
            if (::write(port_out, &port, sizeof port) != sizeof port) ::_exit(4);
            ioc.run();
        } catch (...) {
            ::_exit(2);
        }
        ::_exit(0);
    }

    // The child's CPU time so far (user + system), from /proc.
    std::chrono::milliseconds cpu_time() const {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string stat((std::istreambuf_iterator<char>(in)), {});
        // Fields after the command name, which is in parentheses: utime and
        // stime are the 12th and 13th of them.
        std::istringstream rest(stat.substr(stat.rfind(')') + 2));
        std::string field;
        long ticks = 0;
        for (int i = 1; i <= 13 && rest >> field; ++i)
            if (i == 12 || i == 13) ticks += std::stol(field);
        return std::chrono::milliseconds(ticks * 1000 / ::sysconf(_SC_CLK_TCK));
    }

    std::string warnings_so_far() const {
        std::string out;
        char chunk[512];
        ssize_t n;
        while ((n = ::read(warnings, chunk, sizeof chunk)) > 0)
            out.append(chunk, static_cast<std::size_t>(n));
        return out;
    }
};

std::size_t count(std::string const& text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(out_of_descriptors_the_listener_neither_spins_nor_stays_deaf) {
    starved_server srv;
    // Take every descriptor the server has with kept-alive connections.
    std::vector<std::unique_ptr<client>> held;
    for (;;) {
        held.push_back(std::make_unique<client>(srv.port));
        held.back()->send_raw("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        auto res = held.back()->read_for(5s);
        BOOST_TEST_REQUIRE(res.has_value(), "a connection past the descriptor limit is answered");
        if (res->result() == status::ok) continue;
        // The one that found no descriptor left is turned away, and told why.
        BOOST_TEST(res->result() == status::service_unavailable);
        BOOST_TEST(res->body().find("out of file descriptors") != std::string::npos);
        held.pop_back();
        break;
    }
    BOOST_TEST(held.size() >= 2u);
    // Connections keep arriving while nothing is free: each is refused at
    // once, and the server stays (nearly) idle instead of retrying accept()
    // in a loop. One that is not even read from waits in the queue.
    for (int i = 0; i < 5; ++i) {
        client late(srv.port);
        auto res = late.read_for(5s);
        BOOST_TEST_REQUIRE(res.has_value());
        BOOST_TEST(res->result() == status::service_unavailable);
    }
    client unread(srv.port);
    auto const before = srv.cpu_time();
    std::this_thread::sleep_for(1500ms); // the window the CPU time is measured over
    auto const used = srv.cpu_time() - before;
    BOOST_TEST_MESSAGE("CPU time over 1.5 s out of descriptors: " << used.count() << " ms");
    BOOST_TEST(used.count() < 300);
    // Descriptors come back: the server serves again.
    held.clear();
    BOOST_TEST(eventually([&] {
        try {
            client c(srv.port);
            return c.call(verb::get, "/hello").result() == status::ok;
        } catch (std::exception const&) {
            return false;
        }
    }));
    // One warning when the shortage started, one when it ended.
    auto const log = srv.warnings_so_far();
    BOOST_TEST_MESSAGE(log);
    BOOST_TEST(count(log, "out of file descriptors (") == 1u);
    BOOST_TEST(count(log, "accepting connections again") == 1u);
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
