// Tests daemon/fire_recorder.hpp against a migrated database, no socket: a
// fire leaves the alert's new state, its `triggered` event and one outbox
// row per channel with the notice payload; notifications past the hourly cap
// become `suppressed` events; a fire of an alert no longer armed, or unknown,
// writes nothing.
#include "daemon/fire_recorder.hpp"
#include "daemon/notify/notice.hpp"
#include "storage/alert_store.hpp"
#include "storage/outbox_store.hpp"
#include "tests/storage/store_fixture.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/test/unit_test.hpp>

#include <vector>

using namespace kryptod;
namespace alerts = kryptod::storage::alert_store;
using alerts::event_type;
using storage::test::units;

namespace {

struct fire_fixture : storage::test::store_fixture {
    fire_fixture() {
        auto u = storage::user_store::get(db, alice).value();
        u.webhook_url = "https://hooks.example.com/alice";
        storage::user_store::update(db, u);
    }

    core::alert stored_alert(core::user_id owner, core::channel channels) {
        core::alert a = make_alert(owner, 100, 1000);
        a.channels = channels;
        a.id = alerts::insert(db, a, "BTCUSDT");
        return a;
    }

    static core::fired_alert fire_of(core::alert const& a, core::millis detected_at = 7000) {
        core::fired_alert f;
        f.id = a.id;
        f.at = units(101);
        f.exchange_time = detected_at - 10;
        f.detected_at = detected_at;
        return f;
    }

    std::vector<alerts::event_record> events(core::alert_id id, event_type type) {
        std::vector<alerts::event_record> out;
        for (auto const& e : alerts::list_events(db, id, {}).items)
            if (e.type == type) out.push_back(e);
        return out;
    }

    struct row {
        std::string delivery_id;
        core::channel channel;
        std::string payload;
    };
    std::vector<row> outbox_of(core::alert_id id) {
        SQLite::Statement st(db, "SELECT delivery_id, channel, payload FROM outbox "
                                 "WHERE alert_id = ? ORDER BY id");
        st.bind(1, static_cast<int64_t>(id));
        std::vector<row> out;
        while (st.executeStep())
            out.push_back({st.getColumn(0).getString(),
                           core::channel_from_string(st.getColumn(1).getString()).value(),
                           st.getColumn(2).getString()});
        return out;
    }
};

auto const both = core::channel::email | core::channel::webhook;

} // namespace

BOOST_AUTO_TEST_SUITE(fire_recorder)

BOOST_FIXTURE_TEST_CASE(a_fire_leaves_its_state_event_and_one_outbox_row_per_channel,
                        fire_fixture) {
    auto const a = stored_alert(alice, both);
    auto const r = daemon::fire_recorder(100).record(db, fire_of(a));
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->id == a.id);
    BOOST_TEST(r->owner == alice);
    BOOST_TEST(r->symbol == "BTCUSDT");
    BOOST_TEST(r->notifications == 2u);
    BOOST_TEST(r->suppressed == 0u);

    auto const got = alerts::get(db, a.id, alice)->alert;
    BOOST_TEST((got.status == core::alert_status::triggered));
    BOOST_TEST(got.trigger_count == 1);
    auto const triggered = events(a.id, event_type::triggered);
    BOOST_REQUIRE(triggered.size() == 1u);
    BOOST_TEST((triggered[0].price == units(101)));
    BOOST_TEST(triggered[0].exchange_time.value_or(0) == 6990);
    BOOST_TEST(triggered[0].detected_at.value_or(0) == 7000);

    auto const rows = outbox_of(a.id);
    BOOST_REQUIRE(rows.size() == 2u);
    BOOST_TEST((rows[0].channel == core::channel::email));
    BOOST_TEST((rows[1].channel == core::channel::webhook));
    BOOST_TEST(rows[1].delivery_id == "kryptod-" + std::to_string(a.id) + "-" +
                                          std::to_string(triggered[0].id) + "-webhook");
    for (auto const& row : rows) {
        auto const d = daemon::notify::decode(row.payload);
        BOOST_REQUIRE_MESSAGE(d.value, d.error);
        auto const& n = std::get<daemon::notify::alert_notice>(*d.value);
        BOOST_TEST(n.alert == a.id);
        BOOST_TEST(n.symbol == "BTCUSDT");
        BOOST_TEST(n.name == "watch 100");
        BOOST_TEST(n.trigger_price == units(101));
        BOOST_TEST(n.exchange_time == 6990);
        BOOST_TEST(n.detected_at == 7000);
    }
}

