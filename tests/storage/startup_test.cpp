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

// The alerts come in the index's order (coin, side, `above` targets
// descending and `below` ascending, then id), not in id order, with every
// field as stored.
BOOST_FIXTURE_TEST_CASE(armed_alerts_come_in_index_order, test::store_fixture) {
    using core::direction;
    struct spec {
        char const* symbol;
        std::int64_t target;
        direction side;
    };
    // Inserted in this (id) order.
    std::vector<spec> const specs{
        {"ETHUSDT", 300, direction::above}, {"BTCUSDT", 100, direction::below},
        {"BTCUSDT", 500, direction::above}, {"BTCUSDT", 700, direction::above},
        {"BTCUSDT", 50, direction::below},  {"BTCUSDT", 500, direction::above},
    };
    std::vector<core::alert_id> ids;
    for (auto const& sp : specs) {
        core::alert a = make_alert(alice, sp.target, 10, sp.side);
        if (ids.size() == 3) {
            a.repeat = core::repeat_mode::every;
            a.cooldown_seconds = 120;
            a.expires_at = 9'000'000'000'000;
        }
        ids.push_back(alert_store::insert(db, a, sp.symbol));
    }
    BOOST_TEST(count_armed(db) == specs.size());

    auto reader = open_reader(t.path);
    core::symbol_table symbols; // BTCUSDT is interned first: the coins come by symbol
    std::vector<alert_store::armed_alert> armed;
    load_startup(reader, symbols, [&](alert_store::armed_alert const& x) { armed.push_back(x); });
    std::vector<core::alert_id> order;
    for (auto const& x : armed)
        order.push_back(x.id);
    // BTCUSDT above: 700, then 500 (ids 2 then 5); below: 50, 100; then
    // ETHUSDT.
    BOOST_TEST(order ==
                   (std::vector<core::alert_id>{ids[3], ids[2], ids[5], ids[4], ids[1], ids[0]}),
               boost::test_tools::per_element());
    auto const& every = armed[0];
    BOOST_TEST(every.id == ids[3]);
    BOOST_TEST(symbols.name(every.symbol) == "BTCUSDT");
    BOOST_TEST(every.target == test::units(700));
    BOOST_TEST((every.side == direction::above));
    BOOST_TEST((every.repeat == core::repeat_mode::every));
    BOOST_TEST(every.cooldown_seconds == 120);
    BOOST_TEST(every.expires_at.value_or(0) == 9'000'000'000'000);
    BOOST_TEST(every.owner == alice);
    BOOST_TEST(every.armed_at == 10);
    BOOST_TEST(!every.triggered_at.has_value());
    BOOST_TEST(!every.last_fire.has_value());
    BOOST_TEST(!armed[1].expires_at.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
