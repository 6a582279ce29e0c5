// Tests of move alerts in storage (SPEC §8): a move alert's row round-trips
// its kind, percent, window and direction through every reader (get, list,
// for_each_armed, the startup load), a list filters by kind, a move fire's
// event keeps its reference, the samples that rebuild a window read oldest
// first, and the migration turns existing alerts into price alerts.
#include "storage/alert_store.hpp"
#include "storage/database.hpp"
#include "storage/sample_store.hpp"
#include "storage/startup.hpp"
#include "store_fixture.hpp"

#include <SQLiteCpp/Exception.h>
#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace kryptod;
using namespace kryptod::storage;
using test::units;

namespace {

core::alert make_move(core::user_id owner, std::int64_t percent, std::int64_t window,
                      core::move_direction side, core::millis now) {
    core::alert a;
    a.owner = owner;
    a.kind = core::alert_kind::move;
    a.move_percent = percent;
    a.window_seconds = window;
    a.move_side = side;
    a.name = "pump";
    core::create(a, now);
    return a;
}

} // namespace

BOOST_AUTO_TEST_SUITE(move_alert_store)

BOOST_FIXTURE_TEST_CASE(a_move_alert_round_trips_and_lists_by_kind, test::store_fixture) {
    core::alert price = make_alert(alice, 100, 1000);
    price.id = alert_store::insert(db, price, "BTCUSDT");
    core::alert move = make_move(alice, 525, 900, core::move_direction::down, 2000);
    move.id = alert_store::insert(db, move, "ETHUSDT");

    auto const got = alert_store::get(db, move.id, alice);
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST((got->alert.kind == core::alert_kind::move));
    BOOST_TEST(got->alert.move_percent == 525);
    BOOST_TEST(got->alert.window_seconds == 900);
    BOOST_TEST((got->alert.move_side == core::move_direction::down));
    BOOST_TEST(got->alert.target.units() == 0); // a move alert has no target
    BOOST_TEST((alert_store::get(db, price.id, alice)->alert.kind == core::alert_kind::price));

    alert_store::alert_query q;
    q.owner = alice;
    BOOST_TEST(alert_store::list(db, q).total == 2);
    q.kind = core::alert_kind::move;
    auto const moves = alert_store::list(db, q);
    BOOST_TEST(moves.total == 1);
    BOOST_REQUIRE(moves.items.size() == 1u);
    BOOST_TEST(moves.items[0].alert.id == move.id);
    q.kind = core::alert_kind::price;
    q.status = core::alert_status::active;
    q.symbol = "BTCUSDT";
    auto const prices = alert_store::list(db, q);
    BOOST_TEST(prices.total == 1);
    BOOST_REQUIRE(prices.items.size() == 1u);
    BOOST_TEST(prices.items[0].alert.id == price.id);

    // A change of the move's terms is stored.
    core::alert changed = got->alert;
    changed.move_percent = 1000;
    changed.window_seconds = 3600;
    changed.move_side = core::move_direction::up;
    changed.updated_at = 3000;
    alert_store::update(db, changed, alert_store::event_type::updated);
    auto const again = alert_store::get(db, move.id, alice)->alert;
    BOOST_TEST(again.move_percent == 1000);
    BOOST_TEST(again.window_seconds == 3600);
    BOOST_TEST((again.move_side == core::move_direction::up));
}

BOOST_FIXTURE_TEST_CASE(the_startup_load_hands_over_move_terms, test::store_fixture) {
    core::alert price = make_alert(alice, 100, 1000);
    price.id = alert_store::insert(db, price, "BTCUSDT");
    core::alert move = make_move(bob, 100000, 86400, core::move_direction::up, 2000);
    move.id = alert_store::insert(db, move, "BTCUSDT");

    core::symbol_table symbols;
    std::vector<alert_store::armed_alert> armed;
    auto const state =
        load_startup(db, symbols, [&](alert_store::armed_alert const& a) { armed.push_back(a); });
    BOOST_TEST(state.armed == 2u);
    BOOST_REQUIRE(armed.size() == 2u);
    // A coin's price alerts come first, then its move alerts.
    BOOST_TEST(armed[0].id == price.id);
    BOOST_TEST((armed[0].kind == core::alert_kind::price));
    BOOST_TEST(armed[0].target == units(100));
    BOOST_TEST(armed[1].id == move.id);
    BOOST_TEST((armed[1].kind == core::alert_kind::move));
    BOOST_TEST(armed[1].move_percent == 100000);
    BOOST_TEST(armed[1].window_seconds == 86400);
    BOOST_TEST((armed[1].move_side == core::move_direction::up));
    BOOST_TEST(armed[1].owner == bob);
    BOOST_TEST(armed[1].armed_at == 2000);
}

