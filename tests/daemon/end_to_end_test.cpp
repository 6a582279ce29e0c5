// The whole product as a user meets it: the real kryptod binary fed by the
// Binance test server, sending mail to a real SMTP server (aiosmtpd). A user
// is created with `kryptod user add`, logs in, sets an alert; a trade through
// the feed fires it, the alert reads `triggered` with its event, the owner
// gets one email; re-armed, it fires again.
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/piped_process.hpp"

#include <boost/json.hpp>

using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::filesystem::path test_server_binary() {
    char const* bin = std::getenv("KRYPTOD_TEST_SERVER");
    BOOST_REQUIRE_MESSAGE(bin != nullptr, "KRYPTOD_TEST_SERVER is not set (run through ctest)");
    return bin;
}

json::object json_of(bhttp::response<bhttp::string_body> const& res) {
    return json::parse(res.body()).as_object();
}

// Every message the SMTP server accepted, oldest first.
std::vector<json::object> mails_in(std::filesystem::path const& dir) {
    std::vector<std::filesystem::path> files;
    for (auto const& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end(), [](auto const& a, auto const& b) {
        return std::stoi(a.stem().string()) < std::stoi(b.stem().string());
    });
    std::vector<json::object> out;
    for (auto const& f : files) {
        std::ifstream in(f);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        out.push_back(json::parse(text).as_object());
    }
    return out;
}

template <class F>
bool eventually(F&& ok, std::chrono::milliseconds timeout = 15s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ok()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return ok();
}

} // namespace

BOOST_AUTO_TEST_SUITE(end_to_end)

