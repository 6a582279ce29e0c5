// Whole-daemon tests of a backfill that cannot be had (SPEC §4): the real
// kryptod, the test exchange cutting its websocket while the price crosses
// a target, and its REST API rate-limiting with a huge Retry-After (418,
// Retry-After: 100000000000000000) or down for a while. What a user
// notices: live crossings still fire within about a second of their trade
// once feed.backfill_hold has passed; /readyz and /metrics name the coin
// that is catching up; the REST API is not flooded; and when REST answers
// again, the gap's crossings fire once, with `"backfilled": true`.
#include "core/rfc3339.hpp"
#include "tests/support/daemon_harness.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::test;

namespace {

std::string alert(std::string const& target, std::string const& direction) {
    return R"({"symbol":"BTCUSDT","target_price":")" + target + R"(","direction":")" + direction +
           "\"}";
}

// Milliseconds from a trigger event's trade (exchange time) to its
// detection.
std::int64_t detection_delay(json::object const& triggered) {
    auto const exchange = kryptod::core::parse_rfc3339(triggered.at("exchange_time").as_string());
    auto const detected = kryptod::core::parse_rfc3339(triggered.at("detected_at").as_string());
    BOOST_REQUIRE(exchange && detected);
    return *detected - *exchange;
}

bool triggered(daemon_harness& h, std::int64_t id) {
    return h.alert(id).at("status").as_string() == "triggered";
}

// Waits until the daemon reconnected after a cut and its feed is up again.
void reconnected(daemon_harness& h) {
    BOOST_REQUIRE_MESSAGE(eventually([&] {
                              return h.metric("kryptod_feed_reconnects_total") >= 1 &&
                                     h.metric("kryptod_feed_up") == 1;
                          }),
                          h.daemon->output());
}

// Waits until /readyz says BTCUSDT is catching up; returns its reason.
std::string not_ready_for_btc(daemon_harness& h) {
    std::string reason;
    BOOST_REQUIRE_MESSAGE(eventually([&] {
                              auto const res = h.call(bhttp::verb::get, "/readyz");
                              reason = res.body();
                              return res.result_int() == 503 &&
                                     reason.find("BTCUSDT catching up") != std::string::npos;
                          }),
                          reason << "\n"
                                 << h.daemon->output());
    return reason;
}

} // namespace

BOOST_AUTO_TEST_SUITE(daemon_backfill_hold)

BOOST_AUTO_TEST_CASE(a_huge_retry_after_neither_floods_rest_nor_freezes_live_alerts) {
    daemon_harness h;
    h.start({"--feed.backfill_hold=2"});
    auto const gap_alert = h.create_alert(alert("95", "below"));
    auto const live_alert = h.create_alert(alert("110", "above"));
    h.trade("100");
    BOOST_REQUIRE(h.sees_price("100"));

    h.exchange.send("throttle 100000 100000000000000000 418");
    auto const requests_before = h.rest_requests().size();
    h.exchange.send("cut");
    h.trade("94"); // in the gap
    reconnected(h);
    auto const reason = not_ready_for_btc(h);
    BOOST_TEST(reason.find("Retry-After 300 s") != std::string::npos, reason);
    BOOST_TEST(h.metric("kryptod_feed_catching_up") == 1);
    BOOST_TEST(h.metric("kryptod_feed_catching_up_seconds") >= 2);

    h.trade("111"); // live
    BOOST_REQUIRE_MESSAGE(eventually([&] { return triggered(h, live_alert); }), h.daemon->output());
    auto const ev = h.events(live_alert, "triggered");
    BOOST_REQUIRE_EQUAL(ev.size(), 1u);
    BOOST_TEST(!ev[0].at("backfilled").as_bool());
    BOOST_TEST(detection_delay(ev[0]) < 2000);
    BOOST_TEST(h.sees_price("111"));

    // Retry-After 100000000000000000 is honoured as 300 s: one request,
    // then silence, where the overflow made thousands.
    BOOST_TEST(h.rest_requests().size() - requests_before <= 2u);
    BOOST_TEST(!triggered(h, gap_alert));
    BOOST_TEST(h.daemon->output().find("Retry-After 300 s") != std::string::npos);
    h.terminate();
}

BOOST_AUTO_TEST_CASE(a_rest_outage_fires_live_crossings_now_and_the_gaps_once_later) {
    daemon_harness h;
    h.start({"--feed.backfill_hold=2"});
    auto const gap_alert = h.create_alert(alert("95", "below"));
    auto const both_alert = h.create_alert(alert("108", "above")); // in the gap, and live first
    auto const live_alert = h.create_alert(alert("110", "above"));
    auto const never = h.create_alert(alert("200", "above"));
    h.trade("100");
    BOOST_REQUIRE(h.sees_price("100"));

    h.exchange.send("rest down");
    h.exchange.send("cut");
    h.trade("109");
    h.trade("94");
    h.trade("104");
    reconnected(h);
    not_ready_for_btc(h);
    h.trade("111");
    BOOST_REQUIRE_MESSAGE(
        eventually([&] { return triggered(h, live_alert) && triggered(h, both_alert); }),
        h.daemon->output());
    for (auto id : {live_alert, both_alert}) {
        auto const ev = h.events(id, "triggered");
        BOOST_REQUIRE_EQUAL(ev.size(), 1u);
        BOOST_TEST(!ev[0].at("backfilled").as_bool());
        BOOST_TEST(detection_delay(ev[0]) < 2000);
    }
    BOOST_TEST(!triggered(h, gap_alert));

    h.exchange.send("rest up");
    BOOST_REQUIRE_MESSAGE(eventually([&] { return triggered(h, gap_alert); }, 30s),
                          h.daemon->output());
    BOOST_REQUIRE(eventually([&] {
        return h.call(bhttp::verb::get, "/readyz").result_int() == 200 &&
               h.metric("kryptod_feed_catching_up") == 0;
    }));
    auto const ev = h.events(gap_alert, "triggered");
    BOOST_REQUIRE_EQUAL(ev.size(), 1u);
    BOOST_TEST(ev[0].at("backfilled").as_bool());
    BOOST_TEST(ev[0].at("price").as_string() == "94");
    for (auto id : {live_alert, both_alert, gap_alert})
        BOOST_TEST(h.alert(id).at("trigger_count").as_int64() == 1);
    BOOST_TEST(!triggered(h, never));
    // The replay left the price at the newest trade.
    BOOST_TEST(h.sees_price("111"));
    h.terminate();
}

BOOST_AUTO_TEST_SUITE_END()
