// storage benchmark: acknowledged alert creates through the group-commit
// writer with 64 concurrent producers, the writer's commit latency, and the
// startup load of 1,000,000 armed alerts into the threshold index.
//
// Each producer behaves like an API client: it submits a create and waits for
// its acknowledgement (the commit) before the next one. Targets: at least
// 20,000 acknowledged creates per second; the 1,000,000-alert load in at most
// 1.5 s. Prints a markdown table with the machine; exits 1 when a target is
// missed. KRYPTOD_BENCH_SECONDS sets the create run's length (default 3).
#include "core/alert.hpp"
#include "core/symbol_table.hpp"
#include "core/threshold_index.hpp"
#include "storage/alert_store.hpp"
#include "storage/coin_store.hpp"
#include "storage/database.hpp"
#include "storage/user_store.hpp"
#include "storage/writer.hpp"
#include "tests/support/temp_dir.hpp"

#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace kryptod;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr double creates_target = 20000; // per second
constexpr double load_target_s = 1.5;    // for 1,000,000 alerts
constexpr int producers = 64;
constexpr int load_alerts = 1000000;

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// Next to the build, not in a tmpfs: fsync must reach a real disk.
struct bench_dir : kryptod::test_support::temp_dir {
    bench_dir()
        : kryptod::test_support::temp_dir("kryptod-bench", std::filesystem::current_path()) {}
};

core::user_id seed_user(SQLite::Database& db) {
    storage::coin_store::add(db, "BTCUSDT", 1);
    storage::coin_store::add(db, "ETHUSDT", 1);
    storage::user_store::user_record u;
    u.email = "bench@example.com";
    u.password_hash = "x";
    return storage::user_store::create(db, u);
}

struct create_figures {
    double per_second = 0;
    double ack_p50_ms = 0, ack_p99_ms = 0;
    double commit_p50_ms = 0, commit_p99_ms = 0;
    double mean_batch = 0;
    std::uint64_t failed = 0;
};

create_figures bench_creates(std::filesystem::path const& path, double seconds) {
    auto db = storage::open_database(path);
    core::user_id const owner = seed_user(db);

    std::mutex commit_mutex;
    std::vector<double> commit_ms;
    std::size_t batched_jobs = 0;
    storage::writer_options opt;
    opt.queue_capacity = 65536; // storage.queue_limit's default
    opt.on_commit = [&](std::chrono::nanoseconds took, std::size_t jobs) {
        std::lock_guard lock(commit_mutex);
        commit_ms.push_back(std::chrono::duration<double, std::milli>(took).count());
        batched_jobs += jobs;
    };
    // Completions run on a thread of their own, as on the daemon's
    // io_context thread.
    std::mutex post_mutex;
    std::condition_variable post_cv;
    std::deque<std::function<void()>> posted;
    bool posting_done = false;
    std::thread io_thread([&] {
        std::unique_lock lock(post_mutex);
        for (;;) {
            post_cv.wait(lock, [&] { return posting_done || !posted.empty(); });
            if (posted.empty()) return;
            auto fn = std::move(posted.front());
            posted.pop_front();
            lock.unlock();
            fn();
            lock.lock();
        }
    });
    auto post = [&](std::function<void()> fn) {
        {
            std::lock_guard lock(post_mutex);
            posted.push_back(std::move(fn));
        }
        post_cv.notify_one();
    };
    storage::writer w(std::move(db), post, opt);

    std::atomic<bool> measuring{false}, running{true};
    std::atomic<std::uint64_t> acked{0}, failed{0};
    std::vector<std::vector<double>> latencies(producers);
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p)
        threads.emplace_back([&, p] {
            std::mutex m;
            std::condition_variable cv;
            std::int64_t n = 0;
            while (running) {
                core::alert a;
                a.owner = owner;
                a.target = core::price::from_units((p + 1) * 100000000LL + n++);
                a.name = "bench";
                core::create(a, 1000);
                bool done = false;
                bool ok = false;
                auto const t0 = clock_type::now();
                auto const accepted = w.submit<core::alert_id>(
                    [a](SQLite::Database& c) {
                        return storage::alert_store::insert(c, a, "BTCUSDT");
                    },
                    [&](storage::result<core::alert_id> r) {
                        std::lock_guard lock(m);
                        done = true;
                        ok = r.ok();
                        cv.notify_one();
                    });
                if (!accepted) continue;
                std::unique_lock lock(m);
                cv.wait(lock, [&] { return done; });
                if (!measuring) continue;
                if (!ok) {
                    ++failed;
                    continue;
                }
                ++acked;
                latencies[p].push_back(
                    std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
            }
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // warm-up
    {
        std::lock_guard lock(commit_mutex);
        commit_ms.clear();
        batched_jobs = 0;
    }
    auto const start = clock_type::now();
    measuring = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    measuring = false;
    double const elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    std::uint64_t const count = acked.load();
    running = false;
    for (auto& t : threads)
        t.join();
    w.stop();
    {
        std::lock_guard lock(post_mutex);
        posting_done = true;
    }
    post_cv.notify_one();
    io_thread.join();

    create_figures f;
    f.per_second = static_cast<double>(count) / elapsed;
    std::vector<double> all;
    for (auto const& l : latencies)
        all.insert(all.end(), l.begin(), l.end());
    f.ack_p50_ms = percentile(all, 0.50);
    f.ack_p99_ms = percentile(all, 0.99);
    std::lock_guard lock(commit_mutex);
    f.commit_p50_ms = percentile(commit_ms, 0.50);
    f.commit_p99_ms = percentile(commit_ms, 0.99);
    f.mean_batch = commit_ms.empty()
                       ? 0
                       : static_cast<double>(batched_jobs) / static_cast<double>(commit_ms.size());
    f.failed = failed.load();
    return f;
}

struct load_figures {
    double select_s = 0; // reading every armed alert into core::alert
    double total_s = 0;  // reading them and arming the index
    std::size_t loaded = 0;
};

load_figures bench_load(std::filesystem::path const& path) {
    {
        auto db = storage::open_database(path);
        core::user_id const owner = seed_user(db);
        SQLite::Transaction tx(db);
        // Bulk fill in SQL: half above, half below, on two coins.
        db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                std::to_string(load_alerts) +
                ") INSERT INTO alerts (user_id, symbol, target_price, direction, name, "
                "created_at, updated_at, armed_at) SELECT " +
                std::to_string(owner) +
                ", CASE i % 2 WHEN 0 THEN 'BTCUSDT' ELSE 'ETHUSDT' END, "
                "100000000 * (1 + i % 100000) + i, CASE i % 3 WHEN 0 THEN 'below' ELSE 'above' "
                "END, 'alert ' || i, 1000, 1000, 1000 FROM n");
        tx.commit();
    }
    auto reader = storage::open_reader(path);
    load_figures f;
    core::symbol_table symbols;
    core::threshold_index index;
    auto const t0 = clock_type::now();
    storage::alert_store::for_each_armed(reader, symbols, [](auto const&) {});
    auto const t1 = clock_type::now();
    storage::alert_store::for_each_armed(
        reader, symbols, [&index](storage::alert_store::armed_alert const& a) {
            index.arm(a.symbol, a.side, a.target, static_cast<core::threshold_index::handle>(a.id));
        });
    auto const t2 = clock_type::now();
    f.select_s = std::chrono::duration<double>(t1 - t0).count();
    f.total_s = std::chrono::duration<double>(t2 - t1).count();
    f.loaded = index.size();
    return f;
}

} // namespace

