// storage::candle_store: the price history as candles of an interval (one
// minute to one day), paged newest first in bounded time, and the hourly
// rollup that lets the one-minute samples go after prices.retention_days.
//
// Where a candle comes from: one-minute candles are the one-minute samples;
// every other interval reads a table of candles of its own length for every
// hour the rollup has done (price_5m and price_15m, which mirror the stored
// minutes; price_hours; price_4h and price_1d, which mirror the hours: see
// migration_price_mirrors.hpp), and folds the one-minute samples after it.
// A page of 1,000 candles thus reads about 1,000 rows plus its edges. Every
// interval divides a UTC day, so candles never straddle a day, and a page
// finds its place by summing the per-day bucket counts that the schema's
// triggers keep (price_days, price_hour_days) instead of walking rows: the
// work of a page is a sum over at most one row per day of history, at most
// two partial days of rows at the window's edges, and the rows of the page.
//
// Invariants: a candle's open is its first minute's open, its close its last
// minute's close, high and low the extremes of its minutes; a window selects
// the candles whose start lies in [from, to); `total` counts exactly the
// candles the pages enumerate. The rollup merges each minute into its hour
// idempotently, writes the hour's 5- and 15-minute candles anew from its
// minutes, and advances its watermark in the same transaction, so a crash
// between batches neither skips nor doubles a minute.
//
// Functions throw SQLite::Exception on a database failure.
#pragma once

#include "core/price.hpp"
#include "core/time.hpp"
#include "storage/page.hpp"
#include "storage/sample_store.hpp"

#include <SQLiteCpp/Database.h>

#include <optional>
#include <string>
#include <string_view>

namespace kryptod::storage::candle_store {

enum class interval { m1, m5, m15, h1, h4, d1 };

// The length of a candle of `i`, in milliseconds.
core::millis length(interval i) noexcept;

// "1m", "5m", "15m", "1h", "4h", "1d" and back; nullopt for anything else.
std::optional<interval> interval_from_string(std::string_view text) noexcept;
std::string_view to_string(interval i) noexcept;

// The accepted names, for an error message: "1m, 5m, 15m, 1h, 4h, 1d".
std::string interval_names();

struct candle {
    core::millis time = 0; // the candle's start, UTC
    core::price open;
    core::price high;
    core::price low;
    core::price close;
};

struct candle_query {
    std::string symbol;
    interval every = interval::m1;
    std::optional<core::millis> from; // candles starting at or after
    std::optional<core::millis> to;   // candles starting before
    page_request paging;
    // The coin's still-open minute as the trade recorder holds it, fresher
    // than its stored row: it takes that row's place (or is added), so the
    // newest candle is live.
    std::optional<sample_store::sample> open_minute;
};

// The candles of one coin, newest first, with the exact count of all of
// them in `total`.
page<candle> list(SQLite::Database& db, candle_query const& query);

// Rolls one-minute samples up into hourly and five-minute candles: at most
// `coins` coins of the oldest hour not yet rolled up that has ended by
// `now`, merged into price_hours and written into price_fives with the
// watermark moved in the same transaction. Returns
// whether closed hours remain to be rolled up (call again soon).
bool roll_up(SQLite::Database& db, core::millis now, int coins);

// Every minute before this has been rolled up into its hour.
core::millis rolled_until(SQLite::Database& db);

// Deletes at most `batch` hourly candles of hours before `cutoff`; returns
// how many it deleted.
int delete_hours_before(SQLite::Database& db, core::millis cutoff, int batch);

} // namespace kryptod::storage::candle_store
