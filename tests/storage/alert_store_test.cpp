// Tests storage/alert_store.hpp: alert rows round-trip every field, lists page
// and filter newest first, ownership hides other users' alerts, and a fire is
// one unit with its event and outbox rows.
#include "storage/alert_store.hpp"
#include "storage/outbox_store.hpp"
#include "storage/result.hpp"
#include "store_fixture.hpp"

#include <SQLiteCpp/Exception.h>
#include <boost/test/unit_test.hpp>

using namespace kryptod;
using namespace kryptod::storage;
using test::units;

BOOST_AUTO_TEST_SUITE(alert_store)

BOOST_FIXTURE_TEST_CASE(insert_round_trips_every_field_and_records_created, test::store_fixture) {
    core::alert a = make_alert(alice, 65000, 5000, core::direction::below);
    a.repeat = core::repeat_mode::every;
    a.cooldown_seconds = 120;
    a.expires_at = 99000;
    a.target = core::price::from_units(6500000000001); // 65000.00000001: exact
    core::alert_id const id = storage::alert_store::insert(db, a, "BTCUSDT");
    BOOST_TEST(id > 0);

    auto const got = storage::alert_store::get(db, id, alice);
    BOOST_REQUIRE(got.has_value());
    core::alert const& g = got->alert;
    BOOST_TEST(got->symbol == "BTCUSDT");
    BOOST_TEST(g.id == id);
    BOOST_TEST(g.owner == alice);
    BOOST_TEST(g.target.units() == 6500000000001);
    BOOST_TEST((g.side == core::direction::below));
    BOOST_TEST(g.name == "watch 65000");
    BOOST_TEST((g.repeat == core::repeat_mode::every));
    BOOST_TEST(g.cooldown_seconds == 120);
    BOOST_TEST(g.expires_at.value_or(0) == 99000);
    BOOST_TEST((g.channels == (core::channel::email | core::channel::webhook)));
    BOOST_TEST((g.status == core::alert_status::active));
    BOOST_TEST(g.created_at == 5000);
    BOOST_TEST(got->armed_at == 5000);
    BOOST_TEST(!g.triggered_at.has_value());
    BOOST_TEST(g.trigger_count == 0);

    auto const events = storage::alert_store::list_events(db, id, {});
    BOOST_REQUIRE(events.total == 1);
    BOOST_TEST((events.items[0].type == storage::alert_store::event_type::created));
    BOOST_TEST(events.items[0].time == 5000);
}

BOOST_FIXTURE_TEST_CASE(another_users_alert_is_not_found, test::store_fixture) {
    auto const id = storage::alert_store::insert(db, make_alert(alice, 100, 1), "BTCUSDT");
    BOOST_TEST(!storage::alert_store::get(db, id, bob).has_value());
    core::alert stolen = make_alert(bob, 1, 2);
    stolen.id = id;
    BOOST_CHECK_THROW(
        storage::alert_store::update(db, stolen, storage::alert_store::event_type::updated),
        not_found_error);
    BOOST_TEST(storage::alert_store::get(db, id, alice)->alert.target == units(100));
}

BOOST_FIXTURE_TEST_CASE(an_unknown_owner_is_a_constraint_error, test::store_fixture) {
    auto const r =
        attempt([&] { return storage::alert_store::insert(db, make_alert(999, 1, 1), "BTCUSDT"); });
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.err().code == errc::constraint));
}