BOOST_FIXTURE_TEST_CASE(a_webhook_is_queued_only_while_its_owner_has_a_url, fire_fixture) {
    auto const a = stored_alert(bob, both); // bob has no webhook URL
    auto const r = daemon::fire_recorder(100).record(db, fire_of(a));
    BOOST_REQUIRE(r.has_value());
    auto const rows = outbox_of(a.id);
    BOOST_REQUIRE(rows.size() == 1u);
    BOOST_TEST((rows[0].channel == core::channel::email));
    BOOST_TEST(events(a.id, event_type::suppressed).empty());
    // Bob is told why the webhook did not go.
    auto const notified = events(a.id, event_type::notified);
    BOOST_REQUIRE(notified.size() == 1u);
    BOOST_TEST((notified[0].channel == core::channel::webhook));
    BOOST_TEST(notified[0].outcome.value_or("") == "failed: webhook is not set up");
}

BOOST_FIXTURE_TEST_CASE(a_chat_channel_whose_setting_was_removed_is_reported_not_queued,
                        fire_fixture) {
    auto u = storage::user_store::get(db, bob).value();
    u.slack_webhook_url = "https://hooks.slack.example/services/T/B/x";
    storage::user_store::update(db, u);
    auto const a = stored_alert(bob, core::channel::email | core::channel::discord |
                                         core::channel::slack | core::channel::ntfy);
    // One notification left this hour: the cap counts only what is queued.
    auto const r = daemon::fire_recorder(2).record(db, fire_of(a));
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->notifications == 2u);
    auto const rows = outbox_of(a.id);
    BOOST_REQUIRE(rows.size() == 2u);
    BOOST_TEST((rows[0].channel == core::channel::email));
    BOOST_TEST((rows[1].channel == core::channel::slack));
    auto const notified = events(a.id, event_type::notified); // newest first
    BOOST_REQUIRE(notified.size() == 2u);
    BOOST_TEST((notified[1].channel == core::channel::discord));
    BOOST_TEST(notified[1].outcome.value_or("") == "failed: discord is not set up");
    BOOST_TEST((notified[0].channel == core::channel::ntfy));
    BOOST_TEST(notified[0].outcome.value_or("") == "failed: ntfy is not set up");
}

BOOST_FIXTURE_TEST_CASE(notifications_past_the_hourly_cap_are_suppressed, fire_fixture) {
    daemon::fire_recorder const recorder(3);
    auto const first = stored_alert(alice, both);
    auto const second = stored_alert(alice, both);
    auto const third = stored_alert(alice, both);
    BOOST_TEST(recorder.record(db, fire_of(first, 7000))->suppressed == 0u);
    // One left: the email goes, the webhook is suppressed.
    auto const r = recorder.record(db, fire_of(second, 8000));
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->notifications == 1u);
    BOOST_TEST(r->suppressed == 1u);
    BOOST_TEST(outbox_of(second.id).size() == 1u);
    auto const suppressed = events(second.id, event_type::suppressed);
    BOOST_REQUIRE(suppressed.size() == 1u);
    BOOST_TEST((suppressed[0].channel == core::channel::webhook));
    BOOST_TEST(suppressed[0].outcome.value_or("") == "notify.max_per_user_per_hour reached");
    // The fire itself is recorded all the same.
    BOOST_TEST(events(second.id, event_type::triggered).size() == 1u);
    // An hour after the first, its rows no longer count.
    BOOST_TEST(recorder.record(db, fire_of(third, 7000 + 3'600'001))->notifications == 2u);
    // Another user's count is their own.
    auto const bobs = stored_alert(bob, core::channel::email);
    BOOST_TEST(recorder.record(db, fire_of(bobs, 8000))->notifications == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_fire_of_an_alert_no_longer_armed_writes_nothing, fire_fixture) {
    auto a = stored_alert(alice, both);
    core::disable(a, 2000);
    alerts::update(db, a, event_type::disabled);
    auto const deleted = stored_alert(alice, both);
    alerts::update(
        db,
        [&] {
            auto d = deleted;
            core::remove(d, 2000);
            return d;
        }(),
        event_type::deleted);
    core::alert unknown;
    unknown.id = 999'999;

    daemon::fire_recorder const recorder(100);
    for (auto const& x : {a, deleted, unknown}) {
        BOOST_TEST(!recorder.record(db, fire_of(x)).has_value());
        BOOST_TEST(outbox_of(x.id).empty());
        BOOST_TEST(events(x.id, event_type::triggered).empty());
    }
    BOOST_TEST((alerts::get(db, a.id, alice)->alert.status == core::alert_status::disabled));
}

BOOST_AUTO_TEST_SUITE_END()
