// Tests storage/sample_store.hpp: one OHLC row per coin per minute, range
// pages newest first, the 24h base price and batched retention of minutes
// already rolled up.
#include "storage/candle_store.hpp"
#include "storage/sample_store.hpp"
#include "store_fixture.hpp"

#include <SQLiteCpp/Exception.h>
#include <boost/test/unit_test.hpp>

using namespace kryptod;
using namespace kryptod::storage;
using test::units;
namespace samples = kryptod::storage::sample_store;

namespace {
constexpr core::millis minute = 60000;
constexpr core::millis t0 = 1700000000000 - 1700000000000 % minute; // a minute start
} // namespace

BOOST_AUTO_TEST_SUITE(sample_store)

BOOST_AUTO_TEST_CASE(minute_of_rounds_down) {
    BOOST_TEST(samples::minute_of(t0 + 59999) == t0);
    BOOST_TEST(samples::minute_of(t0) == t0);
    BOOST_TEST(samples::minute_of(-1) == -minute);
}

BOOST_FIXTURE_TEST_CASE(writes_within_a_minute_fold_into_one_ohlc_row, test::store_fixture) {
    auto tick = [&](core::millis t, std::int64_t p) {
        samples::upsert(db, {"BTCUSDT", t, units(p), units(p), units(p), units(p)});
    };
    tick(t0 + 1000, 100);
    tick(t0 + 2000, 120);
    tick(t0 + 3000, 90);
    tick(t0 + 4000, 110);
    tick(t0 + minute, 111);
    samples::sample_query q;
    q.symbol = "BTCUSDT";
    auto const p = samples::list(db, q);
    BOOST_TEST(p.total == 2);
    BOOST_REQUIRE(p.items.size() == 2u);
    BOOST_TEST(p.items[0].minute == t0 + minute); // newest first
    auto const& m = p.items[1];
    BOOST_TEST(m.minute == t0);
    BOOST_TEST(m.open == units(100));
    BOOST_TEST(m.high == units(120));
    BOOST_TEST(m.low == units(90));
    BOOST_TEST(m.close == units(110));
}

BOOST_FIXTURE_TEST_CASE(inconsistent_samples_are_refused, test::store_fixture) {
    BOOST_CHECK_THROW(
        samples::upsert(db, {"BTCUSDT", t0, units(100), units(90), units(80), units(95)}),
        SQLite::Exception); // high below open
}

BOOST_FIXTURE_TEST_CASE(range_queries_page_by_coin_and_time, test::store_fixture) {
    for (int i = 0; i < 30; ++i) {
        samples::upsert(db, {"BTCUSDT", t0 + i * minute, units(100 + i), units(100 + i),
                             units(100 + i), units(100 + i)});
        samples::upsert(db, {"ETHUSDT", t0 + i * minute, units(1), units(1), units(1), units(1)});
    }
    samples::sample_query q;
    q.symbol = "BTCUSDT";
    q.from = t0 + 10 * minute;
    q.to = t0 + 20 * minute;
    q.paging = {4, 2};
    auto const p = samples::list(db, q);
    BOOST_TEST(p.total == 10);
    BOOST_REQUIRE(p.items.size() == 4u);
    BOOST_TEST(p.items[0].minute == t0 + 17 * minute);
    BOOST_TEST(p.items[0].close == units(117));
    BOOST_TEST(p.items[0].symbol == "BTCUSDT");
    BOOST_TEST(p.items[3].minute == t0 + 14 * minute);

    BOOST_TEST(samples::close_at_or_before(db, "BTCUSDT", t0 + 5 * minute + 30000).value() ==
               units(105));
    BOOST_TEST(!samples::close_at_or_before(db, "BTCUSDT", t0 - 1).has_value());
}

BOOST_FIXTURE_TEST_CASE(retention_deletes_old_minutes_in_batches, test::store_fixture) {
    for (int i = 0; i < 25; ++i)
        for (char const* s : {"BTCUSDT", "ETHUSDT"})
            samples::upsert(db, {s, t0 + i * minute, units(1), units(1), units(1), units(1)});
    core::millis const cutoff = t0 + 10 * minute; // 20 rows are older
    // Only minutes already rolled up into their hour go.
    BOOST_TEST(samples::delete_before(db, cutoff, 8) == 0);
    while (candle_store::roll_up(db, t0 + 2 * 3'600'000, 10)) {
    }
    BOOST_TEST(samples::delete_before(db, cutoff, 8) == 8);
    BOOST_TEST(samples::delete_before(db, cutoff, 8) == 8);
    BOOST_TEST(samples::delete_before(db, cutoff, 8) == 4);
    BOOST_TEST(samples::delete_before(db, cutoff, 8) == 0);
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM price_samples").getInt() == 30);
    BOOST_TEST(db.execAndGet("SELECT min(minute) FROM price_samples").getInt64() == cutoff);
}

BOOST_AUTO_TEST_SUITE_END()
