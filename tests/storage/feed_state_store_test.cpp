// Tests storage/feed_state_store.hpp: the per-coin feed position survives and
// never moves backwards.
#include "storage/feed_state_store.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod;
using namespace kryptod::storage;
namespace feed = kryptod::storage::feed_state_store;

BOOST_AUTO_TEST_SUITE(feed_state_store)

BOOST_FIXTURE_TEST_CASE(positions_move_forward_only, test::store_fixture) {
    BOOST_TEST(!feed::get(db, "BTCUSDT").has_value());
    feed::set(db, {"BTCUSDT", 100, 5000, test::units(65000)});
    feed::set(db, {"ETHUSDT", 7, 5100, test::units(3000)});
    feed::set(db, {"BTCUSDT", 99, 4900, test::units(1)}); // older: ignored
    auto btc = feed::get(db, "BTCUSDT");
    BOOST_REQUIRE(btc.has_value());
    BOOST_TEST(btc->last_trade_id == 100);
    BOOST_TEST(btc->last_trade_time == 5000);
    BOOST_TEST(btc->last_price == test::units(65000));
    feed::set(db, {"BTCUSDT", 101, 5001, test::units(65001)});
    BOOST_TEST(feed::get(db, "BTCUSDT")->last_trade_id == 101);
    auto const all = feed::load_all(db);
    BOOST_REQUIRE(all.size() == 2u);
    BOOST_TEST(all[0].symbol == "BTCUSDT");
    BOOST_TEST(all[1].last_price == test::units(3000));
}

BOOST_AUTO_TEST_SUITE_END()
