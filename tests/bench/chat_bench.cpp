// chat_bench: kryptod's outbox sender against fake Discord, Slack and ntfy
// services (tests/notify/chat_server.py, one process each): the time from
// an alert notification's commit to the service's acceptance of the
// message, measured when the sender has the service's 2xx in hand (so an
// upper bound), p50 and p99 per channel. Prints a markdown table with the
// machine it ran on; exits non-zero when a p99 is over 50 ms.
#include "../notify/notify_fixture.hpp"
#include "daemon/log.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "sender_tally.hpp"
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

constexpr int samples = 300;
constexpr double max_p99_ms = 50.0;

using tally = kryptod::bench::sender_tally;
using kryptod::bench::cpu_model;

struct service {
    core::channel channel;
    char const* path;
    temp_dir dir{"kryptod-chat-bench"};
    std::unique_ptr<helper_process> process;
    std::vector<double> latencies;

    service(core::channel c, char const* p)
        : channel(c)
        , path(p) {
        process = std::make_unique<helper_process>(
            helper_script("chat_server.py"),
            std::vector<std::string>{"--dir", dir.path.string(), "--no-store"},
            dir.path / "server.log");
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(process->port()) + path; }
};

// Commits one notification row of `a` on `ch`, waking the sender as the
// fire path does, and returns the ms from its commit to its acceptance.
double one_sample(database_fixture& db, notify::outbox_sender& sender, tally& t,
                  core::alert const& a, core::channel ch, int seq) {
    storage::outbox_store::message m;
    m.delivery_id = "chat-bench-" + std::to_string(seq);
    m.channel = ch;
    m.user = a.owner;
    m.alert = a.id;
    notify::alert_notice n;
    n.alert = a.id;
    n.symbol = "BTCUSDT";
    n.name = "bench";
    n.target = a.target;
    n.side = a.side;
    n.trigger_price = core::price::parse("65010.5").value;
    n.exchange_time = wall_now() - 5;
    n.detected_at = wall_now();
    m.payload = notify::encode(n);
    m.next_attempt_at = m.created_at = wall_now();
    std::promise<clock_type::time_point> committed;
    auto future = committed.get_future();
    std::int64_t id = 0;
    auto const st = db.writer.submit<std::int64_t>(
        [&m](SQLite::Database& d) { return storage::outbox_store::enqueue(d, m); },
        [&](storage::result<std::int64_t> r) {
            id = r ? r.value() : -1;
            auto const at = clock_type::now();
            sender.wake(); // what the fire path's completion does
            committed.set_value(at);
        });
    if (!st) throw std::runtime_error("writer refused the row");
    auto const t0 = future.get();
    if (id < 0) throw std::runtime_error("enqueue failed");
    if (!t.wait_for_row(id, std::chrono::seconds(10)) || t.failures)
        throw std::runtime_error("a message was not delivered: " + t.first_failure);
    std::lock_guard lock(t.mutex);
    return std::chrono::duration<double, std::milli>(t.accepted.at(id) - t0).count();
}

} // namespace

int main() {
    daemon::log::set_level(daemon::log_level::warning);
    try {
        service services[] = {{core::channel::discord, "/discord/api/webhooks/1/bench"},
                              {core::channel::slack, "/slack/services/T/B/bench"},
                              {core::channel::ntfy, "/ntfy/bench"}};
        database_fixture db;
        auto const user = db.write<std::int64_t>([&](SQLite::Database& d) {
            storage::user_store::user_record u;
            u.email = "chat@example.com";
            u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
            u.discord_webhook_url = services[0].url();
            u.slack_webhook_url = services[1].url();
            u.ntfy_url = services[2].url();
            u.ntfy_token = "tk_bench";
            u.created_at = u.updated_at = wall_now();
            return storage::user_store::create(d, u);
        });
        auto const a =
            db.add_alert(user, "BTCUSDT", "65000", core::direction::above, "bench",
                         core::channel::discord | core::channel::slack | core::channel::ntfy);
        tally t;
        notify::smtp_settings smtp; // unused: no email here
        notify::sender_options o;
        o.webhook_allow_private = true; // the services are on 127.0.0.1
        o.on_attempt = [&t](notify::attempt_report const& r) { t.on_attempt(r); };
        notify::outbox_sender sender(db.path, db.writer, smtp, o);
        sender.start();
        int seq = 0;
        // Interleaved, so that no channel is measured only warm or only cold.
        for (int i = 0; i < samples; ++i)
            for (auto& s : services)
                s.latencies.push_back(one_sample(db, sender, t, a, s.channel, ++seq));
        sender.stop();

        auto pct = [](std::vector<double> const& v, double p) {
            return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
        };
        std::printf("## chat_bench\n\nMachine: %s, %u cores\n\n", cpu_model().c_str(),
                    std::thread::hardware_concurrency());
        std::printf("| measure | value | target | met |\n| --- | --- | --- | --- |\n");
        bool ok = true;
        for (auto& s : services) {
            std::sort(s.latencies.begin(), s.latencies.end());
            double const p50 = pct(s.latencies, 0.50), p99 = pct(s.latencies, 0.99);
            bool const met = p99 <= max_p99_ms;
            ok = ok && met;
            auto const name = core::to_string(s.channel);
            std::printf("| %.*s: commit to acceptance p50 (%d samples) | %.2f ms | | |\n",
                        static_cast<int>(name.size()), name.data(), samples, p50);
            std::printf("| %.*s: commit to acceptance p99 | %.2f ms | <= %.0f ms | %s |\n",
                        static_cast<int>(name.size()), name.data(), p99, max_p99_ms,
                        met ? "yes" : "NO");
        }
        return ok ? 0 : 1;
    } catch (std::exception const& e) {
        std::fprintf(stderr, "chat_bench: %s\n", e.what());
        return 2;
    }
}
