// The kryptod binary started as a user or systemd would start it: readiness
// only once the port answers, /healthz, clean stop on SIGTERM, watchdog
// keep-alives, SIGHUP reload, journald priorities, and start-up failures that
// exit with a message instead of hanging. Also the systemd unit's checks.
#include "core/alert.hpp"
#include "storage/alert_store.hpp"
#include "storage/coin_store.hpp"
#include "storage/database.hpp"
#include "storage/user_store.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"

#include <boost/json.hpp>

#include <sys/stat.h>

using namespace kryptod::test;
using namespace std::chrono_literals;

namespace {

struct daemon_fixture {
    temp_dir dir;
    unsigned short port = free_port();
    notify_socket notify{dir.path / "notify.sock"};

    std::vector<std::string> args(std::vector<std::string> extra = {}) const {
        // The feed points at a closed local port: nothing reaches the internet.
        std::vector<std::string> a{"--http.listen=127.0.0.1:" + std::to_string(port),
                                   "--storage.path=" + (dir.path / "kryptod.db").string(),
                                   "--auth.secret_file=" + (dir.path / "auth.secret").string(),
                                   "--feed.url=ws://127.0.0.1:9/stream",
                                   "--feed.rest_url=http://127.0.0.1:9"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    std::vector<std::string> env(std::vector<std::string> extra = {}) const {
        std::vector<std::string> e{"NOTIFY_SOCKET=" + notify.path.string()};
        e.insert(e.end(), extra.begin(), extra.end());
        return e;
    }
    std::filesystem::path log() const { return dir.path / "kryptod.log"; }
};

} // namespace

BOOST_AUTO_TEST_SUITE(service)

BOOST_FIXTURE_TEST_CASE(ready_only_once_the_listener_accepts, daemon_fixture) {
    daemon_process d(args(), env(), log());
    auto ready = notify.wait_for("READY=1", 10s);
    BOOST_REQUIRE_MESSAGE(ready, "no READY=1 within 10 s; output: " << d.output());
    // READY is sent after the listener is up: the port answers at once.
    BOOST_TEST(port_accepts(port));
    BOOST_TEST(ready->find("STATUS=") != std::string::npos);

    http_client c(port);
    auto res = c.call(bhttp::verb::get, "/healthz");
    BOOST_TEST(res.result_int() == 200);
    BOOST_TEST(boost::json::parse(res.body()).at("status").as_string() == "ok");
    BOOST_TEST(c.call(bhttp::verb::get, "/healthz/").result_int() == 200);
}

BOOST_FIXTURE_TEST_CASE(sigterm_stops_cleanly_and_quickly, daemon_fixture) {
    daemon_process d(args(), env(), log());
    BOOST_REQUIRE(notify.wait_for("READY=1", 10s));
    http_client idle(port); // an open keep-alive connection must not delay the stop
    BOOST_TEST(idle.call(bhttp::verb::get, "/healthz").result_int() == 200);

    auto const start = std::chrono::steady_clock::now();
    d.signal(SIGTERM);
    BOOST_TEST(notify.wait_for("STOPPING=1", 5s).has_value());
    auto status = d.wait(10s);
    BOOST_REQUIRE_MESSAGE(status, "still running 10 s after SIGTERM");
    BOOST_TEST(*status == 0);
    BOOST_CHECK(std::chrono::steady_clock::now() - start < 3s);
    BOOST_TEST(!port_accepts(port));
    BOOST_TEST(d.output().find("stopped") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(sigint_stops_too, daemon_fixture) {
    daemon_process d(args(), env(), log());
    BOOST_REQUIRE(notify.wait_for("READY=1", 10s));
    d.signal(SIGINT);
    auto status = d.wait(10s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 0);
}

BOOST_FIXTURE_TEST_CASE(watchdog_keepalives_when_armed, daemon_fixture) {
    daemon_process d(args(), env({"WATCHDOG_USEC=200000"}), log(), /*watchdog_pid=*/true);
    BOOST_REQUIRE(notify.wait_for("READY=1", 10s));
    int seen = 0;
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (seen < 3 && std::chrono::steady_clock::now() < deadline)
        if (notify.wait_for("WATCHDOG=1", 1s)) ++seen;
    BOOST_TEST(seen == 3);
}

BOOST_FIXTURE_TEST_CASE(busy_port_exits_with_a_message, daemon_fixture) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor taken(ioc, {boost::asio::ip::make_address("127.0.0.1"), port});
    daemon_process d(args(), env(), log());
    auto status = d.wait(10s);
    BOOST_REQUIRE_MESSAGE(status, "kryptod hung on a busy port");
    BOOST_TEST(*status != 0);
    BOOST_TEST(d.output().find("cannot listen on 127.0.0.1:" + std::to_string(port)) !=
               std::string::npos);
    BOOST_TEST(!notify.receive(100ms).has_value()); // never claimed to be ready
}

BOOST_FIXTURE_TEST_CASE(unopenable_database_exits_with_a_message, daemon_fixture) {
    daemon_process d({"--http.listen=127.0.0.1:" + std::to_string(port),
                      "--storage.path=" + (dir.path / "missing" / "dir" / "k.db").string(),
                      "--feed.url=ws://127.0.0.1:9/stream", "--feed.rest_url=http://127.0.0.1:9"},
                     env(), log());
    auto status = d.wait(10s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status != 0);
    BOOST_TEST(d.output().find("cannot open database") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(bad_config_exits_2_naming_the_key, daemon_fixture) {
    daemon_process d(args({"--http.max_body=lots"}), env(), log());
    auto status = d.wait(10s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 2);
    auto out = d.output();
    BOOST_TEST(out.find("http.max_body") != std::string::npos);
    BOOST_TEST(std::count(out.begin(), out.end(), '\n') == 1);
}

BOOST_FIXTURE_TEST_CASE(sighup_rereads_the_log_level, daemon_fixture) {
    auto conf = dir.path / "kryptod.conf";
    std::ofstream(conf) << "[log]\nlevel = notice\n";
    daemon_process d(args({"--config", conf.string()}), env(), log());
    BOOST_REQUIRE(notify.wait_for("READY=1", 10s));
    BOOST_TEST(d.output().find("info:") == std::string::npos); // notice hides info
    std::ofstream(conf) << "[log]\nlevel = debug\n";
    d.signal(SIGHUP);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (d.output().find("log level debug") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    BOOST_TEST(d.output().find("configuration reloaded; log level debug") != std::string::npos);
    // A broken file on reload keeps the daemon running with what it had.
    std::ofstream(conf) << "[log]\nlevel = loud\n";
    d.signal(SIGHUP);
    deadline = std::chrono::steady_clock::now() + 5s;
    while (d.output().find("reload refused") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    BOOST_TEST(d.output().find("reload refused") != std::string::npos);
    // Still serving after the refused reload.
    http_client c(port);
    BOOST_TEST(c.call(bhttp::verb::get, "/healthz").result_int() == 200);
    BOOST_TEST(d.running());
}

BOOST_FIXTURE_TEST_CASE(journald_lines_carry_their_priority, daemon_fixture) {
    daemon_process d(args(), env({"JOURNAL_STREAM=8:12345"}), log());
    BOOST_REQUIRE(notify.wait_for("READY=1", 10s));
    d.signal(SIGTERM);
    BOOST_REQUIRE(d.wait(10s));
    auto out = d.output();
    BOOST_TEST(out.find("<6>kryptod ") != std::string::npos);         // info
    BOOST_TEST(out.find("<5>ready: listening") != std::string::npos); // notice
}

BOOST_AUTO_TEST_CASE(version_and_help) {
    temp_dir dir;
    daemon_process v({"--version"}, {}, dir.path / "v.log");
    BOOST_CHECK(v.wait(10s) == std::optional<int>(0));
    BOOST_TEST(v.output().find("kryptod ") == 0);
    daemon_process h({"--help"}, {}, dir.path / "h.log");
    BOOST_CHECK(h.wait(10s) == std::optional<int>(0));
    BOOST_TEST(h.output().find("--config") != std::string::npos);
}

// With the exchange unreachable the daemon still starts and serves, and
// says the feed is down.
BOOST_FIXTURE_TEST_CASE(readyz_and_metrics_answer, daemon_fixture) {
    daemon_process d(args(), env(), log());
    auto ready_msg = notify.wait_for("READY=1", 10s);
    BOOST_REQUIRE(ready_msg);
    BOOST_TEST(ready_msg->find("feed down") != std::string::npos);
    http_client c(port);
    auto ready = c.call(bhttp::verb::get, "/readyz");
    BOOST_TEST(ready.result_int() == 503);
    BOOST_TEST(ready[bhttp::field::content_type] == "application/problem+json");
    BOOST_TEST(boost::json::parse(ready.body()).at("detail").as_string().starts_with("feed down"));
    c.call(bhttp::verb::get, "/nowhere");
    auto m = c.call(bhttp::verb::get, "/metrics");
    BOOST_TEST(m.result_int() == 200);
    BOOST_TEST(m[bhttp::field::content_type].starts_with("text/plain; version=0.0.4"));
    auto const& text = m.body();
    BOOST_TEST(text.find("kryptod_alerts_armed 0\n") != std::string::npos);
    BOOST_TEST(text.find("kryptod_feed_up 0\n") != std::string::npos);
    BOOST_TEST(
        text.find(R"(kryptod_http_requests_total{route="/readyz",method="GET",status="503"} 1)") !=
        std::string::npos);
    BOOST_TEST(
        text.find(
            R"(kryptod_http_requests_total{route="unmatched",method="GET",status="404"} 1)") !=
        std::string::npos);
    BOOST_TEST(text.find("# TYPE kryptod_tick_to_trigger_seconds histogram") != std::string::npos);
    BOOST_TEST(text.find(R"(kryptod_alert_list_answers_total{source="memory"} 0)") !=
               std::string::npos);
    BOOST_TEST(text.find("kryptod_alert_list_cache_bytes 0\n") != std::string::npos);
}

// A restart rebuilds the index from what was committed: armed alerts are
// loaded, triggered and disabled ones are not, and the coins of feed.coins
// are listed.
BOOST_FIXTURE_TEST_CASE(startup_loads_the_armed_alerts, daemon_fixture) {
    namespace st = kryptod::storage;
    using namespace kryptod::core;
    {
        auto db = st::open_database(dir.path / "kryptod.db");
        st::coin_store::add(db, "BTCUSDT", 1);
        st::user_store::user_record u;
        u.email = "a@example.com";
        u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        u.created_at = u.updated_at = 1;
        auto uid = st::user_store::create(db, u);
        for (int i = 0; i < 3; ++i) {
            alert a;
            a.owner = uid;
            a.target = price::parse("100000").value;
            a.side = direction::above;
            create(a, 1000);
            if (i == 2) disable(a, 1000);
            st::alert_store::insert(db, a, "BTCUSDT");
        }
    }
    daemon_process d(args({"--feed.coins=BTCUSDT ETHUSDT"}), env(), log());
    BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 10s), d.output());
    BOOST_TEST(d.output().find("loaded 2 armed alerts, 2 coins") != std::string::npos, d.output());
    http_client c(port);
    auto m = c.call(bhttp::verb::get, "/metrics");
    BOOST_TEST(m.body().find("kryptod_alerts_armed 2\n") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(backup_while_running, daemon_fixture) {
    daemon_process d(args({"--feed.coins=BTCUSDT"}), env(), log());
    BOOST_REQUIRE(notify.wait_for("READY=1", 10s));
    auto copy = dir.path / "copy.db";
    daemon_process b(
        {"backup", copy.string(), "--storage.path=" + (dir.path / "kryptod.db").string()}, {},
        dir.path / "backup.log");
    auto status = b.wait(30s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 0, b.output());
    BOOST_TEST(b.output().find("written to") != std::string::npos);
    auto db = kryptod::storage::open_reader(copy);
    auto coins = kryptod::storage::coin_store::list(db);
    BOOST_REQUIRE(coins.size() == 1u);
    BOOST_TEST(coins[0].symbol == "BTCUSDT");
    BOOST_TEST(d.running());
    // A backup into a directory that does not exist fails with a message and
    // leaves nothing behind.
    daemon_process bad({"backup", (dir.path / "no" / "such" / "x.db").string(),
                        "--storage.path=" + (dir.path / "kryptod.db").string()},
                       {}, dir.path / "bad.log");
    auto bad_status = bad.wait(30s);
    BOOST_REQUIRE(bad_status);
    BOOST_TEST(*bad_status == 1);
    BOOST_TEST(bad.output().find("backup failed") != std::string::npos);
}

// Outside the unit (no UMask=), with the usual umask 022: the database, its
// -wal and -shm, and a backup are readable by their owner only.
BOOST_FIXTURE_TEST_CASE(database_and_backup_files_are_private, daemon_fixture) {
    struct umask_guard {
        mode_t old = ::umask(022);
        ~umask_guard() { ::umask(old); }
    } umask_022; // the daemon and `kryptod backup` inherit it
    auto mode_of = [](std::filesystem::path const& p) {
        struct stat st {};
        BOOST_REQUIRE_MESSAGE(::stat(p.c_str(), &st) == 0, p << " does not exist");
        return st.st_mode & 07777;
    };
    auto const db = dir.path / "kryptod.db";
    daemon_process d(args(), env(), log());
    BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 10s), d.output());
    BOOST_TEST(mode_of(db) == 0600u);
    BOOST_TEST(mode_of(db.string() + "-wal") == 0600u);
    BOOST_TEST(mode_of(db.string() + "-shm") == 0600u);

    auto const copy = dir.path / "copy.db";
    daemon_process b({"backup", copy.string(), "--storage.path=" + db.string()}, {},
                     dir.path / "backup.log");
    BOOST_REQUIRE(b.wait(30s) == std::optional<int>(0));
    BOOST_TEST(mode_of(copy) == 0600u);
    // A backup replacing an older, readable copy leaves a private one.
    ::chmod(copy.c_str(), 0644);
    daemon_process again({"backup", copy.string(), "--storage.path=" + db.string()}, {},
                         dir.path / "backup2.log");
    BOOST_REQUIRE(again.wait(30s) == std::optional<int>(0));
    BOOST_TEST(mode_of(copy) == 0600u);
}

// The unit file passes `systemd-analyze verify` and the offline security
// check at exposure 2.0 or better, where systemd-analyze is installed.
BOOST_AUTO_TEST_CASE(systemd_unit_is_valid_and_hardened) {
    if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0) {
        BOOST_TEST_MESSAGE("systemd-analyze not installed; unit checks skipped");
        return;
    }
    auto const unit = source_dir() / "systemd" / "kryptod.service";
    temp_dir dir;
    // A clean clone has no installed binary: verify a copy that starts the built one.
    auto const copy = dir.path / "kryptod.service";
    {
        std::ifstream in(unit);
        std::ofstream out(copy);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("ExecStart=", 0) == 0)
                line = "ExecStart=" + kryptod_binary().string() +
                       " --config /etc/kryptod/kryptod.conf";
            out << line << "\n";
        }
    }
    // The unit's Documentation= names kryptod(8); verify runs `man` on it, so
    // the page this repository ships stands where man looks.
    std::filesystem::create_directories(dir.path / "man" / "man8");
    std::filesystem::copy_file(source_dir() / "docs" / "kryptod.8",
                               dir.path / "man" / "man8" / "kryptod.8");
    auto verify = "MANPATH=" + (dir.path / "man").string() + " systemd-analyze verify " +
                  copy.string() + " >" + (dir.path / "v.out").string() + " 2>&1";
    int rc = std::system(verify.c_str());
    std::ifstream vout(dir.path / "v.out");
    std::string verify_output((std::istreambuf_iterator<char>(vout)), {});
    BOOST_TEST(rc == 0, "systemd-analyze verify: " << verify_output);
    BOOST_TEST(verify_output.empty(), verify_output);

    auto security = "systemd-analyze security --offline=true --threshold=20 " + unit.string() +
                    " >" + (dir.path / "s.out").string() + " 2>&1";
    BOOST_TEST(std::system(security.c_str()) == 0);
    std::ifstream sout(dir.path / "s.out");
    std::string s((std::istreambuf_iterator<char>(sout)), {});
    auto at = s.find("Overall exposure level for kryptod.service: ");
    BOOST_REQUIRE(at != std::string::npos);
    double exposure = std::stod(s.substr(at + 44));
    BOOST_TEST(exposure <= 2.0);
}

BOOST_AUTO_TEST_SUITE_END()
