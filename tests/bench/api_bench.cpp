// api_bench: the alert API's costs on this machine, with the daemon's API
// (account and alert routes, the alert engine, the worker pool and the
// durable writer) in-process on one io_context thread, as the daemon runs
// it, driven by wrk over 64 connections.
//
//   GET /api/alerts?limit=20 for a user with 1,000 alerts:
//     >= 40,000 requests/s and p99 < 5 ms                      (targets)
//   POST /api/alerts, durable, spread over 2,000 users so that the
//     per-user limit of active alerts is never reached:
//     >= 15,000 created alerts/s; p99 printed                 (target)
//
// The database looks like a live one: the default coin list with plausible
// last prices, 20 other users with 1,000 alerts each, alerts on every coin
// with targets a few percent around the coin's price, some triggered or
// disabled. Only successful answers count: a GET run with any non-2xx answer
// and a POST run with any answer but 201 fail. Prints a markdown table with
// the machine and exits non-zero when a target is missed or wrk is missing.
// Also printed: how many list answers came from the page cache, and the list
// with the cache off, for reference.
// KRYPTOD_BENCH_SECONDS sets the length of each measured run (default 10).
#include "core/price.hpp"
#include "daemon/api/accounts.hpp"
#include "daemon/api/alerts.hpp"
#include "daemon/api/market.hpp"
#include "daemon/api/users.hpp"
#include "daemon/live_alerts.hpp"
#include "daemon/log.hpp"
#include "daemon/options.hpp"
#include "http/listener.hpp"
#include "http/password.hpp"
#include "storage/alert_store.hpp"
#include "storage/coin_store.hpp"
#include "storage/database.hpp"
#include "storage/feed_state_store.hpp"
#include "storage/user_store.hpp"
#include "storage/writer.hpp"
#include "tests/support/default_config.hpp"
#include "tests/support/temp_dir.hpp"
#include "wrk_support.hpp"

#include <SQLiteCpp/Transaction.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace api = kryptod::daemon::api;
namespace storage = kryptod::storage;
namespace core = kryptod::core;
using clock_type = std::chrono::steady_clock;

using kryptod::bench::call;
using kryptod::bench::cpu_model;
using kryptod::bench::wrk_figures;

