// The real kryptod killed with SIGKILL under HTTP create load, over and over
// on one database (SPEC §3 "never a half-written record", §7 "a restart loses
// no acknowledged write"). In each trial several keep-alive connections POST
// /api/alerts concurrently, recording every 201; the daemon is killed after
// a random number of them plus a random few microseconds. Then, with the
// daemon dead, the database must pass `PRAGMA integrity_check` and hold
// every alert as a whole (with its `created` event); restarted on it, the
// daemon must answer every acknowledged alert with exactly the fields of its
// 201 and `status: active`, report as many alerts armed as the database
// holds active, and fire every one of them on a trade through the feed.
//
// KRYPTOD_CRASH_TRIALS sets the number of kills (default 20);
// KRYPTOD_CRASH_SEED repeats a run (the seed is printed).
#include "tests/support/whole_daemon.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <random>

using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

int trial_count() {
    char const* env = std::getenv("KRYPTOD_CRASH_TRIALS");
    if (env == nullptr || *env == '\0') return 20;
    int const n = std::atoi(env);
    if (n <= 0) throw std::runtime_error("KRYPTOD_CRASH_TRIALS must be a positive number");
    return n;
}

std::uint64_t seed() {
    char const* env = std::getenv("KRYPTOD_CRASH_SEED");
    if (env == nullptr || *env == '\0') return std::random_device{}();
    return std::stoull(env);
}

constexpr int connections = 4;
constexpr char const* password = "correct horse battery";

struct acknowledged_alert {
    std::int64_t id = 0;
    json::object body; // the 201's body
};

// Creates alerts on `connections` keep-alive connections until the daemon
// dies (or `stop` is set); every 201 goes to `acked` before `count` grows.
class create_load {
public:
    create_load(unsigned short port, std::string token, int trial, std::uint64_t seed)
        : token_(std::move(token)) {
        for (int i = 0; i < connections; ++i)
            clients_.push_back(std::make_unique<http_client>(port));
        for (int i = 0; i < connections; ++i)
            threads_.emplace_back([this, i, trial, seed] { run(i, trial, seed); });
    }
    ~create_load() { join(); }

    void join() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }

    std::size_t count() const { return count_.load(); }
    std::vector<acknowledged_alert> const& acked() const { return acked_; }
    std::vector<std::string> const& errors() const { return errors_; }

private:
    void run(int conn, int trial, std::uint64_t seed) {
        std::mt19937_64 rng(seed * 31 + static_cast<std::uint64_t>(conn));
        std::uniform_int_distribution<int> whole(2, 99999), frac(0, 99999999);
        auto& c = *clients_[static_cast<std::size_t>(conn)];
        for (int n = 0; !stop_; ++n) {
            // Distinct, exact prices and names: a field restored wrongly shows.
            json::object req{
                {"symbol", n % 2 ? "btcusdt" : "BTCUSDT"},
                {"target_price", std::to_string(whole(rng)) + "." + std::to_string(frac(rng))},
                {"direction", "below"},
                {"name", "trial " + std::to_string(trial) + " conn " + std::to_string(conn) + " #" +
                             std::to_string(n)}};
            if (n % 3 == 0) req["channels"] = json::array{"email", "webhook"};
            bhttp::response<bhttp::string_body> res;
            try {
                res = c.call(bhttp::verb::post, "/api/alerts", json::serialize(req), token_);
            } catch (std::exception const&) {
                return; // killed: this request got no answer, so it is not acknowledged
            }
            if (res.result_int() != 201) {
                std::lock_guard lock(mutex_);
                errors_.push_back(std::to_string(res.result_int()) + " " + res.body());
                return;
            }
            auto body = json::parse(res.body()).as_object();
            std::lock_guard lock(mutex_);
            acked_.push_back({body.at("id").as_int64(), std::move(body)});
            ++count_;
        }
    }

    std::string token_;
    std::vector<std::unique_ptr<http_client>> clients_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> count_{0};
    std::mutex mutex_;
    std::vector<acknowledged_alert> acked_;
    std::vector<std::string> errors_;
};