BOOST_FIXTURE_TEST_CASE(update_writes_fields_and_history_and_rearms, test::store_fixture) {
    core::alert a = make_alert(alice, 100, 1000);
    a.id = storage::alert_store::insert(db, a, "ETHUSDT");
    BOOST_TEST((core::disable(a, 2000) == core::transition::applied));
    storage::alert_store::update(db, a, storage::alert_store::event_type::disabled);
    BOOST_TEST(storage::alert_store::get(db, a.id, alice)->armed_at == 1000);

    BOOST_TEST((core::arm(a, 3000) == core::transition::applied));
    a.target = units(150);
    a.name.clear();
    storage::alert_store::update(db, a, storage::alert_store::event_type::armed);

    auto const got = storage::alert_store::get(db, a.id, alice);
    BOOST_TEST((got->alert.status == core::alert_status::active));
    BOOST_TEST(got->alert.target == units(150));
    BOOST_TEST(got->alert.name.empty());
    BOOST_TEST(got->alert.updated_at == 3000);
    BOOST_TEST(got->armed_at == 3000); // re-armed: older trades must not fire it

    auto const events = storage::alert_store::list_events(db, a.id, {});
    BOOST_REQUIRE(events.items.size() == 3u);
    BOOST_TEST((events.items[0].type == storage::alert_store::event_type::armed));
    BOOST_TEST((events.items[1].type == storage::alert_store::event_type::disabled));
    BOOST_TEST((events.items[2].type == storage::alert_store::event_type::created));
}

BOOST_FIXTURE_TEST_CASE(list_filters_pages_newest_first_and_hides_deleted, test::store_fixture) {
    std::vector<core::alert_id> ids;
    for (int i = 0; i < 12; ++i) {
        core::alert a = make_alert(alice, 100 + i, 1000 + i);
        a.id = storage::alert_store::insert(db, a, i % 3 == 0 ? "ETHUSDT" : "BTCUSDT");
        ids.push_back(a.id);
        if (i == 4) {
            core::remove(a, 5000);
            storage::alert_store::update(db, a, storage::alert_store::event_type::deleted);
        }
        if (i == 5) {
            core::disable(a, 5000);
            storage::alert_store::update(db, a, storage::alert_store::event_type::disabled);
        }
    }
    storage::alert_store::insert(db, make_alert(bob, 1, 1), "BTCUSDT");

    storage::alert_store::alert_query q;
    q.owner = alice;
    q.paging = {5, 0};
    auto const first = storage::alert_store::list(db, q);
    BOOST_TEST(first.total == 11); // the deleted one is hidden
    BOOST_REQUIRE(first.items.size() == 5u);
    BOOST_TEST(first.items[0].alert.id == ids[11]);
    BOOST_TEST(first.items[4].alert.id == ids[7]);
    q.paging = {5, 10};
    auto const last = storage::alert_store::list(db, q);
    BOOST_REQUIRE(last.items.size() == 1u);
    BOOST_TEST(last.items[0].alert.id == ids[0]);

    q.paging = {100, 0};
    q.status = core::alert_status::deleted;
    auto const deleted = storage::alert_store::list(db, q);
    BOOST_REQUIRE(deleted.total == 1);
    BOOST_TEST(deleted.items[0].alert.id == ids[4]);

    q.status = core::alert_status::active;
    q.symbol = "ETHUSDT";
    auto const eth = storage::alert_store::list(db, q);
    BOOST_TEST(eth.total == 4); // i = 0, 3, 6, 9
    for (auto const& s : eth.items)
        BOOST_TEST(s.symbol == "ETHUSDT");

    BOOST_TEST(storage::alert_store::count_active(db, alice) == 10);
    BOOST_TEST(storage::alert_store::count_active(db, bob) == 1);
}

BOOST_FIXTURE_TEST_CASE(for_each_armed_gives_active_alerts_with_interned_symbols,
                        test::store_fixture) {
    core::alert a = make_alert(alice, 10, 1);
    a.id = storage::alert_store::insert(db, a, "BTCUSDT");
    core::alert b = make_alert(bob, 20, 2);
    b.id = storage::alert_store::insert(db, b, "ETHUSDT");
    core::alert c = make_alert(bob, 30, 3);
    c.id = storage::alert_store::insert(db, c, "ETHUSDT");
    core::disable(c, 4);
    storage::alert_store::update(db, c, storage::alert_store::event_type::disabled);

    core::symbol_table symbols;
    symbols.intern("ETHUSDT"); // ids already in use keep theirs
    std::vector<storage::alert_store::armed_alert> lean;
    BOOST_TEST(storage::alert_store::for_each_armed(
                   db, symbols, [&](auto const& x) { lean.push_back(x); }) == 2u);
    BOOST_REQUIRE(lean.size() == 2u);
    BOOST_TEST(lean[0].id == a.id);
    BOOST_TEST(symbols.name(lean[0].symbol) == "BTCUSDT");
    BOOST_TEST(lean[1].id == b.id);
    BOOST_TEST(lean[1].symbol == 0u);
    BOOST_TEST(lean[1].armed_at == 2);
    BOOST_TEST(lean[1].target == units(20));
    BOOST_TEST((lean[1].side == core::direction::above));
}

