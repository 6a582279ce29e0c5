// Tests of daemon/trade_recorder with a real alert engine, writer and
// database: what survives a restart. Positions (taken from the feed) and
// one-minute samples are written by one writer job per flush period, not per
// trade; positions wait while a fire is not yet durable (a restart must
// never resume past an unrecorded fire); a gap replayed late widens the
// minute it belongs to and never replaces the newest price.
#include "core/alert.hpp"
#include "daemon/options.hpp"
#include "daemon/trade_recorder.hpp"
#include "printing.hpp"
#include "storage/alert_store.hpp"
#include "storage/database.hpp"
#include "storage/feed_state_store.hpp"
#include "storage/sample_store.hpp"
#include "storage/user_store.hpp"
#include "tests/support/default_config.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>

using namespace std::chrono_literals;
namespace core = kryptod::core;
namespace kd = kryptod::daemon;
namespace storage = kryptod::storage;

namespace {

core::price px(char const* text) {
    return core::price::parse(text).value;
}

struct recorder_fixture {
    kryptod::test_support::temp_dir dir{"kryptod-recorder"};
    std::filesystem::path path = dir.path / "kryptod.db";
    boost::asio::io_context ioc;
    storage::writer writer{storage::open_database(path), [this](std::function<void()> f) {
                               boost::asio::post(ioc, std::move(f));
                           }};
    kd::live_alerts engine{ioc, writer,
                           kd::live_alerts_options_from(kryptod::test::default_config())};
    core::symbol_id btc = engine.list_coin("BTCUSDT");
    std::shared_ptr<kd::trade_recorder> recorder =
        std::make_shared<kd::trade_recorder>(ioc, engine, writer, 1000ms);
    // What the feed says its position is.
    kd::feed::resume_point position{"BTCUSDT", -1, 0};
    core::millis minute = core::millis{0}; // the start of a closed minute

    recorder_fixture() {
        auto const now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        minute = now - now % 60000 - 120000;
        recorder->start([this](core::symbol_id) { return position; });
    }

    ~recorder_fixture() {
        recorder->stop();
        engine.stop();
        writer.stop();
        ioc.run_for(50ms);
    }

    // A trade delivered by the feed, which stands at it afterwards.
    void trade(std::int64_t id, char const* price, core::millis time, bool backfilled = false) {
        recorder->on_trade(btc, id, px(price), time, backfilled);
        if (id > position.last_id) position = {"BTCUSDT", id, time};
    }

    bool run_until(std::function<bool()> const& done, std::chrono::milliseconds timeout = 5000ms) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            ioc.run_for(10ms);
        }
        return true;
    }

    std::optional<storage::feed_state_store::feed_state> stored_position() {
        auto db = storage::open_reader(path);
        return storage::feed_state_store::get(db, "BTCUSDT");
    }

    std::vector<storage::sample_store::sample> samples() {
        auto db = storage::open_reader(path);
        storage::sample_store::sample_query q;
        q.symbol = "BTCUSDT";
        q.paging.limit = 100;
        return storage::sample_store::list(db, q).items;
    }

    std::uint64_t jobs() const { return writer.stats().jobs_committed; }
};

} // namespace

BOOST_AUTO_TEST_SUITE(trade_recorder)

BOOST_FIXTURE_TEST_CASE(positions_and_samples_are_written_once_a_second, recorder_fixture) {
    auto const jobs_before = jobs();
    for (int i = 0; i < 100; ++i)
        trade(1000 + i, i == 50 ? "107" : (i == 70 ? "93" : "100"), minute + i * 100);
    trade(1100, "101.5", minute + 60000); // the next minute: the first one closes
    // Nothing is written per trade.
    BOOST_TEST(!stored_position().has_value());
    BOOST_TEST(samples().empty());

    BOOST_REQUIRE(run_until([&] { return stored_position().has_value(); }));
    BOOST_TEST(jobs() == jobs_before + 1); // 101 trades, one writer job
    auto const p = *stored_position();
    BOOST_TEST(p.last_trade_id == 1100);
    BOOST_TEST(p.last_trade_time == minute + 60000);
    BOOST_TEST(p.last_price == px("101.5"));
    auto const rows = samples(); // newest first
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_TEST(rows[1].minute == minute);
    BOOST_TEST(rows[1].open == px("100"));
    BOOST_TEST(rows[1].high == px("107"));
    BOOST_TEST(rows[1].low == px("93"));
    BOOST_TEST(rows[1].close == px("100"));
    BOOST_TEST(rows[0].open == px("101.5"));

    // No trade, no write.
    auto const jobs_after = jobs();
    ioc.run_for(1300ms);
    BOOST_TEST(jobs() == jobs_after);
}

