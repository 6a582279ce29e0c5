// Tests storage/candle_store.hpp against a brute-force model: random minutes
// with gaps (missing minutes, hours and a whole day), every interval, windows
// on and off UTC boundaries, offsets up to and past the last page, the live
// minute, late writes below the rollup watermark, retention of minutes and
// hours, and a rollup interrupted by a crash or a restart.
#include "storage/candle_store.hpp"
#include "storage/database.hpp"
#include "storage/sample_store.hpp"
#include "store_fixture.hpp"

#include <SQLiteCpp/Transaction.h>
#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <vector>

using namespace kryptod;
using namespace kryptod::storage;
namespace candles = kryptod::storage::candle_store;
namespace samples = kryptod::storage::sample_store;

namespace {

constexpr core::millis minute = 60'000;
constexpr core::millis hour = 3'600'000;
constexpr core::millis day = 86'400'000;
constexpr core::millis t0 = 1'717'200'000'000 / day * day; // a UTC midnight
constexpr candles::interval all_intervals[] = {candles::interval::m1,  candles::interval::m5,
                                               candles::interval::m15, candles::interval::h1,
                                               candles::interval::h4,  candles::interval::d1};

struct ohlc {
    std::int64_t open, high, low, close;
};

// What the database should answer: the minutes as written (`all`, which the
// hourly candles keep) and those still stored (`stored`).
struct model {
    std::map<core::millis, ohlc> all, stored;

    void write(core::millis m, ohlc v) {
        for (auto* table : {&all, &stored}) {
            auto [it, fresh] = table->emplace(m, v);
            if (!fresh) { // as sample_store::upsert folds a second write
                it->second.high = std::max(it->second.high, v.high);
                it->second.low = std::min(it->second.low, v.low);
                it->second.close = v.close;
            }
        }
    }

    // Candles of `length` from `source` (plus `live`), start in [from, to),
    // newest first.
    static std::vector<candles::candle> fold(std::map<core::millis, ohlc> source,
                                             std::optional<samples::sample> const& live,
                                             core::millis length, core::millis from,
                                             core::millis to) {
        if (live)
            source[live->minute] = {live->open.units(), live->high.units(), live->low.units(),
                                    live->close.units()};
        std::map<core::millis, ohlc> buckets;
        for (auto const& [m, v] : source) {
            auto const start = m - m % length;
            if (start < from || start >= to) continue;
            auto [it, fresh] = buckets.emplace(start, v);
            if (!fresh) {
                it->second.high = std::max(it->second.high, v.high);
                it->second.low = std::min(it->second.low, v.low);
                it->second.close = v.close;
            }
        }
        std::vector<candles::candle> out;
        for (auto it = buckets.rbegin(); it != buckets.rend(); ++it)
            out.push_back({it->first, core::price::from_units(it->second.open),
                           core::price::from_units(it->second.high),
                           core::price::from_units(it->second.low),
                           core::price::from_units(it->second.close)});
        return out;
    }
};

bool same(candles::candle const& a, candles::candle const& b) {
    return a.time == b.time && a.open == b.open && a.high == b.high && a.low == b.low &&
           a.close == b.close;
}

// The mirrors of `symbol` hold the exact fold of their source: price_5m and
// price_15m of the stored `minutes` rolled up (before `split`), price_4h and
// price_1d of the hourly candles, which hold the rolled-up minutes of `all`.
void check_mirrors_of(SQLite::Database& db, std::string const& symbol,
                      std::map<core::millis, ohlc> const& minutes,
                      std::map<core::millis, ohlc> const& all, core::millis split) {
    auto before_split = [&](std::map<core::millis, ohlc> const& source) {
        std::map<core::millis, ohlc> out;
        for (auto const& [m, v] : source)
            if (m < split) out.emplace(m, v);
        return out;
    };
    auto const rolled = before_split(minutes);
    auto const hourly = before_split(all);
    struct mirror {
        char const* table;
        core::millis length;
        std::map<core::millis, ohlc> const& source;
    };
    for (auto const& m :
         {mirror{"price_5m", 5 * minute, rolled}, mirror{"price_15m", 15 * minute, rolled},
          mirror{"price_4h", 4 * hour, hourly}, mirror{"price_1d", day, hourly}}) {
        auto const expected = model::fold(m.source, std::nullopt, m.length, 0, INT64_MAX);
        SQLite::Statement st(db, std::string("SELECT start, open, high, low, close FROM ") +
                                     m.table + " WHERE symbol = ? ORDER BY start DESC");
        st.bind(1, symbol);
        std::size_t i = 0;
        while (st.executeStep()) {
            candles::candle const c{st.getColumn(0).getInt64(),
                                    core::price::from_units(st.getColumn(1).getInt64()),
                                    core::price::from_units(st.getColumn(2).getInt64()),
                                    core::price::from_units(st.getColumn(3).getInt64()),
                                    core::price::from_units(st.getColumn(4).getInt64())};
            BOOST_REQUIRE(i < expected.size());
            BOOST_TEST(same(c, expected[i]), m.table << " " << symbol << " at " << c.time);
            ++i;
        }
        BOOST_TEST(i == expected.size(), m.table << " " << symbol);
    }
}

struct history_fixture : test::store_fixture {
    model btc;
    std::mt19937_64 rng{2024};
    std::optional<samples::sample> live;