BOOST_FIXTURE_TEST_CASE(a_fire_commits_alert_event_and_outbox_together, test::store_fixture) {
    core::alert a = make_alert(alice, 100, 1000);
    a.id = storage::alert_store::insert(db, a, "BTCUSDT");
    BOOST_TEST((core::fire(a, units(101), 7000) == core::transition::applied));
    std::vector<storage::alert_store::notification> const notes{
        {core::channel::email, "{\"m\":1}"}, {core::channel::webhook, "{\"w\":1}"}};
    auto const fired = storage::alert_store::record_fire(db, a, 6990, true, notes);
    BOOST_REQUIRE(fired.has_value());
    BOOST_TEST(fired->outbox_ids.size() == 2u);

    auto const got = storage::alert_store::get(db, a.id, alice)->alert;
    BOOST_TEST((got.status == core::alert_status::triggered));
    BOOST_TEST(got.triggered_at.value_or(0) == 7000);
    BOOST_TEST((got.trigger_price == units(101)));
    BOOST_TEST(got.trigger_count == 1);

    auto const ev = storage::alert_store::list_events(db, a.id, {}).items.at(0);
    BOOST_TEST(ev.id == fired->event_id);
    BOOST_TEST((ev.type == storage::alert_store::event_type::triggered));
    BOOST_TEST((ev.price == units(101)));
    BOOST_TEST(ev.exchange_time.value_or(0) == 6990);
    BOOST_TEST(ev.detected_at.value_or(0) == 7000);
    BOOST_TEST(ev.backfilled.value_or(false));

    auto const mail = outbox_store::get(db, fired->outbox_ids[0]);
    BOOST_REQUIRE(mail.has_value());
    BOOST_TEST((mail->channel == core::channel::email));
    BOOST_TEST(mail->payload == "{\"m\":1}");
    BOOST_TEST(mail->user == alice);
    BOOST_TEST(mail->alert.value_or(0) == a.id);
    BOOST_TEST(mail->delivery_id == "kryptod-" + std::to_string(a.id) + "-" +
                                        std::to_string(fired->event_id) + "-email");
    BOOST_TEST((mail->state == outbox_store::delivery_state::pending));
    BOOST_TEST(mail->next_attempt_at == 7000);
}

BOOST_FIXTURE_TEST_CASE(a_fire_that_fails_midway_writes_nothing, test::store_fixture) {
    core::alert a = make_alert(alice, 100, 1000);
    a.id = storage::alert_store::insert(db, a, "BTCUSDT");
    core::fire(a, units(100), 7000);
    // The second notification has no single channel: the unit must vanish.
    std::vector<storage::alert_store::notification> const notes{{core::channel::email, "x"},
                                                                {core::channel::none, "y"}};
    BOOST_CHECK_THROW(storage::alert_store::record_fire(db, a, 6990, false, notes),
                      std::invalid_argument);
    auto const got = storage::alert_store::get(db, a.id, alice)->alert;
    BOOST_TEST((got.status == core::alert_status::active));
    BOOST_TEST(got.trigger_count == 0);
    BOOST_TEST(storage::alert_store::list_events(db, a.id, {}).total == 1);
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM outbox").getInt() == 0);
}