// With the daemon dead: opens the database as the next start will (the WAL
// is recovered), checks it is whole, and returns how many alerts are active.
std::int64_t check_database(std::filesystem::path const& path, int trial) {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
    BOOST_TEST_REQUIRE(db.execAndGet("PRAGMA integrity_check").getString() == "ok",
                       "trial " << trial);
    SQLite::Statement fk(db, "PRAGMA foreign_key_check");
    BOOST_TEST_REQUIRE(!fk.executeStep(), "trial " << trial << ": dangling foreign keys");
    // An alert without its `created` event is half a create.
    int const partial = db.execAndGet("SELECT count(*) FROM alerts a WHERE NOT EXISTS (SELECT 1 "
                                      "FROM alert_events e WHERE e.alert_id = a.id AND "
                                      "e.type = 'created')")
                            .getInt();
    BOOST_TEST_REQUIRE(partial == 0, "trial " << trial << ": " << partial << " partial alerts");
    return db.execAndGet("SELECT count(*) FROM alerts WHERE status = 'active'").getInt64();
}

} // namespace

BOOST_AUTO_TEST_SUITE(crash_trials)

BOOST_AUTO_TEST_CASE(every_acknowledged_create_survives_sigkill_and_stays_armed) {
    std::uint64_t const run_seed = seed();
    int const trials = trial_count();
    BOOST_TEST_MESSAGE("crash_trials: seed " << run_seed << " (KRYPTOD_CRASH_SEED=" << run_seed
                                             << " repeats it), " << trials << " trials");
    std::mt19937_64 rng(run_seed);
    std::uniform_int_distribution<int> acks_before_kill(0, 120);
    std::uniform_int_distribution<int> extra_delay_us(0, 3000);

    temp_dir dir;
    auto const db = dir.path / "kryptod.db";
    add_user(db, "crash@example.com", password, dir.path / "add.log");

    piped_process exchange({test_server_binary().string()});
    auto const feed_port = exchange_port(exchange);
    auto const port = free_port();
    // Nothing listens there: notifications fail fast and stay queued.
    auto const smtp_port = free_port();
    std::vector<std::string> const args{"--http.listen=127.0.0.1:" + std::to_string(port),
                                        "--storage.path=" + db.string(),
                                        "--auth.secret_file=" + (dir.path / "secret").string(),
                                        "--feed.url=ws://127.0.0.1:" + feed_port + "/stream",
                                        "--feed.rest_url=http://127.0.0.1:" + feed_port,
                                        "--feed.coins=BTCUSDT",
                                        "--smtp.url=smtp://127.0.0.1:" + std::to_string(smtp_port),
                                        "--smtp.tls=off",
                                        "--alerts.max_active_per_user=1000000",
                                        "--log.level=warning"};

    std::string token;
    std::vector<acknowledged_alert> previous; // acknowledged in the trial before the restart
    std::int64_t active_in_db = 0;
    std::size_t total_acked = 0;
    // Trial t starts the daemon, checks what trial t-1 acknowledged, then
    // loads and kills it; the last start only checks.
    for (int trial = 0; trial <= trials; ++trial) {
        notify_socket notify(dir.path / ("notify-" + std::to_string(trial) + ".sock"));
        daemon_process d(args, {"NOTIFY_SOCKET=" + notify.path.string()},
                         dir.path / ("kryptod-" + std::to_string(trial) + ".log"));
        BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 30s),
                              "trial " << trial << ": no READY=1: " << d.output());
        http_client c(port);
        if (token.empty()) {
            auto login = c.call(bhttp::verb::post, "/api/auth/login",
                                R"({"email":"crash@example.com","password":")" +
                                    std::string(password) + "\"}");
            BOOST_REQUIRE_EQUAL(login.result_int(), 200);
            token = std::string(json_of(login).at("access").as_string());
            // Some alerts name the webhook, which must be set up first.
            BOOST_REQUIRE_EQUAL(c.call(bhttp::verb::patch, "/api/auth/me",
                                       R"({"webhook_url":"https://hooks.example.com/crash"})",
                                       token)
                                    .result_int(),
                                200);
        }

        if (trial > 0) {
            // Restored as acknowledged: every field of the 201, still active.
            for (auto const& a : previous) {
                auto res =
                    c.call(bhttp::verb::get, "/api/alerts/" + std::to_string(a.id), {}, token);
                BOOST_TEST_REQUIRE(res.result_int() == 200,
                                   "trial " << trial - 1 << ": acknowledged alert " << a.id
                                            << " lost: " << res.body());
                BOOST_TEST_REQUIRE(json_of(res) == a.body,
                                   "trial " << trial - 1 << ": alert " << a.id << " came back as "
                                            << res.body() << ", not " << json::serialize(a.body));
            }
            // Armed: the index holds exactly the active alerts...
            BOOST_TEST_REQUIRE(metric_value(c, "kryptod_alerts_armed").value_or(-1) ==
                                   static_cast<double>(active_in_db),
                               "trial " << trial - 1 << ": " << active_in_db
                                        << " active alerts in the database");
            // ...and a trade below every target fires each one of them.
            BOOST_REQUIRE_MESSAGE(
                eventually([&] { return c.call(bhttp::verb::get, "/readyz").result_int() == 200; },
                           15s),
                "trial " << trial << ": the feed never came up: " << d.output());
            exchange.send("trade BTCUSDT 1");
            BOOST_REQUIRE_MESSAGE(
                eventually(
                    [&] {
                        auto list = c.call(bhttp::verb::get, "/api/alerts?status=active&limit=1",
                                           {}, token);
                        return json_of(list).at("total").as_int64() == 0;
                    },
                    15s),
                "trial " << trial - 1 << ": alerts still active after a trade below them all");
            for (auto const& a : previous) {
                auto fired = json_of(
                    c.call(bhttp::verb::get, "/api/alerts/" + std::to_string(a.id), {}, token));
                BOOST_TEST_REQUIRE(fired.at("status").as_string() == "triggered",
                                   "trial " << trial - 1 << ": alert " << a.id << " did not fire");
                BOOST_TEST_REQUIRE(fired.at("trigger_price").as_string() == "1");
            }
            BOOST_TEST_REQUIRE(metric_value(c, "kryptod_alerts_armed").value_or(-1) == 0.0);
        }
        if (trial == trials) {
            d.signal(SIGTERM);
            BOOST_CHECK(d.wait(10s) == std::optional<int>(0));
            break;
        }

        // Load, then kill after a random number of acknowledgements (counted,
        // not timed, so a slower build moves the kill points no less) plus a
        // random few microseconds to land anywhere in a request or a commit.
        auto const kill_after = static_cast<std::size_t>(acks_before_kill(rng));
        auto const delay = std::chrono::microseconds(extra_delay_us(rng));
        create_load load(port, token, trial, rng());
        bool const reached = eventually([&] { return load.count() >= kill_after; }, 30s);
        std::this_thread::sleep_for(delay);
        d.signal(SIGKILL);
        load.join();
        BOOST_TEST_REQUIRE(load.errors().empty(),
                           "trial " << trial << ": a create failed: "
                                    << (load.errors().empty() ? "" : load.errors().front()));
        BOOST_REQUIRE_MESSAGE(reached, "trial " << trial << ": only " << load.count()
                                                << " creates acknowledged in 30 s");
        BOOST_TEST_REQUIRE(d.wait(10s).value_or(-1) == 128 + SIGKILL,
                           "trial " << trial << ": " << d.output());
        previous = load.acked();
        total_acked += previous.size();
        BOOST_TEST_MESSAGE("trial " << trial << ": killed after " << previous.size()
                                    << " acknowledged creates (+" << delay.count() << " us)");
        active_in_db = check_database(db, trial);
        BOOST_TEST_REQUIRE(active_in_db >= static_cast<std::int64_t>(previous.size()),
                           "trial " << trial);
    }
    BOOST_TEST(total_acked > 0u);
    BOOST_TEST_MESSAGE(total_acked << " acknowledged creates checked over " << trials << " kills");
}

BOOST_AUTO_TEST_SUITE_END()