BOOST_AUTO_TEST_CASE(a_trade_on_the_feed_fires_an_alert_and_mails_its_owner) {
    temp_dir dir;
    auto const mail_dir = dir.path / "mail";
    std::filesystem::create_directories(mail_dir);

    piped_process exchange({test_server_binary().string()});
    auto port_line = exchange.read_line(10s);
    BOOST_REQUIRE_MESSAGE(port_line && port_line->starts_with("PORT "),
                          "test server did not start");
    auto const feed_port = port_line->substr(5);

    piped_process smtp({"/usr/bin/python3",
                        (source_dir() / "tests" / "notify" / "smtp_server.py").string(), "--dir",
                        mail_dir.string()});
    auto smtp_line = smtp.read_line(20s);
    BOOST_REQUIRE_MESSAGE(smtp_line && smtp_line->starts_with("READY "),
                          "SMTP server did not start (is python3-aiosmtpd installed?)");
    auto const smtp_port = smtp_line->substr(6);

    auto const db = (dir.path / "kryptod.db").string();
    auto const add = "printf 'correct horse battery\\n' | " + kryptod_binary().string() +
                     " user add alice@example.com --storage.path=" + db + " >" +
                     (dir.path / "add.log").string() + " 2>&1";
    BOOST_REQUIRE(std::system(add.c_str()) == 0);

    auto const port = free_port();
    notify_socket notify(dir.path / "notify.sock");
    daemon_process d({"--http.listen=127.0.0.1:" + std::to_string(port), "--storage.path=" + db,
                      "--auth.secret_file=" + (dir.path / "secret").string(),
                      "--feed.url=ws://127.0.0.1:" + feed_port + "/stream",
                      "--feed.rest_url=http://127.0.0.1:" + feed_port, "--feed.coins=BTCUSDT",
                      "--smtp.url=smtp://127.0.0.1:" + smtp_port, "--smtp.tls=off",
                      "--smtp.from=alerts@kryptod.test", "--notify.retry_base=1"},
                     {"NOTIFY_SOCKET=" + notify.path.string()}, dir.path / "kryptod.log");
    BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 15s), d.output());

    http_client c(port);
    BOOST_REQUIRE_MESSAGE(
        eventually([&] { return c.call(bhttp::verb::get, "/readyz").result_int() == 200; }),
        "the feed never came up: " << d.output());

    auto login = c.call(bhttp::verb::post, "/api/auth/login",
                        R"({"email":"alice@example.com","password":"correct horse battery"})");
    BOOST_REQUIRE_EQUAL(login.result_int(), 200);
    auto const token = std::string(json_of(login).at("access").as_string());

    // The coin's last price comes from the feed; the direction is inferred from it.
    exchange.send("trade BTCUSDT 99000");
    BOOST_REQUIRE(eventually([&] {
        auto coins = json_of(c.call(bhttp::verb::get, "/api/coins"));
        auto const& first = coins.at("items").as_array().at(0).as_object();
        return first.at("price").is_string() && first.at("price").as_string() == "99000";
    }));
    auto created =
        c.call(bhttp::verb::post, "/api/alerts",
               R"({"symbol":"BTCUSDT","target_price":"100000","name":"to the moon"})", token);
    BOOST_REQUIRE_MESSAGE(created.result_int() == 201, created.body());
    auto const alert = json_of(created);
    BOOST_TEST(alert.at("direction").as_string() == "above");
    auto const path = "/api/alerts/" + std::to_string(alert.at("id").as_int64());
    // The list: read once from the database, then answered from memory.
    auto const list_status = [&] {
        auto page = json_of(c.call(bhttp::verb::get, "/api/alerts", {}, token));
        return std::string(page.at("items").as_array().at(0).at("status").as_string());
    };
    BOOST_TEST(list_status() == "active");
    BOOST_TEST(list_status() == "active");

    exchange.send("trade BTCUSDT 99999.99");
    exchange.send("trade BTCUSDT 100000.5");
    json::object fired;
    BOOST_REQUIRE_MESSAGE(eventually([&] {
                              fired = json_of(c.call(bhttp::verb::get, path, {}, token));
                              return fired.at("status").as_string() == "triggered";
                          }),
                          "not triggered: " << json::serialize(fired));
    BOOST_TEST(fired.at("trigger_price").as_string() == "100000.5");
    BOOST_TEST(fired.at("trigger_count").as_int64() == 1);
    // The fire dropped the remembered list: the very next one shows it.
    BOOST_TEST(list_status() == "triggered");
    auto const metrics = c.call(bhttp::verb::get, "/metrics").body();
    BOOST_TEST(metrics.find(R"(kryptod_alert_list_answers_total{source="memory"} 1)") !=
                   std::string::npos,
               metrics);
    BOOST_TEST(metrics.find(R"(kryptod_alert_list_answers_total{source="database"} 2)") !=
                   std::string::npos,
               metrics);
    auto events = json_of(c.call(bhttp::verb::get, path + "/events", {}, token));
    json::object trig;
    for (auto const& e : events.at("items").as_array())
        if (e.at("type").as_string() == "triggered") trig = e.as_object();
    BOOST_REQUIRE_MESSAGE(!trig.empty(), json::serialize(events));
    BOOST_TEST(trig.at("price").as_string() == "100000.5");
    BOOST_TEST(trig.at("backfilled").as_bool() == false);

    BOOST_REQUIRE_MESSAGE(eventually([&] { return mails_in(mail_dir).size() == 1; }),
                          "no email arrived: " << d.output());
    auto const mail = mails_in(mail_dir).at(0);
    BOOST_TEST(json::serialize(mail.at("rcpt_tos")).find("alice@example.com") != std::string::npos);
    auto const data = std::string(mail.at("data").as_string());
    BOOST_TEST(data.find("BTCUSDT") != std::string::npos);
    BOOST_TEST(data.find("100000.5") != std::string::npos);
    BOOST_TEST(data.find("Message-ID:") != std::string::npos);
    // The delivery is in the alert's history too.
    BOOST_TEST(eventually([&] {
        auto ev = json_of(c.call(bhttp::verb::get, path + "/events", {}, token));
        for (auto const& e : ev.at("items").as_array())
            if (e.at("type").as_string() == "notified" && e.at("channel").as_string() == "email")
                return true;
        return false;
    }));

    // Re-armed, the next reaching trade fires it again, and mails again.
    auto rearmed = c.call(bhttp::verb::patch, path, R"({"status":"active"})", token);
    BOOST_REQUIRE_EQUAL(rearmed.result_int(), 200);
    exchange.send("trade BTCUSDT 100002");
    BOOST_REQUIRE(eventually([&] {
        return json_of(c.call(bhttp::verb::get, path, {}, token)).at("trigger_count").as_int64() ==
               2;
    }));
    BOOST_REQUIRE(eventually([&] { return mails_in(mail_dir).size() == 2; }));
    // Nothing more: one email per fire.
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(mails_in(mail_dir).size() == 2u);

    d.signal(SIGTERM);
    BOOST_CHECK(d.wait(10s) == std::optional<int>(0));
}

BOOST_AUTO_TEST_SUITE_END()
