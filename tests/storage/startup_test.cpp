// Tests storage/startup.hpp: a restart rebuilds the armed alerts, coins and
// feed positions that were committed.
#include "storage/alert_store.hpp"
#include "storage/startup.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod;
using namespace kryptod::storage;

BOOST_AUTO_TEST_SUITE(startup)

BOOST_FIXTURE_TEST_CASE(load_startup_reads_the_committed_state, test::store_fixture) {
    core::alert a = make_alert(alice, 100, 10);
    a.id = alert_store::insert(db, a, "ETHUSDT");
    core::alert b = make_alert(bob, 200, 20);
    b.id = alert_store::insert(db, b, "BTCUSDT");
    core::fire(b, test::units(200), 30);
    alert_store::record_fire(db, b, 29, false, {});
    feed_state_store::set(db, {"BTCUSDT", 42, 29, test::units(200)});

    auto reader = open_reader(t.path);
    core::symbol_table symbols;
    std::vector<alert_store::armed_alert> armed;
    auto const s = load_startup(reader, symbols,
                                [&](alert_store::armed_alert const& x) { armed.push_back(x); });
    BOOST_REQUIRE(s.coins.size() == 2u);
    BOOST_TEST(symbols.size() == 2u);
    BOOST_TEST(s.armed == 1u);
    BOOST_REQUIRE(armed.size() == 1u); // b fired once: out of the index
    BOOST_TEST(armed[0].id == a.id);
    BOOST_TEST(symbols.name(armed[0].symbol) == "ETHUSDT");
    BOOST_TEST(armed[0].owner == alice);
    BOOST_TEST(armed[0].target == test::units(100));
    BOOST_TEST((armed[0].channels == (core::channel::email | core::channel::webhook)));
    BOOST_TEST(armed[0].armed_at == 10);
    BOOST_TEST(!armed[0].triggered_at.has_value());
    BOOST_REQUIRE(s.feed.size() == 1u);
    BOOST_TEST(s.feed[0].last_trade_id == 42);
    BOOST_TEST(s.summary().find("loaded 1 armed alerts, 2 coins, 1 feed positions in") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
