// notify_bench: kryptod's outbox sender against a local aiosmtpd server
// (tests/notify/smtp_server.py): sustained emails per second through one
// reused SMTP connection, and the time from an outbox row's commit to the
// server's acceptance of its message (p50, p99). Prints a markdown table
// with the machine it ran on; exits non-zero when a target is missed
// (>= 500 emails/s; p99 < 50 ms), also while another user's webhooks hang
// on a server that never answers.
#include "../notify/notify_fixture.hpp"
#include "daemon/log.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/options.hpp"
#include "sender_tally.hpp"
#include "tests/support/default_config.hpp"
#include "wrk_support.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <unordered_map>

namespace {

using namespace kryptod;
using namespace kryptod::notify_test;
namespace notify = kryptod::daemon::notify;
using clock_type = std::chrono::steady_clock;

constexpr int throughput_messages = 3000;
constexpr int latency_samples = 300;
constexpr int tarpit_alerts = 50;
constexpr int tarpit_samples = 200;
constexpr double min_rate = 500.0;
constexpr double max_p99_ms = 50.0;

using tally = kryptod::bench::sender_tally;
using kryptod::bench::cpu_model;

std::vector<storage::outbox_store::message> account_rows(std::int64_t user, int n, int first) {
    std::vector<storage::outbox_store::message> rows;
    core::millis const now = wall_now();
    for (int i = 0; i < n; ++i) {
        storage::outbox_store::message m;
        m.delivery_id = "bench-" + std::to_string(first + i);
        m.channel = core::channel::email;
        m.user = user;
        m.payload = notify::encode(notify::account_email{
            "reader@example.com", "kryptod benchmark message " + std::to_string(first + i),
            "BTCUSDT above 65000: fired at 65010.5\nThis is a benchmark message.\n"});
        m.next_attempt_at = m.created_at = now;
        rows.push_back(std::move(m));
    }
    return rows;
}

// Commits `samples` rows one at a time, waking the sender as the fire path
// does, and returns the time from each commit to the server's 250 (ms).
std::vector<double> commit_to_acceptance(database_fixture& db, notify::outbox_sender& sender,
                                         tally& t, std::int64_t user, int samples, int first) {
    std::vector<double> out;
    for (int i = 0; i < samples; ++i) {
        auto rows = account_rows(user, 1, first + i);
        std::promise<clock_type::time_point> committed;
        auto future = committed.get_future();
        std::int64_t id = 0;
        auto const st = db.writer.submit<std::int64_t>(
            [&rows](SQLite::Database& d) { return storage::outbox_store::enqueue(d, rows[0]); },
            [&](storage::result<std::int64_t> r) {
                id = r ? r.value() : -1;
                auto const at = clock_type::now();
                sender.wake(); // what the fire path's completion does
                committed.set_value(at);
            });
        if (!st) throw std::runtime_error("writer refused the row");
        auto const t0 = future.get();
        if (id < 0) throw std::runtime_error("enqueue failed");
        if (!t.wait_for(static_cast<std::size_t>(i + 1), std::chrono::seconds(10)) || t.failures)
            throw std::runtime_error("a message was not delivered");
        std::lock_guard lock(t.mutex);
        out.push_back(std::chrono::duration<double, std::milli>(t.accepted.at(id) - t0).count());
    }
    return out;
}

} // namespace

