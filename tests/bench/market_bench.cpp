// market_bench: the price history and coin list at scale, with the daemon's
// market routes, worker pool and writer in-process on one io_context thread,
// driven by wrk.
//
// The database: one year of one-minute samples for 20 coins (10.5 M rows)
// rolled up into hourly candles, and 1,000 listed coins with last prices.
// Generating it takes minutes, so it is kept next to this executable, named
// by the schema version and the generator's version, and reused.
//
//   GET /api/prices?symbol=…&limit=10, 64 connections:
//     >= 20,000 requests/s and p99 <= 10 ms                    (targets)
//   any offset up to the last page (limit 10); any from/to window up to a
//   week at limit=1000; every interval over a year, any page at limit=1000:
//     p99 <= 20 ms each, at `heavy_connections`                (targets)
//   GET /api/coins with 1,000 coins: >= 10,000 requests/s       (target)
//   the database's size per coin-year at the default retention (printed)
//
// Only 200 answers count: a run with any other fails. Prints a markdown
// table with the machine and exits non-zero when a target is missed or wrk
// is missing. KRYPTOD_BENCH_SECONDS sets each measured run (default 10).
#include "daemon/api/market.hpp"
#include "daemon/live_alerts.hpp"
#include "daemon/log.hpp"
#include "daemon/options.hpp"
#include "http/listener.hpp"
#include "storage/candle_store.hpp"
#include "storage/coin_store.hpp"
#include "storage/database.hpp"
#include "storage/feed_state_store.hpp"
#include "storage/writer.hpp"
#include "tests/support/default_config.hpp"
#include "wrk_support.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/asio.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace api = kryptod::daemon::api;
namespace storage = kryptod::storage;
namespace core = kryptod::core;
using kryptod::bench::call;
using kryptod::bench::wrk_figures;

