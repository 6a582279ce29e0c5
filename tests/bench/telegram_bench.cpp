// telegram_bench: kryptod's outbox sender and its Telegram channel against
// the fake Bot API (tests/notify/telegram_bot_api.py): the time from an
// outbox row's commit to the fake's acceptance of its sendMessage (p50,
// p99; one row at a time, each for another chat, spaced under the 30/s
// limit), and 1,000 rows for 1,000 different chats drained at the default
// limits (30 messages a second in all), with the most messages kryptod got
// accepted within any one second. Prints a markdown table with the machine
// it ran on; exits non-zero when a target is missed (p99 <= 50 ms; drained
// in <= 35 s; the fake sees at most 30 a second over the drain, and no
// burst).
#include "../notify/notify_fixture.hpp"
#include "daemon/log.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/options.hpp"
#include "sender_tally.hpp"
#include "storage/telegram_store.hpp"
#include "tests/support/default_config.hpp"
#include "wrk_support.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <unordered_map>

namespace {

using namespace kryptod;
using namespace kryptod::notify_test;
namespace notify = kryptod::daemon::notify;
using clock_type = std::chrono::steady_clock;

constexpr char const* token = "123456:kryptod-bench-token";
constexpr int latency_samples = 200;
constexpr int drain_chats = 1000;
constexpr double max_p99_ms = 50.0;
constexpr double max_drain_s = 35.0;
constexpr int per_second = 30;

using tally = kryptod::bench::sender_tally;
using kryptod::bench::cpu_model;

// `n` users, each with a linked chat (chat id = 500000 + user id).
std::vector<std::int64_t> linked_users(database_fixture& db, int n, std::string const& tag) {
    std::vector<std::int64_t> users;
    for (int i = 0; i < n; ++i)
        users.push_back(db.add_user(tag + std::to_string(i) + "@example.com"));
    db.write<int>([&users](SQLite::Database& d) {
        for (auto u : users)
            storage::telegram_store::link(d, u, 500000 + u, wall_now());
        return 0;
    });
    return users;
}

storage::outbox_store::message telegram_row(std::int64_t user, int seq) {
    notify::alert_notice n;
    n.alert = seq;
    n.symbol = "BTCUSDT";
    n.name = "bench *_[x]";
    n.target = core::price::parse("65000").value;
    n.trigger_price = core::price::parse("65010.5").value;
    n.exchange_time = n.detected_at = wall_now();
    storage::outbox_store::message m;
    m.delivery_id = "bench-telegram-" + std::to_string(seq);
    m.channel = core::channel::telegram;
    m.user = user;
    m.payload = notify::encode(n);
    m.next_attempt_at = m.created_at = wall_now();
    return m;
}

notify::sender_options options(std::uint16_t port, tally& t) {
    auto o = kryptod::daemon::sender_options_from(kryptod::test::default_config());
    o.batch = 64;
    o.telegram.api_url = "http://127.0.0.1:" + std::to_string(port);
    o.telegram.token = token;
    o.telegram.chat_messages_per_minute = 60;
    o.telegram.messages_per_second = per_second;
    o.on_attempt = [&t](notify::attempt_report const& r) { t.on_attempt(r); };
    return o;
}

} // namespace