BOOST_FIXTURE_TEST_CASE(a_fire_on_an_alert_disabled_meanwhile_is_not_recorded,
                        test::store_fixture) {
    core::alert a = make_alert(alice, 100, 1000);
    a.id = storage::alert_store::insert(db, a, "BTCUSDT");
    core::alert stored = a;
    core::disable(stored, 1500);
    storage::alert_store::update(db, stored, storage::alert_store::event_type::disabled);
    core::fire(a, units(100), 2000); // the evaluator's copy was still armed
    BOOST_TEST(
        !storage::alert_store::record_fire(db, a, 1999, false, {{core::channel::email, "x"}}));
    BOOST_TEST(
        (storage::alert_store::get(db, a.id, alice)->alert.status == core::alert_status::disabled));
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM outbox").getInt() == 0);
}

BOOST_FIXTURE_TEST_CASE(repeat_every_fires_stay_active_and_count, test::store_fixture) {
    core::alert a = make_alert(alice, 100, 1000);
    a.repeat = core::repeat_mode::every;
    a.id = storage::alert_store::insert(db, a, "BTCUSDT");
    for (int i = 1; i <= 3; ++i) {
        core::fire(a, units(100 + i), 1000 + i * 100000);
        BOOST_TEST(storage::alert_store::record_fire(db, a, 1000 + i * 100000, false,
                                                     {{core::channel::email, "x"}})
                       .has_value());
    }
    auto const got = storage::alert_store::get(db, a.id, alice)->alert;
    BOOST_TEST((got.status == core::alert_status::active));
    BOOST_TEST(got.trigger_count == 3);
    BOOST_TEST((got.trigger_price == units(103)));
    BOOST_TEST(db.execAndGet("SELECT count(DISTINCT delivery_id) FROM outbox").getInt() == 3);
}

BOOST_FIXTURE_TEST_CASE(notified_events_keep_channel_attempt_and_outcome, test::store_fixture) {
    auto const id = storage::alert_store::insert(db, make_alert(alice, 100, 1000), "BTCUSDT");
    storage::alert_store::event_record e;
    e.alert = id;
    e.type = storage::alert_store::event_type::notified;
    e.time = 2000;
    e.channel = core::channel::webhook;
    e.attempt = 2;
    e.outcome = "delivered";
    storage::alert_store::add_event(db, e);
    auto const got = storage::alert_store::list_events(db, id, {1, 0});
    BOOST_TEST(got.total == 2);
    BOOST_REQUIRE(got.items.size() == 1u);
    BOOST_TEST((got.items[0].channel == core::channel::webhook));
    BOOST_TEST(got.items[0].attempt.value_or(0) == 2);
    BOOST_TEST(got.items[0].outcome.value_or("") == "delivered");

    storage::alert_store::event_record bad;
    bad.alert = id;
    bad.type = storage::alert_store::event_type::triggered; // without its price: refused
    bad.time = 1;
    BOOST_CHECK_THROW(storage::alert_store::add_event(db, bad), SQLite::Exception);
}

