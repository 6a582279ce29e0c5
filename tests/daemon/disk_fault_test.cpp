// Disk errors as the running daemon meets them: strace attached to the real
// kryptod makes every write and sync fail with EIO. Creates are answered 503
// (never a 201 for a write that did not commit), the daemon stays up, and
// once the fault is gone the next create succeeds and what was acknowledged
// is all there.
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/piped_process.hpp"

#include <boost/json.hpp>

using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(disk_fault)

BOOST_AUTO_TEST_CASE(writes_fail_cleanly_and_recover) {
    if (std::system("command -v strace >/dev/null 2>&1") != 0) {
        BOOST_TEST_MESSAGE("strace not installed; disk fault test skipped");
        return;
    }
    temp_dir dir;
    auto const db = (dir.path / "kryptod.db").string();
    auto const add = "printf 'correct horse battery\\n' | " + kryptod_binary().string() +
                     " user add a@example.com --storage.path=" + db + " >/dev/null 2>&1";
    BOOST_REQUIRE(std::system(add.c_str()) == 0);
    auto const port = free_port();
    notify_socket notify(dir.path / "notify.sock");
    daemon_process d({"--http.listen=127.0.0.1:" + std::to_string(port), "--storage.path=" + db,
                      "--auth.secret_file=" + (dir.path / "secret").string(),
                      "--feed.url=ws://127.0.0.1:9/stream", "--feed.rest_url=http://127.0.0.1:9",
                      "--feed.coins=BTCUSDT"},
                     {"NOTIFY_SOCKET=" + notify.path.string()}, dir.path / "kryptod.log");
    BOOST_REQUIRE(notify.wait_for("READY=1", 15s));

    http_client c(port);
    auto login = c.call(bhttp::verb::post, "/api/auth/login",
                        R"({"email":"a@example.com","password":"correct horse battery"})");
    BOOST_REQUIRE_EQUAL(login.result_int(), 200);
    auto const token = std::string(json::parse(login.body()).at("access").as_string());
    auto create = [&] {
        return c.call(bhttp::verb::post, "/api/alerts",
                      R"({"symbol":"BTCUSDT","target_price":"5","direction":"below"})", token);
    };
    BOOST_REQUIRE_EQUAL(create().result_int(), 201);

    int acknowledged = 1;
    {
        piped_process tracer({"/usr/bin/env", "strace", "-f", "-p", std::to_string(d.pid()), "-e",
                              "trace=pwrite64,fdatasync,fsync", "-e",
                              "inject=pwrite64,fdatasync,fsync:error=EIO", "-o",
                              (dir.path / "strace.log").string()});
        // strace needs a moment to attach to every thread; a create that
        // still succeeds meanwhile is acknowledged and must be kept.
        std::this_thread::sleep_for(1500ms);
        int refused = 0;
        for (int i = 0; i < 40 && refused < 3; ++i) {
            auto res = create();
            if (res.result_int() == 201) {
                ++acknowledged;
                std::this_thread::sleep_for(250ms);
                continue;
            }
            BOOST_TEST(res.result_int() == 503, res.body());
            BOOST_TEST(res[bhttp::field::content_type] == "application/problem+json");
            ++refused;
        }
        BOOST_TEST(refused == 3);
        BOOST_TEST(d.running());
    } // strace ends and detaches: the disk works again.
    std::this_thread::sleep_for(500ms);
    int ok = 0;
    for (int i = 0; i < 20 && ok == 0; ++i) {
        auto res = create();
        if (res.result_int() == 201)
            ++ok;
        else
            std::this_thread::sleep_for(200ms);
    }
    BOOST_TEST(ok == 1);
    acknowledged += ok;
    auto list = json::parse(c.call(bhttp::verb::get, "/api/alerts?limit=100", {}, token).body());
    BOOST_TEST(list.at("total").as_int64() == acknowledged);
    BOOST_TEST(d.output().find("disk I/O error") != std::string::npos);

    d.signal(SIGTERM);
    BOOST_CHECK(d.wait(10s) == std::optional<int>(0));
}

BOOST_AUTO_TEST_SUITE_END()
