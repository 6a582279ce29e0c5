// http_bench: the account API's costs on this machine, with the server
// in-process on one io_context thread, as the daemon runs it.
//
//   GET /api/auth/me with a valid token, 64 connections (wrk, 1 thread):
//     >= 60,000 requests/s and p99 < 5 ms                 (targets)
//   argon2id at the daemon's cost (INTERACTIVE): time per hash, and the
//   login rate through the API with 8 concurrent clients  (printed)
//   references, same wrk settings: a do-nothing route on kryptod's
//   listener, and Beast's own async server example with a fixed answer
//   (printed; the floor this machine allows)
//
// Beside req/s, each wrk row gives the server thread's CPU time per request,
// which another load on the machine moves much less than req/s.
//
// Prints a markdown table with the machine, and exits non-zero when a target
// is missed or wrk is missing.
#include "daemon/api/accounts.hpp"
#include "daemon/api/users.hpp"
#include "daemon/options.hpp"
#include "http/listener.hpp"
#include "storage/database.hpp"
#include "storage/user_store.hpp"
#include "storage/writer.hpp"
#include "tests/support/default_config.hpp"
#include "tests/support/temp_dir.hpp"
#include "wrk_support.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <pthread.h>
#include <regex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace api = kryptod::daemon::api;
using clock_type = std::chrono::steady_clock;

using kryptod::bench::call;
using kryptod::bench::cpu_model;
using kryptod::bench::wrk_figures;

namespace {

constexpr double target_rps = 60000;
constexpr double target_p99_ms = 5.0;
constexpr int connections = 64;
constexpr int duration_s = 10;
constexpr char const* password = "bench-password";

struct server {
    std::filesystem::path dir;
    asio::io_context ioc{1};
    std::unique_ptr<kryptod::storage::writer> writer;
    std::shared_ptr<api::api_context> services;
    std::shared_ptr<kryptod::http::listener> listener;
    std::thread thread;
    unsigned short port = 0;

