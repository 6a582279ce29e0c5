// storage::sample_store: per-minute price samples (open, high, low, close)
// per coin, and their retention.
//
// Invariant (kept by the schema): one row per (symbol, minute), `minute` a
// multiple of 60000 ms, low <= open, close <= high. Functions throw
// SQLite::Exception on a database failure.
#pragma once

#include "core/price.hpp"
#include "core/time.hpp"
#include "storage/page.hpp"

#include <SQLiteCpp/Database.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::storage::sample_store {

struct sample {
    std::string symbol;
    core::millis minute = 0; // start of the minute, UTC
    core::price open;
    core::price high;
    core::price low;
    core::price close;
};

// The start of the minute that contains `time`.
constexpr core::millis minute_of(core::millis time) noexcept {
    core::millis const m = time - time % 60000;
    return time % 60000 < 0 ? m - 60000 : m;
}

// Folds a sample into the stored minute: a new minute is stored as given; an
// existing one keeps its open, widens high and low, and takes the new close.
// So the feed may write a minute several times (partial aggregates, kline
// backfill) and the row stays the minute's true OHLC as long as the writes
// arrive in trade order. `s.minute` is rounded down to its minute.
void upsert(SQLite::Database& db, sample const& s);

// Folds a sample of trades that came out of order (a feed gap replayed after
// later trades were recorded) into its minute: a new minute is stored as
// given; an existing one widens high and low and keeps its open and close,
// which came from trades before and after the replayed ones.
void widen(SQLite::Database& db, sample const& s);

struct sample_query {
    std::string symbol;
    std::optional<core::millis> from; // inclusive, on the minute's start
    std::optional<core::millis> to;   // exclusive
    page_request paging;
};

// Samples of one coin in [from, to), newest first, counted and skipped by
// walking the rows: the plain reading, for tests and tools. The API pages
// through candle_store::list(), whose time does not grow with the history.
page<sample> list(SQLite::Database& db, sample_query const& query);

// The close of the last minute that starts at or before `time`, if any; the
// base of `change_24h`.
std::optional<core::price> close_at_or_before(SQLite::Database& db, std::string_view symbol,
                                              core::millis time);

// Deletes at most `batch` samples of minutes before `cutoff` that are
// already rolled up into their hour (candle_store::roll_up) and returns how
// many it deleted, so that retention never leaves a hole in the hourly
// candles. Retention calls it repeatedly, one writer job per batch,
// until it returns less than `batch`, so that no single transaction holds the
// write lock for long.
int delete_before(SQLite::Database& db, core::millis cutoff, int batch);

// Every sample of one coin whose minute starts in [from, to), oldest first:
// what rebuilds a move alert's window at startup (SPEC §8).
std::vector<sample> oldest_first(SQLite::Database& db, std::string_view symbol, core::millis from,
                                 core::millis to);

} // namespace kryptod::storage::sample_store