namespace {

constexpr double list_target_rps = 40000;
constexpr double list_target_p99_ms = 5.0;
constexpr double create_target_rps = 15000;
constexpr int connections = 64;
constexpr int list_user_alerts = 1000;
constexpr int neighbours = 20;     // other users, each with 1,000 alerts
constexpr int create_users = 2000; // the POST run's users
constexpr int create_bodies = 997; // distinct POST bodies, cycled
constexpr char const* password = "bench-password";

// The daemon's default coin list with plausible last prices.
struct coin {
    char const* symbol;
    char const* price;
};
constexpr std::array<coin, 5> coins{{{"BTCUSDT", "64231.57"},
                                     {"ETHUSDT", "3412.86"},
                                     {"BNBUSDT", "581.4"},
                                     {"SOLUSDT", "146.23"},
                                     {"XRPUSDT", "0.5217"}}};

int bench_seconds() {
    if (char const* s = std::getenv("KRYPTOD_BENCH_SECONDS")) {
        int const v = std::atoi(s);
        if (v > 0) return v;
    }
    return 10;
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

// A target `basis_points` / 100 percent away from `price`, rounded to the
// precision that coin is quoted in (2 decimals, 4 under 1 USDT).
core::price target_near(core::price price, int basis_points) {
    // Prices here are far below 2^63 / 12,000 units, so this cannot overflow.
    std::int64_t const raw = price.units() * (10000 + basis_points) / 10000;
    std::int64_t const step = price.units() >= core::price::scale ? 1000000 : 10000;
    auto units = raw / step * step;
    if (units == price.units()) units += basis_points > 0 ? step : -step;
    return core::price::from_units(std::max(units, step));
}

core::price price_of(coin const& c) {
    return core::price::parse_positive(c.price).value;
}

// The database before the daemon starts: coins with last prices, users (one
// argon2id hash shared by all, as computing 2,000 would take minutes) and
// the existing alerts. Returns the id of the user the GET run reads.
struct seeded {
    std::int64_t list_user = 0;
    std::vector<std::int64_t> create_users;
};

seeded seed(SQLite::Database& db) {
    seeded out;
    auto const now = kryptod::daemon::wall_clock_now();
    kryptod::http::password_hasher hasher(kryptod::http::password_cost::interactive());
    auto const hash = hasher.hash(password);
    std::mt19937 rng(42);
    SQLite::Transaction tx(db);
    for (std::size_t i = 0; i < coins.size(); ++i) {
        storage::coin_store::add(db, coins[i].symbol, now);
        storage::feed_state_store::set(db, {coins[i].symbol, 1000000 + static_cast<std::int64_t>(i),
                                            now - 1000, price_of(coins[i])});
    }
    auto add_user = [&](std::string const& email) {
        storage::user_store::user_record u;
        u.email = email;
        u.password_hash = hash;
        u.verified = true;
        // Some created alerts name the webhook, which must be set up.
        u.webhook_url = "https://hooks.example.com/" + email;
        u.webhook_secret = "whsec-bench";
        u.created_at = u.updated_at = now - 100LL * 86'400'000;
        return storage::user_store::create(db, u);
    };
    // 1,000 alerts of one owner, created over the last 90 days: mostly
    // active, some triggered, some paused; every coin, both directions.
    auto add_alerts = [&](std::int64_t owner) {
        std::uniform_int_distribution<int> away(50, 2000); // 0.5 % to 20 %
        for (int i = 0; i < list_user_alerts; ++i) {
            coin const& c = coins[static_cast<std::size_t>(i) % coins.size()];
            bool const above = rng() % 2 == 0;
            core::alert a;
            a.owner = owner;
            a.target = target_near(price_of(c), above ? away(rng) : -away(rng) / 2);
            a.side = above ? core::direction::above : core::direction::below;
            if (i % 3 == 0) a.name = std::string(c.symbol).substr(0, 3) + " breakout watch";
            if (i % 7 == 0) a.repeat = core::repeat_mode::every;
            if (i % 11 == 0) a.channels = core::channel::email | core::channel::webhook;
            core::create(a, now - (list_user_alerts - i) * 7'776'000LL);
            if (i % 16 == 5) {
                a.status = core::alert_status::triggered;
                a.triggered_at = a.created_at + 3'600'000;
                a.trigger_price = a.target;
                a.trigger_count = 1;
                a.updated_at = *a.triggered_at;
            } else if (i % 25 == 7) {
                a.status = core::alert_status::disabled;
                a.updated_at = a.created_at + 60'000;
            }
            storage::alert_store::insert(db, a, c.symbol);
        }
    };
    for (int n = 0; n < neighbours / 2; ++n)
        add_alerts(add_user("neighbour" + std::to_string(n) + "@example.com"));
    out.list_user = add_user("reader@example.com");
    add_alerts(out.list_user);
    for (int n = neighbours / 2; n < neighbours; ++n)
        add_alerts(add_user("neighbour" + std::to_string(n) + "@example.com"));
    for (int n = 0; n < create_users; ++n)
        out.create_users.push_back(add_user("creator" + std::to_string(n) + "@example.com"));
    tx.commit();
    return out;
}

struct server {
    std::filesystem::path dir;
    asio::io_context ioc{1};
    seeded users;
    std::unique_ptr<storage::writer> writer;
    std::unique_ptr<kryptod::daemon::live_alerts> engine;
    std::shared_ptr<api::api_context> services;
    std::shared_ptr<kryptod::http::listener> listener;
    std::thread thread;
    int log_fd = -1;
    unsigned short port = 0;

    server() {
        dir = kryptod::test_support::make_temp_dir("kryptod-api-bench");
        // The daemon logs each created alert; here they go to a file, so the
        // cost is the daemon's without flooding the terminal.
        log_fd = ::open((dir / "kryptod.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log_fd < 0) throw std::runtime_error("cannot open the log file");
        kryptod::daemon::log::set_output(kryptod::daemon::log::output::text, log_fd);
        auto path = dir / "kryptod.db";
        auto db = storage::open_database(path);
        users = seed(db);
        writer = std::make_unique<storage::writer>(
            std::move(db), [this](std::function<void()> f) { asio::post(ioc, std::move(f)); });
        engine = std::make_unique<kryptod::daemon::live_alerts>(
            ioc, *writer,
            kryptod::daemon::live_alerts_options_from(kryptod::test::default_config()));
        {
            auto reader = storage::open_reader(path);
            engine->load(reader);
        }
        auto settings = kryptod::daemon::api_settings_from(
            kryptod::test::default_config()); // the daemon's defaults
        settings.rate_limit = 1'000'000;
        // As the service wires it: the page cache follows the writer.
        auto alert_pages = std::make_shared<api::alert_page_cache>();
        api::follow_alert_writes(*writer, alert_pages);
        services = std::make_shared<api::api_context>(*writer, path, std::string(64, 'k'), settings,
                                                      alert_pages);
        kryptod::http::router r;
        api::add_account_routes(r, services);
        api::add_user_routes(r, services);
        api::add_alert_routes(
            r, services, *engine,
            kryptod::daemon::alert_api_settings_from(kryptod::test::default_config()));
        api::add_market_routes(r, services, *engine, {});
        // A route that does nothing, to tell the listener's own cost from
        // the alert code's in the figures.
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
        asio::post(ioc, [this] {
            listener->stop();
            engine->stop();
        });
        services->stop();
        writer->stop();
        ioc.stop();
        thread.join();
        kryptod::daemon::log::set_output(kryptod::daemon::log::output::text, 2);
        ::close(log_fd);
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }

    std::string token(std::int64_t user) const {
        return services->auth().issue(user, "user", api::now_seconds());
    }
};

// CPU time this process (the server: io_context thread, workers, writer)
// has used so far, in microseconds.
double process_cpu_us() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto us = [](timeval t) {
        return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
    };
    return us(u.ru_utime) + us(u.ru_stime);
}

wrk_figures run_wrk(std::filesystem::path const& script, unsigned short port,
                    std::string const& path, int seconds) {
    return kryptod::bench::run_wrk(script.string(), connections, port, path, seconds,
                                   process_cpu_us);
}

// The POST run's script: each request is the next user's token with a body
// of its own (requests formatted once, in init); answers other than 201 are
// counted and printed by done().
void write_create_script(std::filesystem::path const& path, std::vector<std::string> const& tokens,
                         std::vector<std::string> const& bodies) {
    std::ofstream out(path);
    out << "local tokens = {\n";
    for (auto const& t : tokens)
        out << "  \"Bearer " << t << "\",\n";
    out << "}\nlocal bodies = {\n";
    for (auto const& b : bodies) {
        out << "  [[" << b << "]],\n";
    }
    out << R"lua(}
local i = 0
local requests = {}
created = 0
refused = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
-- Formatted once, so that wrk spends its time sending, not building.
function init(args)
  for k = 1, #tokens do
    requests[k] = wrk.format("POST", "/api/alerts",
      {["Authorization"] = tokens[k], ["Content-Type"] = "application/json"},
      bodies[(k - 1) % #bodies + 1])
  end
end
function request()
  i = i + 1
  return requests[i % #requests + 1]
end
function response(status, headers, body)
  if status == 201 then created = created + 1 else refused = refused + 1 end
end
function done(summary, latency, requests)
  local c, r = 0, 0
  for _, t in ipairs(threads) do c = c + t:get("created"); r = r + t:get("refused") end
  io.write(string.format("created: %d\nrefused: %d\n", c, r))
end
)lua";
}

// Bodies as clients send them: every listed coin, targets 0.2 % to 15 %
// from its price, direction given or left to the daemon, some named, some
// repeating, some on both channels.
std::vector<std::string> create_bodies_for_run() {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> away(20, 1500);
    std::vector<std::string> out;
    for (int i = 0; i < create_bodies; ++i) {
        coin const& c = coins[static_cast<std::size_t>(i) % coins.size()];
        bool const above = rng() % 2 == 0;
        boost::json::object o;
        std::string symbol = c.symbol;
        if (i % 4 == 0) // symbols are case-insensitive in
            for (auto& ch : symbol)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        o["symbol"] = symbol;
        o["target_price"] = target_near(price_of(c), above ? away(rng) : -away(rng)).to_string();
        if (i % 2 == 0) o["direction"] = above ? "above" : "below";
        if (i % 5 == 0) o["name"] = "take profit " + std::to_string(i);
        if (i % 6 == 0) {
            o["repeat"] = "every";
            o["cooldown_seconds"] = 900;
        }
        if (i % 9 == 0) o["channels"] = boost::json::array{"email", "webhook"};
        out.push_back(boost::json::serialize(o));
    }
    return out;
}

// Checks the GET answer the run will hammer: 20 newest of 1,000.
bool list_answer_ok(server& srv, std::string const& token) {
    auto res = call(srv.port, bhttp::verb::get, "/api/alerts?limit=20", {}, token);
    if (res.result_int() != 200) return false;
    auto v = boost::json::parse(res.body()).as_object();
    auto const& items = v.at("items").as_array();
    if (v.at("total").as_int64() != list_user_alerts || items.size() != 20) return false;
    for (std::size_t i = 1; i < items.size(); ++i)
        if (items[i].at("id").as_int64() >= items[i - 1].at("id").as_int64()) return false;
    return true;
}

} // namespace

int main() {
    int const seconds = bench_seconds();
    server srv;
    auto const list_token = srv.token(srv.users.list_user);
    if (!list_answer_ok(srv, list_token)) {
        std::fprintf(stderr, "api_bench: GET /api/alerts did not list the seeded alerts\n");
        return 1;
    }

    auto list_script = srv.dir / "list.lua";
    std::ofstream(list_script) << "wrk.headers[\"Authorization\"] = \"Bearer " << list_token
                               << "\"\n";
    auto const baseline = run_wrk(list_script, srv.port, "/bench/baseline", 3);
    (void)run_wrk(list_script, srv.port, "/api/alerts?limit=20", 2); // warm-up
    auto& pages = srv.services->alert_pages();
    auto const pages_before = pages.stats();
    auto const list = run_wrk(list_script, srv.port, "/api/alerts?limit=20", seconds);
    auto const pages_after = pages.stats();
    if (list.rps == 0) {
        std::fprintf(stderr, "api_bench: could not run wrk:\n%s\n", list.output.c_str());
        return 1;
    }
    // Reference: the same requests with the page cache keeping nothing, so
    // every one is read from SQLite on a worker.
    pages.set_budget(0);
    auto const uncached = run_wrk(list_script, srv.port, "/api/alerts?limit=20", 3);
    pages.set_budget(api::alert_page_cache::default_budget);

    std::vector<std::string> tokens;
    for (auto id : srv.users.create_users)
        tokens.push_back(srv.token(id));
    auto create_script = srv.dir / "create.lua";
    write_create_script(create_script, tokens, create_bodies_for_run());
    auto const create = run_wrk(create_script, srv.port, "/api/alerts", seconds);
    long long created = -1, refused = -1;
    {
        std::smatch m;
        if (std::regex_search(create.output, m, std::regex(R"(created: (\d+)\nrefused: (\d+))"))) {
            created = std::stoll(m[1]);
            refused = std::stoll(m[2]);
        }
    }
    if (created < 0 || create.seconds <= 0) {
        std::fprintf(stderr, "api_bench: the POST run did not report:\n%s\n",
                     create.output.c_str());
        return 1;
    }
    double const create_rps = static_cast<double>(created) / create.seconds;

    bool const list_clean = list.non_2xx == 0;
    bool const list_rps_ok = list.rps >= list_target_rps && list_clean;
    bool const list_p99_ok = list.p99_ms < list_target_p99_ms;
    bool const create_clean = refused == 0;
    bool const create_ok = create_rps >= create_target_rps && create_clean;

    std::printf("## api_bench\n\n");
    std::printf("Machine: %s, %u cores, load average %s at the end. Server: one io_context "
                "thread, %zu API workers, the durable writer.\n\n",
                cpu_model().c_str(), std::thread::hardware_concurrency(), load_average().c_str(),
                srv.services->settings().worker_threads);
    std::printf("| measure | value | target | ok |\n| --- | --- | --- | --- |\n");
    std::printf("| GET /api/alerts?limit=20, user with %d alerts, %d connections (wrk, %d s) | "
                "%.0f req/s | >= %.0f req/s | %s |\n",
                list_user_alerts, connections, seconds, list.rps, list_target_rps,
                list_rps_ok ? "yes" : "NO");
    std::printf("| GET /api/alerts p99 latency | %.2f ms | < %.1f ms | %s |\n", list.p99_ms,
                list_target_p99_ms, list_p99_ok ? "yes" : "NO");
    std::printf("| GET /api/alerts non-2xx answers | %lld of %lld | 0 | %s |\n", list.non_2xx,
                list.requests, list_clean ? "yes" : "NO");
    std::printf("| GET /api/alerts answered from memory (page cache hits / misses) | %llu / %llu "
                "| - | - |\n",
                static_cast<unsigned long long>(pages_after.hits - pages_before.hits),
                static_cast<unsigned long long>(pages_after.misses - pages_before.misses));
    std::printf("| reference: GET /api/alerts with the page cache off (wrk, 3 s) | %.0f req/s, "
                "p99 %.2f ms | - | - |\n",
                uncached.rps, uncached.p99_ms);
    std::printf("| POST /api/alerts, durable, %d users, %d connections (wrk, %d s) | %.0f "
                "created/s | >= %.0f /s | %s |\n",
                create_users, connections, seconds, create_rps, create_target_rps,
                create_ok ? "yes" : "NO");
    std::printf("| POST /api/alerts p99 latency | %.2f ms | - | - |\n", create.p99_ms);
    std::printf("| POST /api/alerts answers other than 201 | %lld of %lld | 0 | %s |\n", refused,
                created + refused, create_clean ? "yes" : "NO");
    std::printf("| reference: a route that does nothing, same listener | %.0f req/s, p99 %.2f ms "
                "| - | - |\n",
                baseline.rps, baseline.p99_ms);
    std::printf("| server CPU per request (all its threads): do-nothing route / GET list / "
                "POST create | %.1f / %.1f / %.1f us | - | - |\n",
                baseline.server_cpu_us, list.server_cpu_us, create.server_cpu_us);
    if (list.socket_errors + create.socket_errors > 0)
        std::printf("\nwrk saw %lld socket errors\n", list.socket_errors + create.socket_errors);
    if (!list_clean) std::printf("\nGET run:\n%s\n", list.output.c_str());
    if (uncached.non_2xx != 0) std::printf("\nuncached GET run:\n%s\n", uncached.output.c_str());
    if (!create_clean) std::printf("\nPOST run:\n%s\n", create.output.c_str());
    return list_rps_ok && list_p99_ok && create_ok ? 0 : 1;
}