namespace {

constexpr int generator_version = 1;
constexpr int history_coins = 20;
constexpr int listed_coins = 1000;
constexpr core::millis minute = 60'000;
constexpr core::millis hour = 3'600'000;
constexpr core::millis day = 86'400'000;
constexpr core::millis year_minutes = 525'600;
// The history ends at the last whole minute before the bench starts, so
// that it looks like a live one (rolled up to the last closed hour).
constexpr core::millis history_end = 1'764'547'200'000; // 2025-12-01T00:00Z
constexpr core::millis history_start = history_end - year_minutes * minute;

constexpr double first_page_target_rps = 20000;
constexpr double first_page_target_p99_ms = 10;
constexpr double heavy_target_p99_ms = 20;
constexpr double coins_target_rps = 10000;
constexpr int connections = 64;
constexpr int heavy_connections = 16;
constexpr int default_retention_days = 90;
constexpr int default_hourly_retention_days = 3650;

int bench_seconds() {
    if (char const* s = std::getenv("KRYPTOD_BENCH_SECONDS"))
        if (int const v = std::atoi(s); v > 0) return v;
    return 10;
}

std::string history_symbol(int i) {
    char name[16];
    std::snprintf(name, sizeof name, "H%02dUSDT", i);
    return name;
}

std::string listed_symbol(int i) {
    char name[16];
    std::snprintf(name, sizeof name, "L%04dUSDT", i);
    return name;
}

// A year of minutes per history coin, random walks, written minute by
// minute (so both the key and the by-minute index grow at their ends) in a
// transaction a day through one prepared statement, without a journal: a
// crash here only costs a new generation. Then the rollup, as the daemon does it.
void generate(std::filesystem::path const& path) {
    std::filesystem::remove(path);
    {
        SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("PRAGMA journal_mode = OFF");
        db.exec("PRAGMA synchronous = OFF");
        db.exec("PRAGMA cache_size = -262144");
        storage::migrate(db);
        std::mt19937_64 rng(21);
        std::normal_distribution<double> step(0, 0.0008);
        std::vector<std::int64_t> prices;
        std::vector<std::string> symbols;
        for (int c = 0; c < history_coins; ++c) {
            prices.push_back(100'000'000'000 + std::int64_t{c} * 1'000'000'000);
            symbols.push_back(history_symbol(c));
        }
        db.exec("BEGIN");
        SQLite::Statement insert(db, "INSERT INTO price_samples (symbol, minute, open, high, low, "
                                     "close) VALUES (?, ?, ?, ?, ?, ?)");
        for (core::millis m = history_start; m < history_end; m += minute) {
            // A commit a day of minutes bounds the page cache: without a
            // journal, SQLite keeps every dirty page of a transaction.
            if (m != history_start && m % day == 0) {
                db.exec("COMMIT");
                db.exec("BEGIN");
                if ((m - history_start) % (30 * day) == 0)
                    std::printf("generating: %lld days\n",
                                static_cast<long long>((m - history_start) / day));
                std::fflush(stdout);
            }
            for (int c = 0; c < history_coins; ++c) {
                auto& price = prices[static_cast<std::size_t>(c)];
                std::int64_t const open = price;
                auto const move = [&] {
                    price = std::max<std::int64_t>(
                        1000,
                        price + static_cast<std::int64_t>(static_cast<double>(price) * step(rng)));
                    return price;
                };
                std::int64_t const a = move(), b = move(), close = move();
                insert.bind(1, symbols[static_cast<std::size_t>(c)]);
                insert.bind(2, static_cast<int64_t>(m));
                insert.bind(3, static_cast<int64_t>(open));
                insert.bind(4, static_cast<int64_t>(std::max({open, a, b, close})));
                insert.bind(5, static_cast<int64_t>(std::min({open, a, b, close})));
                insert.bind(6, static_cast<int64_t>(close));
                insert.exec();
                insert.reset();
            }
        }
        auto const now = kryptod::daemon::wall_clock_now();
        for (int i = 0; i < listed_coins; ++i) {
            auto const symbol = i < history_coins ? history_symbol(i) : listed_symbol(i);
            storage::coin_store::add(db, symbol, now);
            storage::feed_state_store::set(
                db, {symbol, 1000 + i, now - 1000, core::price::from_units(100'000'000 + i)});
        }
        while (storage::candle_store::roll_up(db, history_end, 1000)) {
        }
        db.exec("COMMIT");
    }
    // As the daemon keeps it.
    (void)storage::open_database(path);
}

std::filesystem::path history_database() {
    auto const dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    auto const path = dir / ("market-bench-s" + std::to_string(storage::latest_schema_version()) +
                             "-g" + std::to_string(generator_version) + ".db");
    if (!std::filesystem::exists(path)) {
        auto const started = std::chrono::steady_clock::now();
        auto const partial = path.string() + ".partial";
        generate(partial);
        std::filesystem::rename(partial, path);
        std::printf(
            "generated %s in %.0f s\n", path.c_str(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    return path;
}

struct server {
    asio::io_context ioc{1};
    std::unique_ptr<storage::writer> writer;
    std::unique_ptr<kryptod::daemon::live_alerts> engine;
    std::shared_ptr<api::api_context> services;
    std::shared_ptr<kryptod::http::listener> listener;
    std::thread thread;
    unsigned short port = 0;

    explicit server(std::filesystem::path const& path) {
        kryptod::daemon::log::set_level(kryptod::daemon::log_level::warning);
        writer = std::make_unique<storage::writer>(
            storage::open_database(path),
            [this](std::function<void()> f) { asio::post(ioc, std::move(f)); });
        engine = std::make_unique<kryptod::daemon::live_alerts>(
            ioc, *writer,
            kryptod::daemon::live_alerts_options_from(kryptod::test::default_config()));
        {
            auto reader = storage::open_reader(path);
            engine->load(reader);
        }
        services = std::make_shared<api::api_context>(
            *writer, path, std::string(64, 'k'),
            kryptod::daemon::api_settings_from(kryptod::test::default_config()),
            std::make_shared<api::alert_page_cache>());
        kryptod::http::router r;
        api::add_market_routes(r, services, *engine, {});
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
    }
};

double process_cpu_us() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto us = [](timeval t) {
        return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
    };
    return us(u.ru_utime) + us(u.ru_stime);
}

// A wrk script whose requests are `paths`, cycled; formatted once.
std::filesystem::path script(std::filesystem::path const& dir, std::string const& name,
                             std::vector<std::string> const& paths) {
    auto path = dir / (name + ".lua");
    std::ofstream out(path);
    out << "local paths = {\n";
    for (auto const& p : paths)
        out << "  \"" << p << "\",\n";
    out << R"lua(}
local requests = {}
local i = 0
function init(args)
  for k = 1, #paths do requests[k] = wrk.format("GET", paths[k]) end
end
function request()
  i = i + 1
  return requests[i % #requests + 1]
end
)lua";
    return path;
}

std::int64_t total_of(unsigned short port, std::string const& path) {
    auto res = call(port, bhttp::verb::get, path);
    if (res.result_int() != 200) return -1;
    return boost::json::parse(res.body()).at("total").as_int64();
}

std::string rfc3339(core::millis t) {
    std::time_t const s = t / 1000;
    std::tm tm{};
    ::gmtime_r(&s, &tm);
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

// Bytes of the tables and indexes whose name starts with `prefix`.
double bytes_of(SQLite::Database& db, std::string const& names) {
    SQLite::Statement st(db, "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN (" + names +
                                 ")");
    st.executeStep();
    return st.getColumn(0).getDouble();
}

struct run_result {
    std::string name;
    wrk_figures f;
    double target_rps = 0;
    double target_p99 = 0;
    bool ok() const {
        return f.non_2xx == 0 && f.requests > 0 && (target_rps == 0 || f.rps >= target_rps) &&
               (target_p99 == 0 || f.p99_ms <= target_p99);
    }
};

} // namespace

int main() {
    int const seconds = bench_seconds();
    auto const path = history_database();
    auto const dir = path.parent_path();
    std::mt19937_64 rng(7);
    std::vector<run_result> runs;
    double minute_row_bytes = 0, hour_row_bytes = 0;
    {
        auto db = storage::open_reader(path);
        auto const minutes = db.execAndGet("SELECT count(*) FROM price_samples").getInt64();
        auto const hours = db.execAndGet("SELECT count(*) FROM price_hours").getInt64();
        minute_row_bytes =
            bytes_of(db, "'price_samples', 'price_samples_by_minute', 'price_days', 'price_5m', "
                         "'price_15m'") /
            static_cast<double>(minutes);
        hour_row_bytes = bytes_of(db, "'price_hours', 'price_hours_by_hour', 'price_hour_days', "
                                      "'price_4h', 'price_1d'") /
                         static_cast<double>(hours);
        std::printf("database: %lld minutes, %lld hourly candles, %.0f MiB\n",
                    static_cast<long long>(minutes), static_cast<long long>(hours),
                    static_cast<double>(std::filesystem::file_size(path)) / (1 << 20));
    }
    server srv(path);
    auto const symbol = history_symbol(7);
    auto const base = "/api/prices?symbol=" + symbol;
    auto const minutes_total = total_of(srv.port, base);
    if (minutes_total != year_minutes) {
        std::fprintf(stderr, "market_bench: %s has %lld minutes, not %lld\n", symbol.c_str(),
                     static_cast<long long>(minutes_total), static_cast<long long>(year_minutes));
        return 1;
    }
    auto wrk = [&](std::string name, std::vector<std::string> const& paths, int conns, double rps,
                   double p99) {
        auto const s = script(dir, "market-bench", paths);
        auto f = kryptod::bench::run_wrk(s.string(), conns, srv.port, paths.front(), seconds,
                                         process_cpu_us);
        runs.push_back({std::move(name), std::move(f), rps, p99});
    };

    std::vector<std::string> first{base + "&limit=10"};
    (void)kryptod::bench::run_wrk(script(dir, "warm", first).string(), connections, srv.port,
                                  first.front(), 2, process_cpu_us);
    wrk("GET /api/prices?symbol=…&limit=10 (64 connections)", first, connections,
        first_page_target_rps, first_page_target_p99_ms);

    std::vector<std::string> offsets;
    std::uniform_int_distribution<std::int64_t> offset(0, year_minutes - 1);
    offsets.push_back(base + "&limit=10&offset=" + std::to_string(year_minutes - 10));
    for (int i = 0; i < 999; ++i)
        offsets.push_back(base + "&limit=10&offset=" + std::to_string(offset(rng)));
    wrk("any offset up to the last page, limit=10", offsets, heavy_connections, 0,
        heavy_target_p99_ms);

    std::vector<std::string> windows;
    std::uniform_int_distribution<core::millis> start(history_start, history_end - 7 * day);
    std::uniform_int_distribution<core::millis> width(minute, 7 * day);
    for (int i = 0; i < 1000; ++i) {
        auto const from = start(rng);
        windows.push_back(base + "&limit=1000&from=" + rfc3339(from) +
                          "&to=" + rfc3339(from + width(rng)));
    }
    wrk("any from/to window up to a week, limit=1000", windows, heavy_connections, 0,
        heavy_target_p99_ms);

    for (auto every : {"1m", "5m", "15m", "1h", "4h", "1d"}) {
        auto const range = base + "&interval=" + every + "&from=" + rfc3339(history_start) +
                           "&to=" + rfc3339(history_end);
        auto const total = total_of(srv.port, range);
        std::vector<std::string> pages;
        std::uniform_int_distribution<std::int64_t> at(0, std::max<std::int64_t>(0, total - 1));
        for (int i = 0; i < 500; ++i)
            pages.push_back(range + "&limit=1000&offset=" + std::to_string(at(rng)));
        wrk(std::string("interval=") + every + " over a year (" + std::to_string(total) +
                " candles), any page, limit=1000",
            pages, heavy_connections, 0, heavy_target_p99_ms);
    }

    std::vector<std::string> coins{"/api/coins"};
    if (auto res = call(srv.port, bhttp::verb::get, "/api/coins");
        boost::json::parse(res.body()).at("items").as_array().size() != listed_coins) {
        std::fprintf(stderr, "market_bench: /api/coins does not list %d coins\n", listed_coins);
        return 1;
    }
    wrk("GET /api/coins, 1,000 coins (64 connections)", coins, connections, coins_target_rps, 0);

    bool all_ok = true;
    std::printf("## market_bench\n\nMachine: %s, %u cores. Server: one io_context thread, %zu API "
                "workers. Database: a year of minutes for %d coins, rolled up; %d coins listed. "
                "Heavy runs at %d connections. wrk, %d s each.\n\n",
                kryptod::bench::cpu_model().c_str(), std::thread::hardware_concurrency(),
                srv.services->settings().worker_threads, history_coins, listed_coins,
                heavy_connections, seconds);
    // The server's CPU time per request (its threads, all of them) says
    // what a request costs when wrk and other work share the machine.
    std::printf("| measure | req/s | p99 | server CPU/req | target | ok |\n"
                "| --- | --- | --- | --- | --- | --- |\n");
    for (auto const& r : runs) {
        std::string target;
        if (r.target_rps > 0)
            target += ">= " + std::to_string(static_cast<int>(r.target_rps)) + "/s ";
        if (r.target_p99 > 0)
            target += "p99 <= " + std::to_string(static_cast<int>(r.target_p99)) + " ms";
        std::printf("| %s | %.0f | %.2f ms | %.0f µs | %s | %s |\n", r.name.c_str(), r.f.rps,
                    r.f.p99_ms, r.f.server_cpu_us, target.c_str(), r.ok() ? "yes" : "NO");
        if (r.f.non_2xx > 0) std::printf("\n%s\n", r.f.output.c_str());
        all_ok = all_ok && r.ok();
    }
    double const coin_year = minute_row_bytes * default_retention_days * 1440 +
                             hour_row_bytes * std::min(default_hourly_retention_days, 365) * 24;
    std::printf("\nDatabase size per coin-year at the defaults (%d days of minutes, hourly "
                "candles for the year): %.1f MiB (%.0f bytes a minute row, %.0f an hourly "
                "candle, indexes, day counts and the 5m, 15m, 4h and 1d mirrors included); a year "
                "of minutes alone: %.1f MiB.\n",
                default_retention_days, coin_year / (1 << 20), minute_row_bytes, hour_row_bytes,
                minute_row_bytes * static_cast<double>(year_minutes) / (1 << 20));
    return all_ok ? 0 : 1;
}