    // Durability is not what these tests are about: without a sync per
    // statement they take seconds, not minutes.
    history_fixture() { db.exec("PRAGMA synchronous = OFF"); }

    ohlc random_bar() {
        std::uniform_int_distribution<std::int64_t> price(1000, 2000);
        auto a = price(rng), b = price(rng), c = price(rng), d = price(rng);
        auto const hi = std::max({a, b, c, d}), lo = std::min({a, b, c, d});
        return {a * 1'000'000, hi * 1'000'000, lo * 1'000'000, d * 1'000'000};
    }

    void write(std::string const& symbol, core::millis m, ohlc v) {
        samples::upsert(db, {symbol, m, core::price::from_units(v.open),
                             core::price::from_units(v.high), core::price::from_units(v.low),
                             core::price::from_units(v.close)});
        if (symbol == "BTCUSDT") btc.write(m, v);
    }

    // `days` days of minutes from t0 with gaps: a fifth of the minutes, one
    // hour in seven and the whole third day are missing. ETHUSDT trades too.
    void fill(int days) {
        std::bernoulli_distribution skip(0.2);
        for (core::millis m = t0; m < t0 + days * day; m += minute) {
            if ((m - t0) / day == 2 || ((m - t0) / hour) % 7 == 3 || skip(rng)) continue;
            write("BTCUSDT", m, random_bar());
            if (m % (3 * minute) == 0) write("ETHUSDT", m, random_bar());
        }
    }

    void roll_up_until(core::millis now) {
        while (candles::roll_up(db, now, 1)) {
        }
    }

    // Every page the API could ask for of `every` over [from, to) against
    // the model, with a few page sizes and offsets through the last page.
    void check(candles::interval every, std::optional<core::millis> from,
               std::optional<core::millis> to) {
        auto const length = candles::length(every);
        auto ceil = [&](core::millis t) { return (t + length - 1) / length * length; };
        auto const& source = length >= hour ? btc.all : btc.stored;
        auto const expected =
            model::fold(source, live, length, from ? ceil(*from) : 0, to ? ceil(*to) : INT64_MAX);
        auto const n = static_cast<std::int64_t>(expected.size());
        std::vector<std::pair<std::int64_t, std::int64_t>> pages{{0, 10}, {0, 1000}, {n, 10}};
        std::uniform_int_distribution<std::int64_t> size(1, 1000);
        for (int i = 0; i < 12; ++i)
            pages.emplace_back(n > 0 ? static_cast<std::int64_t>(rng() % n) : 0, size(rng));
        if (n > 0) pages.emplace_back(n - 1, 1); // the last page
        for (auto [offset, limit] : pages) {
            candles::candle_query q;
            q.symbol = "BTCUSDT";
            q.every = every;
            q.from = from;
            q.to = to;
            q.paging = {limit, offset};
            q.open_minute = live;
            auto const page = candles::list(db, q);
            BOOST_TEST_CONTEXT("interval " << candles::to_string(every) << " offset " << offset
                                           << " limit " << limit) {
                BOOST_TEST(page.total == n);
                auto const want = std::min(limit, std::max<std::int64_t>(0, n - offset));
                BOOST_REQUIRE(static_cast<std::int64_t>(page.items.size()) == want);
                for (std::int64_t i = 0; i < want; ++i)
                    BOOST_TEST(same(page.items[i], expected[offset + i]),
                               "candle " << offset + i << " at " << page.items[i].time);
            }
        }
    }