// The totals of a list and the per-user active count come from counts that
// triggers keep; after every kind of change they must equal a plain count.
BOOST_FIXTURE_TEST_CASE(list_totals_and_active_count_follow_every_change, test::store_fixture) {
    std::vector<core::alert> alerts;
    for (int i = 0; i < 30; ++i) {
        core::alert a = make_alert(i % 4 == 3 ? bob : alice, 100 + i, 1000 + i);
        a.id = storage::alert_store::insert(db, a, i % 3 == 0 ? "ETHUSDT" : "BTCUSDT");
        alerts.push_back(a);
    }
    for (int i = 0; i < 30; ++i) {
        core::alert& a = alerts[static_cast<std::size_t>(i)];
        if (i % 5 == 0) {
            core::remove(a, 5000);
            storage::alert_store::update(db, a, storage::alert_store::event_type::deleted);
        } else if (i % 5 == 1) {
            core::disable(a, 5000);
            storage::alert_store::update(db, a, storage::alert_store::event_type::disabled);
        } else if (i % 5 == 2) {
            core::fire(a, units(1000), 6000);
            BOOST_REQUIRE(storage::alert_store::record_fire(db, a, 5990, false, {}).has_value());
        } else if (i % 10 == 3) {
            a.name = "renamed"; // an update that keeps the status
            a.updated_at = 5500;
            storage::alert_store::update(db, a, storage::alert_store::event_type::updated);
        }
    }
    // A triggered alert re-armed, a disabled one too.
    for (int i : {2, 6}) {
        core::alert& a = alerts[static_cast<std::size_t>(i)];
        BOOST_REQUIRE((core::arm(a, 7000) == core::transition::applied));
        storage::alert_store::update(db, a, storage::alert_store::event_type::armed);
    }

    auto counted = [&](core::user_id owner, std::optional<core::alert_status> status,
                       std::optional<std::string> symbol) {
        SQLite::Statement st(db, "SELECT count(*) FROM alerts WHERE user_id = ?1 AND "
                                 "(?2 IS NULL AND status <> 'deleted' OR status = ?2) AND "
                                 "(?3 IS NULL OR symbol = ?3)");
        st.bind(1, static_cast<int64_t>(owner));
        if (status) st.bind(2, std::string(core::to_string(*status)));
        if (symbol) st.bind(3, *symbol);
        st.executeStep();
        return st.getColumn(0).getInt64();
    };
    std::vector<std::optional<core::alert_status>> const statuses{std::nullopt,
                                                                  core::alert_status::active,
                                                                  core::alert_status::triggered,
                                                                  core::alert_status::disabled,
                                                                  core::alert_status::deleted,
                                                                  core::alert_status::expired};
    std::vector<std::optional<std::string>> const symbols{std::nullopt, "BTCUSDT", "ETHUSDT",
                                                          "SOLUSDT"};
    for (auto owner : {alice, bob})
        for (auto const& status : statuses)
            for (auto const& symbol : symbols) {
                storage::alert_store::alert_query q;
                q.owner = owner;
                q.status = status;
                q.symbol = symbol;
                q.paging = {1000, 0};
                auto const page = storage::alert_store::list(db, q);
                auto const want = counted(owner, status, symbol);
                BOOST_TEST(page.total == want, "owner " << owner << " status "
                                                        << (status ? core::to_string(*status) : "-")
                                                        << " symbol " << symbol.value_or("-"));
                BOOST_TEST(static_cast<std::int64_t>(page.items.size()) == want);
            }
    BOOST_TEST(storage::alert_store::count_active(db, alice) ==
               counted(alice, core::alert_status::active, std::nullopt));
    BOOST_TEST(storage::alert_store::count_active(db, bob) ==
               counted(bob, core::alert_status::active, std::nullopt));
    BOOST_TEST(storage::alert_store::count_active(db, alice) > 0);
}

BOOST_FIXTURE_TEST_CASE(a_page_past_the_end_is_empty_with_the_total, test::store_fixture) {
    for (int i = 0; i < 3; ++i)
        storage::alert_store::insert(db, make_alert(alice, 100 + i, 1000 + i), "BTCUSDT");
    storage::alert_store::alert_query q;
    q.owner = alice;
    q.paging = {10, 3};
    auto const page = storage::alert_store::list(db, q);
    BOOST_TEST(page.total == 3);
    BOOST_TEST(page.items.empty());
    q.paging = {2, 2};
    BOOST_TEST(storage::alert_store::list(db, q).items.size() == 1u);
}

BOOST_AUTO_TEST_CASE(event_type_names_round_trip) {
    for (auto t :
         {storage::alert_store::event_type::created, storage::alert_store::event_type::triggered,
          storage::alert_store::event_type::deleted})
        BOOST_TEST((
            storage::alert_store::event_type_from_string(storage::alert_store::to_string(t)) == t));
    BOOST_TEST(!storage::alert_store::event_type_from_string("Triggered").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