BOOST_FIXTURE_TEST_CASE(a_move_fire_keeps_its_reference, test::store_fixture) {
    core::alert move = make_move(alice, 500, 60, core::move_direction::up, 1000);
    move.id = alert_store::insert(db, move, "BTCUSDT");
    BOOST_TEST((core::fire(move, units(105), 7000) == core::transition::applied));
    auto const fired = alert_store::record_fire(db, move, 6990, false, {},
                                                alert_store::move_reference{units(100), 6500});
    BOOST_REQUIRE(fired.has_value());
    auto const ev = alert_store::list_events(db, move.id, {}).items.at(0);
    BOOST_TEST((ev.type == alert_store::event_type::triggered));
    BOOST_TEST((ev.price == units(105)));
    BOOST_TEST((ev.reference_price == units(100)));
    BOOST_TEST(ev.reference_time.value_or(0) == 6500);
    // A price alert's fire has none.
    core::alert price = make_alert(alice, 100, 1000);
    price.id = alert_store::insert(db, price, "BTCUSDT");
    core::fire(price, units(101), 7000);
    alert_store::record_fire(db, price, 6990, false, {});
    auto const plain = alert_store::list_events(db, price.id, {}).items.at(0);
    BOOST_TEST(!plain.reference_price.has_value());
    BOOST_TEST(!plain.reference_time.has_value());
}

BOOST_FIXTURE_TEST_CASE(the_schema_refuses_a_half_move_row, test::store_fixture) {
    core::alert move = make_move(alice, 500, 60, core::move_direction::up, 1000);
    move.id = alert_store::insert(db, move, "BTCUSDT");
    BOOST_CHECK_THROW(
        db.exec("UPDATE alerts SET window_seconds = NULL WHERE id = " + std::to_string(move.id)),
        SQLite::Exception);
    BOOST_CHECK_THROW(
        db.exec("UPDATE alerts SET move_percent = 0 WHERE id = " + std::to_string(move.id)),
        SQLite::Exception);
    core::alert price = make_alert(alice, 100, 1000);
    price.id = alert_store::insert(db, price, "BTCUSDT");
    BOOST_CHECK_THROW(
        db.exec("UPDATE alerts SET move_percent = 500 WHERE id = " + std::to_string(price.id)),
        SQLite::Exception);
}

BOOST_FIXTURE_TEST_CASE(samples_read_oldest_first_within_the_range, test::store_fixture) {
    for (core::millis minute : {180000, 60000, 120000, 240000})
        sample_store::upsert(db, {"BTCUSDT", minute, units(10), units(12), units(9), units(11)});
    sample_store::upsert(db, {"ETHUSDT", 120000, units(1), units(1), units(1), units(1)});
    auto const got = sample_store::oldest_first(db, "BTCUSDT", 60000, 240000);
    BOOST_REQUIRE(got.size() == 3u);
    BOOST_TEST(got[0].minute == 60000);
    BOOST_TEST(got[1].minute == 120000);
    BOOST_TEST(got[2].minute == 180000);
    BOOST_TEST(got[2].high == units(12));
    BOOST_TEST(got[2].low == units(9));
}

BOOST_AUTO_TEST_CASE(the_migration_keeps_existing_alerts_as_price_alerts) {
    test::temp_dir dir;
    auto const path = dir.path / "old.db";
    auto const all = migrations();
    auto const move_step = std::find_if(all.begin(), all.end(), [](std::string_view m) {
        return m.find("ADD COLUMN kind") != std::string_view::npos;
    });
    BOOST_REQUIRE(move_step != all.end());
    {
        SQLite::Database old(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        migrate(old, static_cast<int>(move_step - all.begin()));
        old.exec("INSERT INTO users (email, password_hash, created_at, updated_at) "
                 "VALUES ('old@example.com', 'x', 1, 1)");
        old.exec("INSERT INTO alerts (user_id, symbol, target_price, direction, created_at, "
                 "updated_at, armed_at) VALUES (1, 'BTCUSDT', 100, 'below', 1, 1, 1)");
    }
    auto db = open_database(path);
    auto const got = alert_store::get(db, 1, 1);
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST((got->alert.kind == core::alert_kind::price));
    BOOST_TEST(got->alert.target.units() == 100);
    BOOST_TEST((got->alert.side == core::direction::below));
    BOOST_TEST(got->alert.move_percent == 0);
}

BOOST_AUTO_TEST_SUITE_END()
