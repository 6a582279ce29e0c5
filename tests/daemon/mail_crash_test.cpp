// The real kryptod killed with SIGKILL in the one window at-least-once
// delivery cannot close (SPEC §5): the SMTP server has accepted a message but
// kryptod has not yet heard its `250`, so the outbox row is not marked sent.
// aiosmtpd holds its answer to that message (--hold-message) and says so on
// stdout; the test kills the daemon then. Restarted, kryptod sends it again,
// exactly once more and under the same Message-ID; a message delivered
// before the kill and the messages queued behind the held one arrive exactly
// once; every alert's history says it was notified.
#include "tests/support/whole_daemon.hpp"

#include <map>

using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string header_of(std::string const& message, std::string const& name) {
    auto const at = message.find("\r\n" + name + ": ");
    if (at == std::string::npos) return {};
    auto const begin = at + name.size() + 4;
    return message.substr(begin, message.find("\r\n", begin) - begin);
}

bool notified_by_email(http_client& c, std::string const& token, std::int64_t id) {
    auto events = json_of(
        c.call(bhttp::verb::get, "/api/alerts/" + std::to_string(id) + "/events", {}, token));
    for (auto const& e : events.at("items").as_array()) {
        auto const& ev = e.as_object();
        if (ev.at("type").as_string() == "notified" && ev.at("channel").as_string() == "email" &&
            ev.at("outcome").as_string() == "delivered")
            return true;
    }
    return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mail_crash)

BOOST_AUTO_TEST_CASE(a_kill_after_smtp_acceptance_duplicates_once_under_the_same_message_id) {
    temp_dir dir;
    auto const mail_dir = dir.path / "mail";
    std::filesystem::create_directories(mail_dir);
    auto const db = dir.path / "kryptod.db";
    add_user(db, "carol@example.com", "correct horse battery", dir.path / "add.log");

    piped_process exchange({test_server_binary().string()});
    auto const feed_port = exchange_port(exchange);
    // The second message (the first of the three fired together) is held.
    piped_process smtp({"/usr/bin/python3",
                        (source_dir() / "tests" / "notify" / "smtp_server.py").string(), "--dir",
                        mail_dir.string(), "--hold-message", "2"});
    auto const smtp_line = smtp.read_line(20s);
    BOOST_REQUIRE_MESSAGE(smtp_line && smtp_line->starts_with("READY "),
                          "SMTP server did not start (is python3-aiosmtpd installed?)");
    auto const smtp_port = smtp_line->substr(6);

    auto const port = free_port();
    std::vector<std::string> const args{"--http.listen=127.0.0.1:" + std::to_string(port),
                                        "--storage.path=" + db.string(),
                                        "--auth.secret_file=" + (dir.path / "secret").string(),
                                        "--feed.url=ws://127.0.0.1:" + feed_port + "/stream",
                                        "--feed.rest_url=http://127.0.0.1:" + feed_port,
                                        "--feed.coins=BTCUSDT",
                                        "--smtp.url=smtp://127.0.0.1:" + smtp_port,
                                        "--smtp.tls=off",
                                        "--smtp.from=alerts@kryptod.test",
                                        "--notify.retry_base=1",
                                        "--notify.retry_max=2"};

    std::string token;
    std::vector<std::int64_t> alerts;
    {
        notify_socket notify(dir.path / "notify-1.sock");
        daemon_process d(args, {"NOTIFY_SOCKET=" + notify.path.string()},
                         dir.path / "kryptod-1.log");
        BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 15s), d.output());
        http_client c(port);
        BOOST_REQUIRE_MESSAGE(
            eventually([&] { return c.call(bhttp::verb::get, "/readyz").result_int() == 200; },
                       15s),
            "the feed never came up: " << d.output());
        auto login = c.call(bhttp::verb::post, "/api/auth/login",
                            R"({"email":"carol@example.com","password":"correct horse battery"})");
        BOOST_REQUIRE_EQUAL(login.result_int(), 200);
        token = std::string(json_of(login).at("access").as_string());
        auto create = [&](std::string const& target) {
            auto res = c.call(bhttp::verb::post, "/api/alerts",
                              R"({"symbol":"BTCUSDT","direction":"above","target_price":")" +
                                  target + "\"}",
                              token);
            BOOST_REQUIRE_MESSAGE(res.result_int() == 201, res.body());
            alerts.push_back(json_of(res).at("id").as_int64());
        };

        // One message goes through before the crash window...
        create("100");
        exchange.send("trade BTCUSDT 150");
        BOOST_REQUIRE_MESSAGE(
            eventually([&] { return notified_by_email(c, token, alerts[0]); }, 15s),
            "the first alert was never mailed: " << d.output());
        // ...then three fire on one trade and go out on one SMTP connection;
        // the first of them is held after its acceptance.
        create("200");
        create("201");
        create("202");
        exchange.send("trade BTCUSDT 250");
        bool held = false;
        for (int i = 0; i < 10 && !held; ++i) {
            auto line = smtp.read_line(2s);
            held = line && line->starts_with("HELD ");
        }
        BOOST_REQUIRE_MESSAGE(held, "the SMTP server never held a message: " << d.output());
        d.signal(SIGKILL);
        BOOST_REQUIRE(d.wait(10s).value_or(-1) == 128 + SIGKILL);
    }
    BOOST_REQUIRE_EQUAL(records_in(mail_dir).size(), 2u);

    // Restarted (the server answers normally now): the held message again,
    // and the two queued behind it.
    notify_socket notify(dir.path / "notify-2.sock");
    daemon_process d(args, {"NOTIFY_SOCKET=" + notify.path.string()}, dir.path / "kryptod-2.log");
    BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 15s), d.output());
    http_client c(port);
    BOOST_REQUIRE_MESSAGE(eventually([&] { return records_in(mail_dir).size() >= 5; }, 20s),
                          records_in(mail_dir).size()
                              << " messages after the restart; log: " << d.output());
    for (auto const id : alerts)
        BOOST_TEST(eventually([&] { return notified_by_email(c, token, id); }, 10s),
                   "alert " << id << " has no delivered email in its history");
    std::this_thread::sleep_for(1500ms); // a retry would come within notify.retry_max
    auto const mails = records_in(mail_dir);
    BOOST_TEST_REQUIRE(mails.size() == 5u);

    std::map<std::string, int> seen;
    std::vector<std::string> ids;
    for (auto const& m : mails) {
        auto const id = header_of(std::string(m.at("data").as_string()), "Message-ID");
        BOOST_TEST_REQUIRE(!id.empty(), "a message without Message-ID");
        ids.push_back(id);
        ++seen[id];
    }
    BOOST_TEST(seen.size() == 4u); // one Message-ID per notification
    BOOST_TEST(seen[ids[0]] == 1); // delivered before the kill: never again
    BOOST_TEST(seen[ids[1]] == 2); // the held one: exactly one duplicate
    for (std::size_t i = 2; i < mails.size(); ++i)
        if (ids[i] == ids[1])
            BOOST_TEST(header_of(std::string(mails[i].at("data").as_string()), "Subject") ==
                       header_of(std::string(mails[1].at("data").as_string()), "Subject"));

    d.signal(SIGTERM);
    BOOST_CHECK(d.wait(10s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