int main() {
    daemon::log::set_level(daemon::log_level::warning);
    try {
        temp_dir logs{"kryptod-telegram-bench"};
        auto const accepted_log = logs.path / "accepted.log";
        helper_process fake(helper_script("telegram_bot_api.py"),
                            {"--token", token, "--log", accepted_log.string()},
                            logs.path / "fake.log");
        database_fixture db;

        // Latency: one row at a time, each to another chat, 40 ms apart.
        std::vector<double> latencies;
        {
            auto const users = linked_users(db, latency_samples, "latency");
            tally t;
            notify::outbox_sender sender(db.path, db.writer, {}, options(fake.port(), t));
            sender.start();
            for (int i = 0; i < latency_samples; ++i) {
                auto row = telegram_row(users[static_cast<std::size_t>(i)], i);
                std::promise<std::pair<std::int64_t, clock_type::time_point>> committed;
                auto future = committed.get_future();
                auto const st = db.writer.submit<std::int64_t>(
                    [&row](SQLite::Database& d) { return storage::outbox_store::enqueue(d, row); },
                    [&](storage::result<std::int64_t> r) {
                        auto const at = clock_type::now();
                        sender.wake(); // what the fire path's completion does
                        committed.set_value({r ? r.value() : -1, at});
                    });
                if (!st) throw std::runtime_error("writer refused the row");
                auto const [id, t0] = future.get();
                if (id < 0) throw std::runtime_error("enqueue failed");
                if (!t.wait_for(static_cast<std::size_t>(i + 1), std::chrono::seconds(10)) ||
                    t.failures)
                    throw std::runtime_error("a message was not delivered: " + t.first_failure);
                {
                    std::lock_guard lock(t.mutex);
                    latencies.push_back(
                        std::chrono::duration<double, std::milli>(t.accepted.at(id) - t0).count());
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(40));
            }
            sender.stop();
        }

        // Drain: 1,000 rows for 1,000 chats queued at once.
        double drained_s = 0;
        double fake_rate = 0; // messages per second between the fake's first and last
        int busiest_second = 0;
        {
            auto const users = linked_users(db, drain_chats, "drain");
            db.write<int>([&users](SQLite::Database& d) {
                int seq = 100000;
                for (auto u : users)
                    storage::outbox_store::enqueue(d, telegram_row(u, seq++));
                return 0;
            });
            tally t;
            notify::outbox_sender sender(db.path, db.writer, {}, options(fake.port(), t));
            auto const t0 = clock_type::now();
            sender.start();
            if (!t.wait_for(drain_chats, std::chrono::seconds(120)) || t.failures)
                throw std::runtime_error(
                    "the backlog was not delivered: " + std::to_string(t.accepted.size()) +
                    " accepted, " + std::to_string(t.failures) + " failed " + t.first_failure);
            drained_s = std::chrono::duration<double>(clock_type::now() - t0).count();
            sender.stop();
            // Messages the fake accepted within any one second, by its own
            // clock (the drain's are the log's last drain_chats lines).
            std::vector<double> at;
            std::ifstream in(accepted_log);
            double when = 0;
            std::int64_t chat = 0;
            while (in >> when >> chat)
                at.push_back(when);
            if (at.size() < static_cast<std::size_t>(drain_chats))
                throw std::runtime_error("the fake logged too few messages");
            at.erase(at.begin(), at.end() - drain_chats);
            std::sort(at.begin(), at.end());
            fake_rate = static_cast<double>(at.size() - 1) / (at.back() - at.front());
            for (std::size_t i = 0, j = 0; i < at.size(); ++i) {
                while (at[i] - at[j] >= 1.0)
                    ++j;
                busiest_second = std::max(busiest_second, static_cast<int>(i - j + 1));
            }
        }

        std::sort(latencies.begin(), latencies.end());
        auto pct = [](std::vector<double> const& v, double p) {
            return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
        };
        double const p50 = pct(latencies, 0.50), p99 = pct(latencies, 0.99);
        bool const p99_ok = p99 <= max_p99_ms;
        bool const drain_ok = drained_s <= max_drain_s;
        // The rate is kryptod's pacing as the fake saw it. The busiest second
        // also counts the fake's own stalls (one Python process on a shared
        // machine handles a few late requests next to prompt ones); a pacer
        // that sent in bursts would show twice the limit or more.
        bool const pace_ok = fake_rate <= per_second * 1.02 && busiest_second <= per_second * 3 / 2;
        std::printf("## telegram_bench\n\nMachine: %s, %u cores\n\n", cpu_model().c_str(),
                    std::thread::hardware_concurrency());
        std::printf("| measure | value | target | met |\n| --- | --- | --- | --- |\n");
        std::printf("| commit to Bot API acceptance p50 (%d samples) | %.2f ms | | |\n",
                    latency_samples, p50);
        std::printf("| commit to Bot API acceptance p99 | %.2f ms | <= %.0f ms | %s |\n", p99,
                    max_p99_ms, p99_ok ? "yes" : "NO");
        std::printf("| %d messages for %d chats drained at %d/s | %.1f s | <= %.0f s | %s |\n",
                    drain_chats, drain_chats, per_second, drained_s, max_drain_s,
                    drain_ok ? "yes" : "NO");
        // 2 % for the fake's clock: its first and last stamps come late or
        // early by its own scheduling.
        std::printf("| rate the fake saw over the drain | %.2f/s | <= %.1f/s | %s |\n", fake_rate,
                    per_second * 1.02, fake_rate <= per_second * 1.02 ? "yes" : "NO");
        std::printf("| most the fake accepted within one second | %d | <= %d | %s |\n",
                    busiest_second, per_second * 3 / 2,
                    busiest_second <= per_second * 3 / 2 ? "yes" : "NO");
        return p99_ok && drain_ok && pace_ok ? 0 : 1;
    } catch (std::exception const& e) {
        std::fprintf(stderr, "telegram_bench: %s\n", e.what());
        return 2;
    }
}