    server() {
        dir = kryptod::test_support::make_temp_dir("kryptod-bench");
        auto path = dir / "kryptod.db";
        writer = std::make_unique<kryptod::storage::writer>(
            kryptod::storage::open_database(path),
            [this](std::function<void()> f) { asio::post(ioc, std::move(f)); });
        auto settings = kryptod::daemon::api_settings_from(
            kryptod::test::default_config()); // the daemon's argon2id cost
        settings.rate_limit = 1'000'000;
        services = std::make_shared<api::api_context>(*writer, path, std::string(64, 'k'), settings,
                                                      std::make_shared<api::alert_page_cache>());
        kryptod::http::router r;
        api::add_account_routes(r, services);
        api::add_user_routes(r, services);
        // A route that does nothing, to tell the listener's own cost from
        // the account code's in the figures.
        r.add(bhttp::verb::get, "/bench/baseline",
              [](kryptod::http::incoming in, kryptod::http::responder respond) {
                  respond(kryptod::http::json_response(kryptod::http::status::ok,
                                                       {{"status", "ok"}}, in.req.version()));
              });
        listener = std::make_shared<kryptod::http::listener>(
            ioc, asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0},
            kryptod::daemon::server_limits_from(kryptod::test::default_config()), std::move(r));
        port = listener->local_endpoint().port();
        listener->run();
        thread = std::thread([this] { ioc.run(); });
    }
    ~server() {
        asio::post(ioc, [this] { listener->stop(); });
        services->stop();
        writer->stop();
        ioc.stop();
        thread.join();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

// The floor: Beast's own async server example (read a request, answer a
// fixed JSON body, keep-alive, a deadline per operation) on one io_context
// thread, with no routing, limits or handler. kryptod's listener is measured
// against it.
class beast_session : public std::enable_shared_from_this<beast_session> {
public:
    explicit beast_session(asio::ip::tcp::socket socket)
        : stream_(std::move(socket)) {}
    void run() { do_read(); }

private:
    void do_read() {
        req_ = {};
        stream_.expires_after(std::chrono::seconds(30));
        bhttp::async_read(
            stream_, buffer_, req_,
            boost::beast::bind_front_handler(&beast_session::on_read, shared_from_this()));
    }
    void on_read(boost::system::error_code ec, std::size_t) {
        if (ec) return close();
        res_ = {bhttp::status::ok, req_.version()};
        res_.set(bhttp::field::server, "beast");
        res_.set(bhttp::field::content_type, "application/json");
        res_.body() = R"({"status":"ok"})";
        res_.keep_alive(req_.keep_alive());
        res_.prepare_payload();
        bhttp::async_write(
            stream_, res_,
            boost::beast::bind_front_handler(&beast_session::on_write, shared_from_this()));
    }
    void on_write(boost::system::error_code ec, std::size_t) {
        if (ec || !res_.keep_alive()) return close();
        do_read();
    }
    void close() {
        boost::system::error_code ec;
        stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    }

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    bhttp::request<bhttp::string_body> req_;
    bhttp::response<bhttp::string_body> res_;
};

struct beast_server {
    asio::io_context ioc{1};
    asio::ip::tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
    std::thread thread;
    unsigned short port = acceptor.local_endpoint().port();

    beast_server() {
        do_accept();
        thread = std::thread([this] { ioc.run(); });
    }
    ~beast_server() {
        ioc.stop();
        thread.join();
    }
    void do_accept() {
        acceptor.async_accept(ioc,
                              [this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
                                  if (!ec)
                                      std::make_shared<beast_session>(std::move(socket))->run();
                                  do_accept();
                              });
    }
};

// CPU time consumed so far by `t`, in microseconds: unlike req/s, barely
// moved by whatever else the machine is running.
double thread_cpu_us(std::thread& t) {
    clockid_t id{};
    if (::pthread_getcpuclockid(t.native_handle(), &id) != 0) return 0;
    timespec ts{};
    if (::clock_gettime(id, &ts) != 0) return 0;
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

wrk_figures run_wrk(std::filesystem::path const& script, unsigned short port,
                    std::string const& path, int seconds, std::thread& server_thread) {
    return kryptod::bench::run_wrk(script.string(), connections, port, path, seconds,
                                   [&] { return thread_cpu_us(server_thread); });
}

} // namespace

int main() {
    server srv;
    auto const body = boost::json::serialize(
        boost::json::object{{"email", "bench@example.com"}, {"password", password}});
    if (call(srv.port, bhttp::verb::post, "/api/auth/register", body).result_int() != 201) {
        std::fprintf(stderr, "http_bench: register failed\n");
        return 1;
    }

    // argon2id at the daemon's cost, one hash at a time.
    auto const cost = srv.services->hasher().cost();
    std::vector<double> hash_ms;
    for (int i = 0; i < 5; ++i) {
        auto t0 = clock_type::now();
        (void)srv.services->hasher().hash(password);
        hash_ms.push_back(
            std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    }
    std::sort(hash_ms.begin(), hash_ms.end());

    // Logins through the API, 8 clients at once (the worker pool bounds it).
    constexpr int login_clients = 8, logins_each = 4;
    std::atomic<int> login_ok{0};
    std::string access;
    std::mutex access_mutex;
    auto const login_start = clock_type::now();
    {
        std::vector<std::thread> clients;
        for (int i = 0; i < login_clients; ++i)
            clients.emplace_back([&] {
                for (int j = 0; j < logins_each; ++j) {
                    auto res = call(srv.port, bhttp::verb::post, "/api/auth/login", body);
                    if (res.result_int() != 200) continue;
                    ++login_ok;
                    std::lock_guard lock(access_mutex);
                    access = std::string(
                        boost::json::parse(res.body()).as_object().at("access").as_string());
                }
            });
        for (auto& t : clients)
            t.join();
    }
    auto const login_s = std::chrono::duration<double>(clock_type::now() - login_start).count();
    if (login_ok != login_clients * logins_each) {
        std::fprintf(stderr, "http_bench: %d of %d logins failed\n",
                     login_clients * logins_each - login_ok.load(), login_clients * logins_each);
        return 1;
    }

    // GET /api/auth/me under wrk, after the do-nothing route for reference.
    auto script = srv.dir / "me.lua";
    std::ofstream(script) << "wrk.headers[\"Authorization\"] = \"Bearer " << access << "\"\n";
    wrk_figures floor;
    {
        beast_server bare;
        floor = run_wrk(script, bare.port, "/", 5, bare.thread);
    }
    auto baseline = run_wrk(script, srv.port, "/bench/baseline", 5, srv.thread);
    auto me = run_wrk(script, srv.port, "/api/auth/me", duration_s, srv.thread);
    if (me.rps == 0) {
        std::fprintf(stderr, "http_bench: could not run wrk:\n%s\n", me.output.c_str());
        return 1;
    }
    auto const rps = me.rps, p99 = me.p99_ms;
    auto const errors = me.non_2xx;

    bool const rps_ok = rps >= target_rps && !errors;
    bool const p99_ok = p99 < target_p99_ms;
    std::printf("## http_bench\n\n");
    std::printf("Machine: %s, %u cores. Server: one io_context thread, %zu argon2id workers.\n\n",
                cpu_model().c_str(), std::thread::hardware_concurrency(),
                srv.services->settings().worker_threads);
    std::printf("| measure | value | target | ok |\n| --- | --- | --- | --- |\n");
    std::printf(
        "| GET /api/auth/me, %d connections (wrk, %d s) | %.0f req/s | >= %.0f req/s | %s |\n",
        connections, duration_s, rps, target_rps, rps_ok ? "yes" : "NO");
    std::printf("| GET /api/auth/me p99 latency | %.2f ms | < %.1f ms | %s |\n", p99, target_p99_ms,
                p99_ok ? "yes" : "NO");
    std::printf("| GET /api/auth/me, server CPU per request | %.2f us | - | - |\n",
                me.server_cpu_us);
    std::printf("| reference: a route that does nothing, same listener | %.0f req/s, p99 %.2f ms, "
                "%.2f us CPU | - | - |\n",
                baseline.rps, baseline.p99_ms, baseline.server_cpu_us);
    std::printf(
        "| reference: Beast's async server example, fixed answer | %.0f req/s, p99 %.2f ms, "
        "%.2f us CPU | - | - |\n",
        floor.rps, floor.p99_ms, floor.server_cpu_us);
    std::printf("| argon2id hash (ops %llu, mem %zu MiB), median of 5 | %.1f ms | - | - |\n",
                cost.ops_limit, cost.mem_limit >> 20, hash_ms[hash_ms.size() / 2]);
    std::printf("| POST /api/auth/login, %d concurrent clients | %.1f logins/s | - | - |\n",
                login_clients, login_ok / login_s);
    if (errors) std::printf("\nwrk saw non-2xx answers:\n%s\n", me.output.c_str());
    return rps_ok && p99_ok ? 0 : 1;
}
