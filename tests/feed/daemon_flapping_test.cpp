// Whole-daemon test of a flapping exchange (SPEC §4): the test exchange cuts
// the real kryptod's websocket every 3 s, ten times, while the price crosses
// a new alert target every cycle. Each connection subscribed and carried
// trades, so none of the cuts may grow the reconnect backoff: every crossing
// fires within 5 s of its trade (with a backoff that never reset, the fifth
// cut already waits 8 to 16 s), and fires once.
#include "core/rfc3339.hpp"
#include "tests/support/daemon_harness.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::test;

BOOST_AUTO_TEST_SUITE(daemon_flapping)

BOOST_AUTO_TEST_CASE(a_feed_cut_every_3_s_fires_every_crossing_within_5_s) {
    daemon_harness h;
    h.start();
    h.trade("100");
    BOOST_REQUIRE(h.sees_price("100"));
    std::vector<std::int64_t> alerts;
    for (int cycle = 1; cycle <= 10; ++cycle) {
        auto const target = std::to_string(100 + cycle);
        alerts.push_back(h.create_alert(R"({"symbol":"BTCUSDT","target_price":")" + target +
                                        R"(","direction":"above"})"));
        // The exchange's own rhythm, not a wait for the daemon: 2 s into
        // the cycle the price crosses the target, 1 s later the cut.
        std::this_thread::sleep_for(2000ms);
        h.trade(target);
        std::this_thread::sleep_for(1000ms);
        h.exchange.send("cut");
    }
    BOOST_REQUIRE_MESSAGE(eventually(
                              [&] {
                                  for (auto id : alerts)
                                      if (h.alert(id).at("status").as_string() != "triggered")
                                          return false;
                                  return true;
                              },
                              30s),
                          h.daemon->output());
    for (auto id : alerts) {
        BOOST_TEST_CONTEXT("alert " << id) {
            auto const ev = h.events(id, "triggered");
            BOOST_REQUIRE_EQUAL(ev.size(), 1u);
            auto const exchange =
                kryptod::core::parse_rfc3339(ev[0].at("exchange_time").as_string());
            auto const detected = kryptod::core::parse_rfc3339(ev[0].at("detected_at").as_string());
            BOOST_REQUIRE(exchange && detected);
            BOOST_TEST(*detected - *exchange <= 5000);
        }
    }
    BOOST_TEST(h.metric("kryptod_feed_reconnects_total") >= 10);
    h.terminate();
}

BOOST_AUTO_TEST_SUITE_END()
