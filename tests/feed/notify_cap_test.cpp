// Whole-daemon test of notify.max_per_user_per_hour (SPEC §5): the real
// kryptod, fed by the test exchange, mailing a real SMTP server (aiosmtpd).
// The cap has one owner, the fire path: a burst of fires for one user sends
// exactly `cap` notifications and records each one over it as one
// `suppressed` event; nothing is counted twice, and account emails are
// neither counted nor capped.
#include "tests/support/daemon_harness.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace kryptod::test;

namespace {

std::size_t mails_in(std::filesystem::path const& dir) {
    std::size_t n = 0;
    for (auto const& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json") ++n;
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(notify_cap)

BOOST_AUTO_TEST_CASE(five_fires_under_a_cap_of_two_send_two_and_suppress_three) {
    daemon_harness h;
    auto const mail_dir = h.dir.path / "mail";
    std::filesystem::create_directories(mail_dir);
    piped_process smtp({"/usr/bin/python3",
                        (source_dir() / "tests" / "notify" / "smtp_server.py").string(), "--dir",
                        mail_dir.string()});
    auto const ready = smtp.read_line(20s);
    BOOST_REQUIRE_MESSAGE(ready && ready->starts_with("READY "),
                          "SMTP server did not start (is python3-aiosmtpd installed?)");
    h.smtp_url = "smtp://127.0.0.1:" + ready->substr(6);
    h.start({"--notify.max_per_user_per_hour=2", "--notify.retry_base=1"});

    h.trade("100");
    BOOST_REQUIRE(h.sees_price("100"));
    std::vector<std::int64_t> ids;
    for (int target = 101; target <= 105; ++target)
        ids.push_back(h.create_alert(R"({"symbol":"BTCUSDT","target_price":")" +
                                     std::to_string(target) + R"(","direction":"above"})"));
    h.trade("110"); // five fires in one tick, within the hour

    BOOST_REQUIRE(eventually([&] {
        for (auto id : ids)
            if (h.alert(id).at("status").as_string() != "triggered") return false;
        return true;
    }));
    BOOST_REQUIRE_MESSAGE(eventually([&] { return mails_in(mail_dir) == 2; }), h.daemon->output());
    BOOST_REQUIRE(eventually(
        [&] { return h.metric("kryptod_notifications_total{outcome=\"delivered\"}") == 2; }));
    // The `notified` events are written after the deliveries they report.
    auto const outcomes = [&] {
        std::size_t n = 0;
        for (auto id : ids)
            n += h.events(id, "suppressed").size() + h.events(id, "notified").size();
        return n;
    };
    BOOST_TEST(eventually([&] { return outcomes() == ids.size(); }));
    std::size_t suppressed = 0, notified = 0;
    for (auto id : ids) {
        auto const s = h.events(id, "suppressed");
        auto const n = h.events(id, "notified");
        BOOST_TEST_CONTEXT(
            "alert " << id << ": "
                     << json::serialize(h.get("/api/alerts/" + std::to_string(id) + "/events"))) {
            // Each fire either went out or was suppressed, once.
            BOOST_TEST(s.size() + n.size() == 1u);
            for (auto const& e : s)
                BOOST_TEST(json::serialize(e).find(R"("channel":"email")") != std::string::npos);
            for (auto const& e : n)
                BOOST_TEST(json::serialize(e).find(R"("outcome":"delivered")") !=
                           std::string::npos);
        }
        suppressed += s.size();
        notified += n.size();
    }
    BOOST_TEST(notified == 2u);
    BOOST_TEST(suppressed == 3u);
    BOOST_TEST(h.metric("kryptod_notifications_total{outcome=\"suppressed\"}") == 3);
    BOOST_TEST(h.metric("kryptod_notifications_total{outcome=\"failed\"}") == 0);

    // An account email is not an alert notification: it goes out.
    auto const reset =
        h.call(bhttp::verb::post, "/api/auth/password-reset", R"({"email":"alice@example.com"})");
    BOOST_TEST(reset.result_int() == 202);
    BOOST_TEST(eventually([&] { return mails_in(mail_dir) == 3; }));
    // Nothing more trickles out later.
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(mails_in(mail_dir) == 3u);
    h.terminate();
}

BOOST_AUTO_TEST_SUITE_END()