int main() {
    // Per-message records would time the terminal, not kryptod.
    daemon::log::set_level(daemon::log_level::warning);
    try {
        smtp_server server({"--no-store"});
        database_fixture db;
        auto const user = db.add_user("reader@example.com");

        // Sustained rate: a backlog drained over one connection.
        double rate = 0;
        int connections = 0;
        {
            tally t;
            auto rows = account_rows(user, throughput_messages, 0);
            db.write<int>([&rows](SQLite::Database& d) {
                for (auto const& m : rows)
                    storage::outbox_store::enqueue(d, m);
                return 0;
            });
            notify::smtp_settings s;
            s.url = server.url();
            s.tls = daemon::smtp_tls::off;
            s.from = "bench@kryptod.test";
            auto o = kryptod::daemon::sender_options_from(kryptod::test::default_config());
            o.batch = 64;
            o.on_attempt = [&t](notify::attempt_report const& r) { t.on_attempt(r); };
            auto sender = std::make_unique<notify::outbox_sender>(db.path, db.writer, s, o);
            auto const t0 = clock_type::now();
            sender->start();
            if (!t.wait_for(throughput_messages, std::chrono::seconds(120)) || t.failures)
                throw std::runtime_error(
                    "the backlog was not delivered: " + std::to_string(t.accepted.size()) +
                    " accepted, " + std::to_string(t.failures) + " failed " + t.first_failure);
            auto const elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
            sender->stop();
            rate = throughput_messages / elapsed;
            connections = server.count("CONNECT");
        }

        // Latency: one row at a time, from its commit to the server's 250.
        std::vector<double> latencies;
        {
            tally t;
            notify::smtp_settings s;
            s.url = server.url();
            s.tls = daemon::smtp_tls::off;
            s.from = "bench@kryptod.test";
            auto o = kryptod::daemon::sender_options_from(kryptod::test::default_config());
            o.on_attempt = [&t](notify::attempt_report const& r) { t.on_attempt(r); };
            notify::outbox_sender sender(db.path, db.writer, s, o);
            sender.start();
            latencies =
                commit_to_acceptance(db, sender, t, user, latency_samples, throughput_messages);
            sender.stop();
        }
        // The same while another user's 50 webhook notifications hang on a
        // server that accepts connections and never answers.
        std::vector<double> beside_tarpit;
        {
            tarpit pit;
            auto const hostile = db.add_user("tarpit@example.com", pit.url(), "whsec-tarpit");
            for (int i = 0; i < tarpit_alerts; ++i)
                db.fire(db.add_alert(hostile, "BTCUSDT", "65000", core::direction::above, "",
                                     core::channel::webhook),
                        "BTCUSDT", "65001");
            tally t;
            notify::smtp_settings s;
            s.url = server.url();
            s.tls = daemon::smtp_tls::off;
            s.from = "bench@kryptod.test";
            auto o = kryptod::daemon::sender_options_from(kryptod::test::default_config());
            o.webhook_allow_private = true; // the tarpit is on 127.0.0.1
            o.on_attempt = [&t](notify::attempt_report const& r) {
                if (r.channel == core::channel::email) t.on_attempt(r);
            };
            notify::outbox_sender sender(db.path, db.writer, s, o);
            sender.start();
            beside_tarpit = commit_to_acceptance(db, sender, t, user, tarpit_samples,
                                                 throughput_messages + latency_samples);
            sender.stop();
        }

        std::sort(latencies.begin(), latencies.end());
        std::sort(beside_tarpit.begin(), beside_tarpit.end());
        auto pct = [](std::vector<double> const& v, double p) {
            return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
        };
        double const p50 = pct(latencies, 0.50), p99 = pct(latencies, 0.99);
        double const tarpit_p50 = pct(beside_tarpit, 0.50), tarpit_p99 = pct(beside_tarpit, 0.99);

        bool const rate_ok = rate >= min_rate;
        bool const p99_ok = p99 < max_p99_ms;
        bool const tarpit_ok = tarpit_p99 < max_p99_ms;
        std::printf("## notify_bench\n\nMachine: %s, %u cores\n\n", cpu_model().c_str(),
                    std::thread::hardware_concurrency());
        std::printf("| measure | value | target | met |\n| --- | --- | --- | --- |\n");
        std::printf(
            "| emails/s, one connection (%d messages, %d connection%s) | %.0f | >= %.0f | %s |\n",
            throughput_messages, connections, connections == 1 ? "" : "s", rate, min_rate,
            rate_ok ? "yes" : "NO");
        std::printf("| commit to SMTP acceptance p50 (%d samples) | %.2f ms | | |\n",
                    latency_samples, p50);
        std::printf("| commit to SMTP acceptance p99 | %.2f ms | < %.0f ms | %s |\n", p99,
                    max_p99_ms, p99_ok ? "yes" : "NO");
        std::printf("| the same beside %d webhooks hanging on a tarpit, p50 (%d samples) | %.2f "
                    "ms | | |\n",
                    tarpit_alerts, tarpit_samples, tarpit_p50);
        std::printf("| the same beside the tarpit, p99 | %.2f ms | < %.0f ms | %s |\n", tarpit_p99,
                    max_p99_ms, tarpit_ok ? "yes" : "NO");
        return rate_ok && p99_ok && tarpit_ok ? 0 : 1;
    } catch (std::exception const& e) {
        std::fprintf(stderr, "notify_bench: %s\n", e.what());
        return 2;
    }
}
