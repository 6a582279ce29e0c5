// Tests storage/coin_store.hpp: the coin list, and refusal to remove a coin
// that active alerts use.
#include "storage/alert_store.hpp"
#include "storage/coin_store.hpp"
#include "store_fixture.hpp"

#include <SQLiteCpp/Exception.h>
#include <boost/test/unit_test.hpp>

using namespace kryptod;
using namespace kryptod::storage;
namespace coins = kryptod::storage::coin_store;

BOOST_AUTO_TEST_SUITE(coin_store)

BOOST_FIXTURE_TEST_CASE(add_is_idempotent_and_list_is_sorted, test::store_fixture) {
    BOOST_TEST(coins::add(db, "BNBUSDT", 5));
    BOOST_TEST(!coins::add(db, "BNBUSDT", 6));
    auto const all = coins::list(db);
    BOOST_REQUIRE(all.size() == 3u);
    BOOST_TEST(all[0].symbol == "BNBUSDT");
    BOOST_TEST(all[0].added_at == 5);
    BOOST_TEST(all[1].symbol == "BTCUSDT");
    BOOST_TEST(all[2].symbol == "ETHUSDT");
    BOOST_CHECK_THROW(coins::add(db, "btcusdt", 1), SQLite::Exception); // not canonical
}

BOOST_FIXTURE_TEST_CASE(remove_is_refused_while_active_alerts_use_the_coin, test::store_fixture) {
    core::alert a = make_alert(alice, 100, 1);
    a.id = alert_store::insert(db, a, "ETHUSDT");
    BOOST_TEST((coins::remove(db, "ETHUSDT") == coins::remove_outcome::in_use));
    core::disable(a, 2);
    alert_store::update(db, a, alert_store::event_type::disabled);
    BOOST_TEST((coins::remove(db, "ETHUSDT") == coins::remove_outcome::removed));
    BOOST_TEST((coins::remove(db, "ETHUSDT") == coins::remove_outcome::not_found));
    BOOST_TEST(coins::list(db).size() == 1u);
    BOOST_TEST(alert_store::get(db, a.id, alice)->symbol == "ETHUSDT"); // history kept
}

BOOST_AUTO_TEST_SUITE_END()