BOOST_FIXTURE_TEST_CASE(a_gap_replayed_late_widens_its_minute_and_keeps_the_newest_price,
                        recorder_fixture) {
    trade(1000, "100", minute + 1000);
    trade(1001, "101", minute + 2000);
    // Released: live trades of the next minute came before the gap's.
    trade(1005, "102", minute + 60000 + 1000);
    trade(1006, "103", minute + 60000 + 2000);
    position = {"BTCUSDT", 1001, minute + 2000}; // the feed waits below the gap
    BOOST_REQUIRE(run_until([&] { return samples().size() == 2; }));
    BOOST_TEST(stored_position()->last_trade_id == 1001);

    // The gap: one trade late in the first minute, two early in the second.
    recorder->on_trade(btc, 1002, px("110"), minute + 30000, true);
    recorder->on_trade(btc, 1003, px("95"), minute + 60000 + 100, true);
    recorder->on_trade(btc, 1004, px("90"), minute + 60000 + 200, true);
    position = {"BTCUSDT", 1006, minute + 60000 + 2000};
    BOOST_REQUIRE(run_until([&] { return stored_position()->last_trade_id == 1006; }));
    auto const rows = samples();
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    // The closed minute widened; its open and close stay.
    BOOST_TEST(rows[1].high == px("110"));
    BOOST_TEST(rows[1].low == px("100"));
    BOOST_TEST(rows[1].close == px("101"));
    // So does the open minute, whose row was written already: its open
    // stays the first trade recorded, its close the newest.
    BOOST_TEST(rows[0].open == px("102"));
    BOOST_TEST(rows[0].low == px("90"));
    BOOST_TEST(rows[0].close == px("103"));
    BOOST_TEST(stored_position()->last_price == px("103"));
}

BOOST_FIXTURE_TEST_CASE(positions_wait_for_fires_to_be_durable, recorder_fixture) {
    // An alert in the database and the book; its fire's transaction fails
    // until the test lets it through.
    core::alert a;
    bool written = false;
    auto const queued = writer.submit(
        [&](SQLite::Database& db) {
            storage::user_store::user_record u;
            u.email = "owner@example.com";
            u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
            a.owner = storage::user_store::create(db, u);
            a.symbol = btc;
            a.target = px("105");
            a.side = core::direction::above;
            core::create(a, 0);
            a.id = storage::alert_store::insert(db, a, "BTCUSDT");
        },
        [&](storage::status st) { written = st.ok(); });
    BOOST_REQUIRE(queued.ok());
    BOOST_REQUIRE(run_until([&] { return written; }));
    BOOST_REQUIRE(engine.armed(a) == core::arm_outcome::armed);
    SQLite::Database other(path.string(), SQLite::OPEN_READWRITE);
    other.exec("CREATE TRIGGER refuse_fires BEFORE INSERT ON alert_events "
               "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END");

    auto const later = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() +
                       1000;
    trade(2000, "106", later); // fires the alert
    BOOST_REQUIRE(run_until([&] { return engine.stats().commit_failures >= 1; }));
    // Flushes come and go: the sample is written, the position is not.
    BOOST_REQUIRE(run_until([&] { return samples().size() == 1; }));
    // The daemon's cron retries the fire every second: it fails again.
    engine.on_clock();
    BOOST_REQUIRE(run_until([&] { return engine.stats().commit_failures >= 2; }));
    ioc.run_for(500ms);
    BOOST_TEST(engine.unconfirmed_fires() == 1u);
    BOOST_TEST(!stored_position().has_value());

    other.exec("DROP TRIGGER refuse_fires");
    engine.on_clock();
    BOOST_REQUIRE(run_until([&] { return stored_position().has_value(); }));
    BOOST_TEST(stored_position()->last_trade_id == 2000);
    BOOST_TEST(engine.stats().committed == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
