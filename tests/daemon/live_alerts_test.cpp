// Tests daemon/live_alerts.hpp, no socket: a trade that crosses an armed
// alert's target is evaluated on the io_context, recorded through the storage
// writer (state, `triggered` event, outbox rows) with the time of the clock
// it was given, and announced once committed; a trade that does not cross,
// or one for an alert disarmed meanwhile, records nothing.
#include "daemon/live_alerts.hpp"
#include "daemon/options.hpp"
#include "storage/alert_store.hpp"
#include "storage/database.hpp"
#include "storage/outbox_store.hpp"
#include "tests/storage/store_fixture.hpp"
#include "tests/support/default_config.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <memory>

using namespace kryptod;
namespace alerts = kryptod::storage::alert_store;
using storage::test::units;

namespace {

struct live_fixture : storage::test::store_fixture {
    boost::asio::io_context ioc;
    core::millis now = 5000; // the clock the alerts are given
    std::unique_ptr<storage::writer> writer;
    std::unique_ptr<daemon::live_alerts> live;
    std::size_t committed = 0;

    live_fixture() {
        writer = std::make_unique<storage::writer>(
            storage::open_database(t.path),
            [this](std::function<void()> f) { boost::asio::post(ioc, std::move(f)); });
        auto options = kryptod::daemon::live_alerts_options_from(kryptod::test::default_config());
        options.clock = daemon::wall_clock([this] { return now; });
        live = std::make_unique<daemon::live_alerts>(ioc, *writer, options);
        live->on_committed([this](std::size_t n) { committed += n; });
    }

    ~live_fixture() { writer->stop(); }

    // An alert stored and armed as the API does: written first, then armed.
    core::alert armed_alert(std::int64_t target) {
        core::alert a = make_alert(alice, target, now);
        a.channels = core::channel::email;
        a.id = alerts::insert(db, a, "BTCUSDT");
        a.symbol = live->list_coin("BTCUSDT");
        BOOST_TEST((live->armed(a) == core::arm_outcome::armed));
        return a;
    }

    void trade(std::int64_t price, core::millis exchange_time) {
        core::tick t;
        t.symbol = live->list_coin("BTCUSDT");
        t.last = units(price);
        t.exchange_time = exchange_time;
        live->on_trade(t, std::chrono::steady_clock::now());
    }

    // Runs the io_context until `done` holds (bounded).
    bool run_until(std::function<bool()> const& done) {
        auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            ioc.restart();
            ioc.run_for(std::chrono::milliseconds(20));
        }
        return done();
    }

    std::int64_t outbox_rows(core::alert_id id) {
        SQLite::Database reader(t.path.string(), SQLite::OPEN_READONLY);
        SQLite::Statement st(reader, "SELECT count(*) FROM outbox WHERE alert_id = ?");
        st.bind(1, static_cast<int64_t>(id));
        st.executeStep();
        return st.getColumn(0).getInt64();
    }

    std::optional<core::alert> stored(core::alert_id id) {
        SQLite::Database reader(t.path.string(), SQLite::OPEN_READONLY);
        auto s = alerts::get(reader, id, alice);
        if (!s) return std::nullopt;
        return s->alert;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(live_alerts)

BOOST_FIXTURE_TEST_CASE(a_crossing_trade_is_recorded_and_announced_once_committed, live_fixture) {
    auto const a = armed_alert(100);
    now = 7000;
    trade(99, 6000); // below the target: nothing
    trade(101, 6990);
    BOOST_TEST(live->unconfirmed_fires() == 1u);
    BOOST_REQUIRE(run_until([&] { return committed == 1; }));
    BOOST_TEST(live->unconfirmed_fires() == 0u);

    auto const got = stored(a.id).value();
    BOOST_TEST((got.status == core::alert_status::triggered));
    BOOST_TEST(got.triggered_at.value_or(0) == 7000); // the clock given, not the system's
    BOOST_TEST((got.trigger_price == units(101)));
    BOOST_TEST(outbox_rows(a.id) == 1);
    auto const s = live->stats();
    BOOST_TEST(s.ticks == 2u);
    BOOST_TEST(s.fired == 1u);
    BOOST_TEST(s.committed == 1u);
    BOOST_TEST(s.dropped == 0u);

    // Fired once: it left the book, a later crossing records nothing more.
    trade(102, 7100);
    BOOST_TEST(live->unconfirmed_fires() == 0u);
}

// Time-driven changes wait for on_clock(), which the daemon's cron calls
// every second: an alert whose expires_at has passed leaves the book and its
// stored status follows, and a trade after that fires nothing.
BOOST_FIXTURE_TEST_CASE(on_clock_expires_lapsed_alerts_in_the_book_and_the_database, live_fixture) {
    core::alert a = make_alert(alice, 100, now);
    a.channels = core::channel::email;
    a.expires_at = 8000;
    a.id = alerts::insert(db, a, "BTCUSDT");
    a.symbol = live->list_coin("BTCUSDT");
    BOOST_REQUIRE((live->armed(a) == core::arm_outcome::armed));

    now = 7999;
    live->on_clock();
    BOOST_TEST(live->book().contains(a.id));
    now = 8000;
    live->on_clock();
    BOOST_TEST(!live->book().contains(a.id));
    BOOST_REQUIRE(run_until([&] {
        auto s = stored(a.id);
        return s && s->status == core::alert_status::expired;
    }));
    BOOST_TEST(live->stats().expired == 1u);
    trade(101, 8100);
    BOOST_TEST(live->unconfirmed_fires() == 0u);
}

// After stop() the clock changes nothing: a clean stop leaves the rest to
// the next start-up.
BOOST_FIXTURE_TEST_CASE(on_clock_does_nothing_after_stop, live_fixture) {
    core::alert a = make_alert(alice, 100, now);
    a.expires_at = 8000;
    a.id = alerts::insert(db, a, "BTCUSDT");
    a.symbol = live->list_coin("BTCUSDT");
    BOOST_REQUIRE((live->armed(a) == core::arm_outcome::armed));
    live->stop();
    now = 9000;
    live->on_clock();
    BOOST_TEST(live->book().contains(a.id));
}

BOOST_FIXTURE_TEST_CASE(a_disarmed_alert_does_not_fire, live_fixture) {
    auto const a = armed_alert(100);
    live->disarmed(a.id);
    now = 7000;
    trade(101, 6990);
    BOOST_TEST(live->unconfirmed_fires() == 0u);
    BOOST_TEST(outbox_rows(a.id) == 0);
    BOOST_TEST(live->stats().fired == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_fire_racing_a_disable_is_dropped_by_the_recorder, live_fixture) {
    auto a = armed_alert(100);
    // Disabled in the database, the book not told yet (the API's write and
    // the trade crossed).
    core::disable(a, 6000);
    alerts::update(db, a, alerts::event_type::disabled);
    now = 7000;
    trade(101, 6990);
    BOOST_REQUIRE(run_until([&] { return live->unconfirmed_fires() == 0; }));
    BOOST_TEST(committed == 0u);
    BOOST_TEST(live->stats().dropped == 1u);
    BOOST_TEST(outbox_rows(a.id) == 0);
    BOOST_TEST((stored(a.id)->status == core::alert_status::disabled));
}

BOOST_AUTO_TEST_SUITE_END()
