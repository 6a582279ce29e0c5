// Tests of core/last_prices.hpp: newest price per coin, never overwritten by
// an older replayed trade.
#include "core/last_prices.hpp"

#include <boost/test/unit_test.hpp>

namespace core = kryptod::core;
using core::price;

BOOST_AUTO_TEST_SUITE(last_prices)

BOOST_AUTO_TEST_CASE(unknown_coin_has_no_price) {
    core::last_prices prices;
    BOOST_TEST(!prices.get(0));
    BOOST_TEST(!prices.price_of(7));
}

BOOST_AUTO_TEST_CASE(keeps_the_newest_trade) {
    core::last_prices prices;
    BOOST_TEST(prices.record(3, price::from_units(100), 1000));
    BOOST_TEST(prices.record(3, price::from_units(101), 1000)); // same ms: later wins
    BOOST_TEST(!prices.record(3, price::from_units(50), 999));  // older replay ignored
    auto const e = prices.get(3);
    BOOST_REQUIRE(e);
    BOOST_TEST(e->last.units() == 101);
    BOOST_TEST(e->time == 1000);
    BOOST_TEST(!prices.get(2)); // coins below a recorded one stay unknown
    BOOST_TEST(prices.record(3, price::from_units(102), 2000));
    BOOST_TEST(prices.price_of(3)->units() == 102);
}

BOOST_AUTO_TEST_SUITE_END()
