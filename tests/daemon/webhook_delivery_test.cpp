// A signed webhook through the whole product (SPEC §5): a user sets a
// webhook_url (PATCH /api/auth/me, which shows the signing secret once) and
// an alert notified by webhook; a trade through the Binance test server fires
// it; a real HTTP receiver (webhook_server.py, which checks the HMAC on its
// own) answers 500 once, then 200. It must see exactly two POSTs, both signed
// with the user's secret over "<timestamp>.<body>", both under the same
// X-Kryptod-Delivery, the body naming the alert, its coin and the price that
// fired it; the alert's history shows the failed attempt and the delivery.
#include "tests/support/whole_daemon.hpp"

#include <fstream>

using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(webhook_delivery)

BOOST_AUTO_TEST_CASE(a_fired_alert_posts_one_signed_event_retried_under_one_delivery_id) {
    temp_dir dir;
    auto const hook_dir = dir.path / "hooks";
    std::filesystem::create_directories(hook_dir);
    auto const db = dir.path / "kryptod.db";
    add_user(db, "dave@example.com", "correct horse battery", dir.path / "add.log");

    piped_process exchange({test_server_binary().string()});
    auto const feed_port = exchange_port(exchange);
    auto const port = free_port();
    notify_socket notify(dir.path / "notify.sock");
    // No SMTP server: an email would fail, and nothing here may need one.
    daemon_process d(
        {"--http.listen=127.0.0.1:" + std::to_string(port), "--storage.path=" + db.string(),
         "--auth.secret_file=" + (dir.path / "secret").string(),
         "--feed.url=ws://127.0.0.1:" + feed_port + "/stream",
         "--feed.rest_url=http://127.0.0.1:" + feed_port, "--feed.coins=BTCUSDT",
         "--smtp.url=smtp://127.0.0.1:" + std::to_string(free_port()), "--smtp.tls=off",
         "--notify.webhook_allow_private=true", "--notify.retry_base=1", "--notify.retry_max=2"},
        {"NOTIFY_SOCKET=" + notify.path.string()}, dir.path / "kryptod.log");
    BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 15s), d.output());
    http_client c(port);
    BOOST_REQUIRE_MESSAGE(
        eventually([&] { return c.call(bhttp::verb::get, "/readyz").result_int() == 200; }, 15s),
        "the feed never came up: " << d.output());
    auto login = c.call(bhttp::verb::post, "/api/auth/login",
                        R"({"email":"dave@example.com","password":"correct horse battery"})");
    BOOST_REQUIRE_EQUAL(login.result_int(), 200);
    auto const token = std::string(json_of(login).at("access").as_string());

    // The receiver's port is chosen first: the URL must name it before the
    // secret, which the receiver needs, exists.
    auto const hook_port = free_port();
    auto const url = "http://127.0.0.1:" + std::to_string(hook_port) + "/kryptod";
    auto me = c.call(bhttp::verb::patch, "/api/auth/me",
                     json::serialize(json::object{{"webhook_url", url}}), token);
    BOOST_REQUIRE_MESSAGE(me.result_int() == 200, me.body());
    auto const secret = std::string(json_of(me).at("webhook_secret").as_string());
    BOOST_TEST_REQUIRE(!secret.empty());
    BOOST_TEST(json_of(c.call(bhttp::verb::get, "/api/auth/me", {}, token))
                       .if_contains("webhook_secret") == nullptr,
               "the secret is shown only when the URL is set");
    std::ofstream(hook_dir / "statuses") << "500";
    piped_process receiver(
        {"/usr/bin/python3", (source_dir() / "tests" / "notify" / "webhook_server.py").string(),
         "--dir", hook_dir.string(), "--secret", secret, "--port", std::to_string(hook_port)});
    auto const ready = receiver.read_line(20s);
    BOOST_REQUIRE_MESSAGE(ready && ready->starts_with("READY "), "webhook receiver did not start");

    auto created = c.call(bhttp::verb::post, "/api/alerts",
                          R"({"symbol":"btcusdt","target_price":"3000","direction":"below",)"
                          R"("name":"buy the dip","channels":["webhook"]})",
                          token);
    BOOST_REQUIRE_MESSAGE(created.result_int() == 201, created.body());
    auto const alert = json_of(created);
    auto const id = alert.at("id").as_int64();
    auto const symbol = std::string(alert.at("symbol").as_string());
    BOOST_TEST(symbol == "BTCUSDT");

    exchange.send("trade BTCUSDT 3100"); // above the target: nothing
    exchange.send("trade BTCUSDT 2999.25");
    BOOST_REQUIRE_MESSAGE(eventually([&] { return records_in(hook_dir).size() >= 2; }, 20s),
                          records_in(hook_dir).size() << " webhook POSTs; log: " << d.output());
    std::this_thread::sleep_for(2500ms); // anything more would come within notify.retry_max
    auto const hooks = records_in(hook_dir);
    BOOST_TEST_REQUIRE(hooks.size() == 2u);
    BOOST_TEST(hooks[0].at("status").as_int64() == 500);
    BOOST_TEST(hooks[1].at("status").as_int64() == 200);
    auto const delivery = std::string(hooks[0].at("delivery").as_string());
    BOOST_TEST(!delivery.empty());
    auto const now_s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    for (auto const& h : hooks) {
        BOOST_TEST(h.at("path").as_string() == "/kryptod");
        BOOST_TEST(h.at("signature_ok").as_bool(), "bad signature " << h.at("signature"));
        BOOST_TEST(h.at("delivery").as_string() == delivery, "the retry changed the delivery id");
        BOOST_TEST(std::string(h.at("content_type").as_string()).starts_with("application/json"));
        auto const ts = std::stoll(std::string(h.at("timestamp").as_string()));
        BOOST_TEST(std::llabs(ts - now_s) < 60);
        auto const body = json::parse(h.at("body").as_string()).as_object();
        BOOST_TEST(body.at("type").as_string() == "alert.triggered");
        BOOST_TEST(body.at("delivery_id").as_string() == delivery);
        BOOST_TEST(body.at("price").as_string() == "2999.25");
        BOOST_TEST(body.at("backfilled").as_bool() == false);
        auto const& a = body.at("alert").as_object();
        BOOST_TEST(a.at("id").as_int64() == id);
        BOOST_TEST(a.at("symbol").as_string() == symbol);
        BOOST_TEST(a.at("target_price").as_string() == "3000");
        BOOST_TEST(a.at("direction").as_string() == "below");
        BOOST_TEST(a.at("name").as_string() == "buy the dip");
    }

    // The history: attempt 1 retried, attempt 2 delivered, by webhook only.
    json::array notified;
    BOOST_TEST(eventually(
        [&] {
            auto events = json_of(c.call(
                bhttp::verb::get, "/api/alerts/" + std::to_string(id) + "/events", {}, token));
            notified.clear();
            for (auto const& e : events.at("items").as_array())
                if (e.at("type").as_string() == "notified") notified.push_back(e);
            return notified.size() == 2;
        },
        5s));
    BOOST_TEST_REQUIRE(notified.size() == 2u, json::serialize(notified));
    std::sort(notified.begin(), notified.end(), [](json::value const& x, json::value const& y) {
        return x.at("attempt").as_int64() < y.at("attempt").as_int64();
    });
    BOOST_TEST(notified[0].at("channel").as_string() == "webhook");
    BOOST_TEST(notified[0].at("attempt").as_int64() == 1);
    BOOST_TEST(std::string(notified[0].at("outcome").as_string()).starts_with("retrying"));
    BOOST_TEST(notified[1].at("channel").as_string() == "webhook");
    BOOST_TEST(notified[1].at("attempt").as_int64() == 2);
    BOOST_TEST(notified[1].at("outcome").as_string() == "delivered");
    auto const fired =
        json_of(c.call(bhttp::verb::get, "/api/alerts/" + std::to_string(id), {}, token));
    BOOST_TEST(fired.at("status").as_string() == "triggered");
    BOOST_TEST(fired.at("trigger_price").as_string() == "2999.25");

    d.signal(SIGTERM);
    BOOST_CHECK(d.wait(10s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