int main() {
    try {
        double seconds = 3;
        if (char const* env = std::getenv("KRYPTOD_BENCH_SECONDS")) seconds = std::atof(env);
        if (seconds <= 0) seconds = 3;

        bench_dir dir;
        create_figures const c = bench_creates(dir.path / "creates.db", seconds);
        load_figures const l = bench_load(dir.path / "load.db");

        bool const creates_ok = c.per_second >= creates_target && c.failed == 0;
        bool const load_ok = l.total_s <= load_target_s && l.loaded == load_alerts;

        std::printf("## storage benchmark\n\n");
        std::printf("Machine: %s, %u cores\n\n", cpu_model().c_str(),
                    std::thread::hardware_concurrency());
        std::printf("| measure | value | target | |\n|---|---|---|---|\n");
        std::printf("| acknowledged alert creates, %d producers | %.0f /s | >= %.0f /s | %s |\n",
                    producers, c.per_second, creates_target, creates_ok ? "ok" : "MISSED");
        std::printf("| create acknowledgement latency p50 / p99 | %.2f / %.2f ms | | |\n",
                    c.ack_p50_ms, c.ack_p99_ms);
        std::printf("| writer commit latency p50 / p99 | %.2f / %.2f ms | | |\n", c.commit_p50_ms,
                    c.commit_p99_ms);
        std::printf("| mean jobs per commit | %.1f | | |\n", c.mean_batch);
        std::printf("| failed creates | %llu | 0 | |\n", static_cast<unsigned long long>(c.failed));
        std::printf("| read %d armed alerts (no index) | %.3f s | | |\n", load_alerts, l.select_s);
        std::printf("| load %d armed alerts into the threshold index | %.3f s | <= %.1f s | %s |\n",
                    load_alerts, l.total_s, load_target_s, load_ok ? "ok" : "MISSED");
        return creates_ok && load_ok ? 0 : 1;
    } catch (std::exception const& e) {
        std::fprintf(stderr, "storage_bench: %s\n", e.what());
        return 2;
    }
}