    void check_mirrors() {
        auto const until = candles::rolled_until(db);
        auto const cursor = db.execAndGet("SELECT cursor FROM price_rollup").getString();
        auto const split = until + (!cursor.empty() && std::string("BTCUSDT") <= cursor ? hour : 0);
        check_mirrors_of(db, "BTCUSDT", btc.stored, btc.all, split);
    }

    void check_all() {
        check_mirrors();
        for (auto every : all_intervals) {
            check(every, std::nullopt, std::nullopt);
            check(every, t0 + day, t0 + 2 * day); // a date
            check(every, t0 + 5 * hour + 7 * minute + 1, t0 + 4 * day + 13 * hour + 5 * minute);
            check(every, t0 + 3 * day + 30 * minute, std::nullopt);
        }
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(candle_store)

BOOST_AUTO_TEST_CASE(intervals_are_named_as_the_api_takes_them) {
    BOOST_TEST(candles::interval_names() == "1m, 5m, 15m, 1h, 4h, 1d");
    for (auto every : all_intervals)
        BOOST_TEST((candles::interval_from_string(candles::to_string(every)) == every));
    BOOST_TEST(!candles::interval_from_string("2h").has_value());
    BOOST_TEST(!candles::interval_from_string("").has_value());
}

BOOST_FIXTURE_TEST_CASE(candles_equal_a_brute_force_fold_of_the_minutes, history_fixture) {
    fill(6);
    check_all(); // nothing rolled up: every interval from the minutes

    // Rolled up to the middle of the fifth day, the sixth hour of it half
    // done: the hours come from price_hours, the rest from minutes.
    roll_up_until(t0 + 4 * day + 5 * hour);
    BOOST_TEST(candles::roll_up(db, t0 + 6 * day, 1) == true); // BTCUSDT's part of an hour
    check_all();

    // The live minute is newer than anything stored, then replaces the
    // newest stored one.
    auto const newest = btc.stored.rbegin()->first;
    auto bar = random_bar();
    live = samples::sample{"BTCUSDT",
                           newest + 7 * minute,
                           core::price::from_units(bar.open),
                           core::price::from_units(bar.high),
                           core::price::from_units(bar.low),
                           core::price::from_units(bar.close)};
    check_all();
    live->minute = newest;
    check_all();
    live.reset();
}

BOOST_FIXTURE_TEST_CASE(late_writes_and_retention_keep_counts_and_hours_exact, history_fixture) {
    fill(6);
    roll_up_until(t0 + 5 * day);
    BOOST_TEST(candles::rolled_until(db) == t0 + 5 * day);
    // A gap replayed hours later: minutes below the watermark, new and
    // widened, reach their hours through the schema's trigger.
    for (core::millis m : {t0 + 2 * day + 17 * minute, t0 + 3 * hour + 30 * minute,
                           t0 + 4 * day + 1 * minute, btc.stored.begin()->first})
        write("BTCUSDT", m, random_bar());
    check_all();

    // Retention of minutes: only rolled-up ones go, the hours keep them.
    auto const cutoff = t0 + 5 * day + 12 * hour;
    while (samples::delete_before(db, cutoff, 500) > 0) {
    }
    BOOST_TEST(db.execAndGet("SELECT min(minute) FROM price_samples").getInt64() >= t0 + 5 * day);
    for (auto it = btc.stored.begin(); it != btc.stored.end();)
        it = it->first < t0 + 5 * day ? btc.stored.erase(it) : std::next(it);
    check_all();

    // Retention of hours.
    while (candles::delete_hours_before(db, t0 + day, 7) > 0) {
    }
    for (auto it = btc.all.begin(); it != btc.all.end();)
        it = it->first < t0 + day ? btc.all.erase(it) : std::next(it);
    check_all();

    // New minutes after everything: counted as they come.
    for (core::millis m = t0 + 6 * day; m < t0 + 6 * day + 90 * minute; m += 2 * minute)
        write("BTCUSDT", m, random_bar());
    check_all();
    roll_up_until(t0 + 7 * day);
    check_all();
}

BOOST_FIXTURE_TEST_CASE(a_rollup_interrupted_by_a_crash_leaves_no_hole_and_no_double,
                        history_fixture) {
    fill(2);
    // A crash inside a rollup job: its transaction is rolled back whole,
    // the hours it merged and the watermark alike.
    {
        SQLite::Transaction tx(db);
        for (int i = 0; i < 5; ++i)
            candles::roll_up(db, t0 + 3 * day, 1);
    }
    BOOST_TEST(candles::rolled_until(db) == 0);
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM price_hours").getInt() == 0);
    for (auto mirror : {"price_5m", "price_15m", "price_4h", "price_1d"})
        BOOST_TEST(db.execAndGet(std::string("SELECT count(*) FROM ") + mirror).getInt() == 0);
    // A restart in the middle of an hour (one coin of two done): the
    // database is closed and opened again, and the rollup goes on.
    for (int i = 0; i < 7; ++i)
        candles::roll_up(db, t0 + 3 * day, 1);
    t.db = open_database(t.path);
    db.exec("PRAGMA synchronous = OFF");
    roll_up_until(t0 + 3 * day);
    check_all(); // the hours and mirrors of the restarted rollup: no hole, no double
    // A rollup repeated over hours already done (as if a watermark were
    // lost) changes nothing: the merge is idempotent.
    db.exec("UPDATE price_rollup SET rolled_until = " + std::to_string(t0) + ", cursor = ''");
    roll_up_until(t0 + 3 * day);
    while (samples::delete_before(db, t0 + 3 * day, 1000) > 0) {
    }
    btc.stored.clear();
    check_all();
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM price_samples").getInt() == 0);
}

// A database rolled up before the mirrors existed gets them from the
// migration: 5 and 15 minutes of its rolled-up minutes (the hour in
// progress for the coins up to the cursor included), 4 hours and a day of
// its hourly candles.
BOOST_AUTO_TEST_CASE(the_migration_writes_the_mirrors_of_what_is_already_rolled_up) {
    test::temp_dir dir;
    auto const path = dir.path / "kryptod.db";
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(db, latest_schema_version() - 1);
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<std::int64_t> price(1000, 2000);
    std::bernoulli_distribution skip(0.3);
    std::map<std::string, std::map<core::millis, ohlc>> minutes;
    // Rolled up to the fourth hour, BTCUSDT's part of it done: the minutes
    // written below reach price_hours through the old schema's trigger.
    db.exec("UPDATE price_rollup SET rolled_until = " + std::to_string(t0 + 3 * hour) +
            ", cursor = 'BTCUSDT'");
    for (core::millis m = t0; m < t0 + 5 * hour; m += minute)
        for (std::string symbol : {"BTCUSDT", "ETHUSDT"}) {
            if (skip(rng)) continue;
            auto a = price(rng), b = price(rng), c = price(rng);
            ohlc const v{a, std::max({a, b, c}), std::min({a, b, c}), c};
            samples::upsert(db, {symbol, m, core::price::from_units(v.open),
                                 core::price::from_units(v.high), core::price::from_units(v.low),
                                 core::price::from_units(v.close)});
            minutes[symbol][m] = v;
        }
    migrate(db);
    check_mirrors_of(db, "BTCUSDT", minutes["BTCUSDT"], minutes["BTCUSDT"], t0 + 4 * hour);
    check_mirrors_of(db, "ETHUSDT", minutes["ETHUSDT"], minutes["ETHUSDT"], t0 + 3 * hour);
}

BOOST_FIXTURE_TEST_CASE(the_rollup_skips_empty_hours_and_waits_for_an_hour_to_close,
                        history_fixture) {
    write("BTCUSDT", t0 + 100 * hour + 5 * minute, random_bar());
    BOOST_TEST(candles::roll_up(db, t0 + 100 * hour + 30 * minute, 10) == false);
    BOOST_TEST(candles::rolled_until(db) == t0 + 100 * hour); // the open hour waits
    BOOST_TEST(candles::roll_up(db, t0 + 101 * hour, 10) == false);
    BOOST_TEST(candles::rolled_until(db) == t0 + 101 * hour);
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM price_hours").getInt() == 1);
    // Minutes not rolled up are never deleted.
    write("BTCUSDT", t0 + 101 * hour, random_bar());
    BOOST_TEST(samples::delete_before(db, t0 + 200 * hour, 100) == 1);
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM price_samples").getInt() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
