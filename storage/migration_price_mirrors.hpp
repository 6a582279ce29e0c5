// Migration price_mirrors: candles of 5 and 15 minutes, 4 hours and a day,
// each the exact fold of the rows of a finer table, so that a page of 1,000
// candles of any interval reads about 1,000 rows instead of up to 15,000
// minutes (15m) or 8,760 hours (1d over a year).
//
// A mirror holds, for each bucket, the fold of the rows its source holds in
// it (open of the first, close of the last, highest high, lowest low), and
// no row for an empty bucket, so the per-day counts (price_days' n5 and n15
// for minutes, price_hour_days for hours) count its rows exactly:
// - price_5m and price_15m mirror the rolled-up minutes (below
//   price_rollup's watermark, the coins up to `cursor` of the hour at it
//   included, as for price_hours). The rollup (candle_store::roll_up) writes
//   them from the minutes it reads for each coin-hour, in the transaction
//   that moves the watermark, so a crash or a restart between batches
//   neither skips nor doubles a minute. A rolled-up minute written, widened
//   or deleted later (a feed gap replayed late; retention, which deletes
//   only rolled-up minutes) recomputes its buckets from the stored minutes
//   (at most 15 rows) in the triggers below.
// - price_4h and price_1d mirror price_hours: every write or delete of an
//   hourly candle (the rollup's merge, a late minute's, retention)
//   recomputes its buckets (at most 24 rows).
// Existing databases get the mirrors of what they hold here.
#pragma once

#include <string_view>

namespace kryptod::storage {

constexpr std::string_view migration_price_mirrors = R"sql(
CREATE TABLE price_5m (
    symbol  TEXT    NOT NULL,
    start   INTEGER NOT NULL CHECK (start % 300000 = 0),
    open    INTEGER NOT NULL CHECK (open > 0),
    high    INTEGER NOT NULL,
    low     INTEGER NOT NULL,
    close   INTEGER NOT NULL,
    CHECK (low > 0 AND low <= open AND low <= close AND high >= open AND high >= close),
    PRIMARY KEY (symbol, start)
) STRICT, WITHOUT ROWID;

CREATE TABLE price_15m (
    symbol  TEXT    NOT NULL,
    start   INTEGER NOT NULL CHECK (start % 900000 = 0),
    open    INTEGER NOT NULL CHECK (open > 0),
    high    INTEGER NOT NULL,
    low     INTEGER NOT NULL,
    close   INTEGER NOT NULL,
    CHECK (low > 0 AND low <= open AND low <= close AND high >= open AND high >= close),
    PRIMARY KEY (symbol, start)
) STRICT, WITHOUT ROWID;

CREATE TABLE price_4h (
    symbol  TEXT    NOT NULL,
    start   INTEGER NOT NULL CHECK (start % 14400000 = 0),
    open    INTEGER NOT NULL CHECK (open > 0),
    high    INTEGER NOT NULL,
    low     INTEGER NOT NULL,
    close   INTEGER NOT NULL,
    CHECK (low > 0 AND low <= open AND low <= close AND high >= open AND high >= close),
    PRIMARY KEY (symbol, start)
) STRICT, WITHOUT ROWID;

CREATE TABLE price_1d (
    symbol  TEXT    NOT NULL,
    start   INTEGER NOT NULL CHECK (start % 86400000 = 0),
    open    INTEGER NOT NULL CHECK (open > 0),
    high    INTEGER NOT NULL,
    low     INTEGER NOT NULL,
    close   INTEGER NOT NULL,
    CHECK (low > 0 AND low <= open AND low <= close AND high >= open AND high >= close),
    PRIMARY KEY (symbol, start)
) STRICT, WITHOUT ROWID;

INSERT INTO price_5m (symbol, start, open, high, low, close)
SELECT symbol, start, open, high, low, close FROM (
    SELECT symbol, minute - minute % 300000 AS start,
           first_value(open) OVER bucket AS open, max(high) OVER bucket AS high,
           min(low) OVER bucket AS low, last_value(close) OVER bucket AS close,
           row_number() OVER bucket AS k
    FROM price_samples
    WHERE minute < (SELECT rolled_until FROM price_rollup)
       OR (minute < (SELECT rolled_until FROM price_rollup) + 3600000
           AND symbol <= (SELECT cursor FROM price_rollup))
    WINDOW bucket AS (PARTITION BY symbol, minute - minute % 300000 ORDER BY minute
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
WHERE k = 1;

INSERT INTO price_15m (symbol, start, open, high, low, close)
SELECT symbol, start, open, high, low, close FROM (
    SELECT symbol, minute - minute % 900000 AS start,
           first_value(open) OVER bucket AS open, max(high) OVER bucket AS high,
           min(low) OVER bucket AS low, last_value(close) OVER bucket AS close,
           row_number() OVER bucket AS k
    FROM price_samples
    WHERE minute < (SELECT rolled_until FROM price_rollup)
       OR (minute < (SELECT rolled_until FROM price_rollup) + 3600000
           AND symbol <= (SELECT cursor FROM price_rollup))
    WINDOW bucket AS (PARTITION BY symbol, minute - minute % 900000 ORDER BY minute
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
WHERE k = 1;

INSERT INTO price_4h (symbol, start, open, high, low, close)
SELECT symbol, start, open, high, low, close FROM (
    SELECT symbol, hour - hour % 14400000 AS start,
           first_value(open) OVER bucket AS open, max(high) OVER bucket AS high,
           min(low) OVER bucket AS low, last_value(close) OVER bucket AS close,
           row_number() OVER bucket AS k
    FROM price_hours
    WINDOW bucket AS (PARTITION BY symbol, hour - hour % 14400000 ORDER BY hour
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
WHERE k = 1;

INSERT INTO price_1d (symbol, start, open, high, low, close)
SELECT symbol, start, open, high, low, close FROM (
    SELECT symbol, hour - hour % 86400000 AS start,
           first_value(open) OVER bucket AS open, max(high) OVER bucket AS high,
           min(low) OVER bucket AS low, last_value(close) OVER bucket AS close,
           row_number() OVER bucket AS k
    FROM price_hours
    WINDOW bucket AS (PARTITION BY symbol, hour - hour % 86400000 ORDER BY hour
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
WHERE k = 1;

-- A rolled-up minute written, widened or deleted: its buckets again.
CREATE TRIGGER price_samples_mirrored_insert AFTER INSERT ON price_samples
WHEN NEW.minute < (SELECT rolled_until FROM price_rollup)
  OR (NEW.minute < (SELECT rolled_until FROM price_rollup) + 3600000
      AND NEW.symbol <= (SELECT cursor FROM price_rollup)) BEGIN
    DELETE FROM price_5m WHERE symbol = NEW.symbol AND start = NEW.minute - NEW.minute % 300000
        AND NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 300000 AND minute < NEW.minute - NEW.minute % 300000 + 300000);
    INSERT INTO price_5m (symbol, start, open, high, low, close)
    SELECT symbol, NEW.minute - NEW.minute % 300000,
        (SELECT open FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 300000 AND minute < NEW.minute - NEW.minute % 300000 + 300000 ORDER BY minute LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 300000 AND minute < NEW.minute - NEW.minute % 300000 + 300000 ORDER BY minute DESC LIMIT 1)
    FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 300000 AND minute < NEW.minute - NEW.minute % 300000 + 300000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
    DELETE FROM price_15m WHERE symbol = NEW.symbol AND start = NEW.minute - NEW.minute % 900000
        AND NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 900000 AND minute < NEW.minute - NEW.minute % 900000 + 900000);
    INSERT INTO price_15m (symbol, start, open, high, low, close)
    SELECT symbol, NEW.minute - NEW.minute % 900000,
        (SELECT open FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 900000 AND minute < NEW.minute - NEW.minute % 900000 + 900000 ORDER BY minute LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 900000 AND minute < NEW.minute - NEW.minute % 900000 + 900000 ORDER BY minute DESC LIMIT 1)
    FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 900000 AND minute < NEW.minute - NEW.minute % 900000 + 900000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
END;

CREATE TRIGGER price_samples_mirrored_update AFTER UPDATE ON price_samples
WHEN NEW.minute < (SELECT rolled_until FROM price_rollup)
  OR (NEW.minute < (SELECT rolled_until FROM price_rollup) + 3600000
      AND NEW.symbol <= (SELECT cursor FROM price_rollup)) BEGIN
    DELETE FROM price_5m WHERE symbol = NEW.symbol AND start = NEW.minute - NEW.minute % 300000
        AND NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 300000 AND minute < NEW.minute - NEW.minute % 300000 + 300000);
    INSERT INTO price_5m (symbol, start, open, high, low, close)
    SELECT symbol, NEW.minute - NEW.minute % 300000,
        (SELECT open FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 300000 AND minute < NEW.minute - NEW.minute % 300000 + 300000 ORDER BY minute LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 300000 AND minute < NEW.minute - NEW.minute % 300000 + 300000 ORDER BY minute DESC LIMIT 1)
    FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 300000 AND minute < NEW.minute - NEW.minute % 300000 + 300000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
    DELETE FROM price_15m WHERE symbol = NEW.symbol AND start = NEW.minute - NEW.minute % 900000
        AND NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 900000 AND minute < NEW.minute - NEW.minute % 900000 + 900000);
    INSERT INTO price_15m (symbol, start, open, high, low, close)
    SELECT symbol, NEW.minute - NEW.minute % 900000,
        (SELECT open FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 900000 AND minute < NEW.minute - NEW.minute % 900000 + 900000 ORDER BY minute LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 900000 AND minute < NEW.minute - NEW.minute % 900000 + 900000 ORDER BY minute DESC LIMIT 1)
    FROM price_samples WHERE symbol = NEW.symbol AND minute >= NEW.minute - NEW.minute % 900000 AND minute < NEW.minute - NEW.minute % 900000 + 900000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
END;

CREATE TRIGGER price_samples_mirrored_delete AFTER DELETE ON price_samples
WHEN OLD.minute < (SELECT rolled_until FROM price_rollup)
  OR (OLD.minute < (SELECT rolled_until FROM price_rollup) + 3600000
      AND OLD.symbol <= (SELECT cursor FROM price_rollup)) BEGIN
    DELETE FROM price_5m WHERE symbol = OLD.symbol AND start = OLD.minute - OLD.minute % 300000
        AND NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = OLD.symbol AND minute >= OLD.minute - OLD.minute % 300000 AND minute < OLD.minute - OLD.minute % 300000 + 300000);
    INSERT INTO price_5m (symbol, start, open, high, low, close)
    SELECT symbol, OLD.minute - OLD.minute % 300000,
        (SELECT open FROM price_samples WHERE symbol = OLD.symbol AND minute >= OLD.minute - OLD.minute % 300000 AND minute < OLD.minute - OLD.minute % 300000 + 300000 ORDER BY minute LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_samples WHERE symbol = OLD.symbol AND minute >= OLD.minute - OLD.minute % 300000 AND minute < OLD.minute - OLD.minute % 300000 + 300000 ORDER BY minute DESC LIMIT 1)
    FROM price_samples WHERE symbol = OLD.symbol AND minute >= OLD.minute - OLD.minute % 300000 AND minute < OLD.minute - OLD.minute % 300000 + 300000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
    DELETE FROM price_15m WHERE symbol = OLD.symbol AND start = OLD.minute - OLD.minute % 900000
        AND NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = OLD.symbol AND minute >= OLD.minute - OLD.minute % 900000 AND minute < OLD.minute - OLD.minute % 900000 + 900000);
    INSERT INTO price_15m (symbol, start, open, high, low, close)
    SELECT symbol, OLD.minute - OLD.minute % 900000,
        (SELECT open FROM price_samples WHERE symbol = OLD.symbol AND minute >= OLD.minute - OLD.minute % 900000 AND minute < OLD.minute - OLD.minute % 900000 + 900000 ORDER BY minute LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_samples WHERE symbol = OLD.symbol AND minute >= OLD.minute - OLD.minute % 900000 AND minute < OLD.minute - OLD.minute % 900000 + 900000 ORDER BY minute DESC LIMIT 1)
    FROM price_samples WHERE symbol = OLD.symbol AND minute >= OLD.minute - OLD.minute % 900000 AND minute < OLD.minute - OLD.minute % 900000 + 900000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
END;

-- An hourly candle written, merged or deleted: its buckets again.
CREATE TRIGGER price_hours_mirrored_insert AFTER INSERT ON price_hours BEGIN
    DELETE FROM price_4h WHERE symbol = NEW.symbol AND start = NEW.hour - NEW.hour % 14400000
        AND NOT EXISTS (SELECT 1 FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 14400000 AND hour < NEW.hour - NEW.hour % 14400000 + 14400000);
    INSERT INTO price_4h (symbol, start, open, high, low, close)
    SELECT symbol, NEW.hour - NEW.hour % 14400000,
        (SELECT open FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 14400000 AND hour < NEW.hour - NEW.hour % 14400000 + 14400000 ORDER BY hour LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 14400000 AND hour < NEW.hour - NEW.hour % 14400000 + 14400000 ORDER BY hour DESC LIMIT 1)
    FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 14400000 AND hour < NEW.hour - NEW.hour % 14400000 + 14400000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
    DELETE FROM price_1d WHERE symbol = NEW.symbol AND start = NEW.hour - NEW.hour % 86400000
        AND NOT EXISTS (SELECT 1 FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 86400000 AND hour < NEW.hour - NEW.hour % 86400000 + 86400000);
    INSERT INTO price_1d (symbol, start, open, high, low, close)
    SELECT symbol, NEW.hour - NEW.hour % 86400000,
        (SELECT open FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 86400000 AND hour < NEW.hour - NEW.hour % 86400000 + 86400000 ORDER BY hour LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 86400000 AND hour < NEW.hour - NEW.hour % 86400000 + 86400000 ORDER BY hour DESC LIMIT 1)
    FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 86400000 AND hour < NEW.hour - NEW.hour % 86400000 + 86400000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
END;

CREATE TRIGGER price_hours_mirrored_update AFTER UPDATE ON price_hours BEGIN
    DELETE FROM price_4h WHERE symbol = NEW.symbol AND start = NEW.hour - NEW.hour % 14400000
        AND NOT EXISTS (SELECT 1 FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 14400000 AND hour < NEW.hour - NEW.hour % 14400000 + 14400000);
    INSERT INTO price_4h (symbol, start, open, high, low, close)
    SELECT symbol, NEW.hour - NEW.hour % 14400000,
        (SELECT open FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 14400000 AND hour < NEW.hour - NEW.hour % 14400000 + 14400000 ORDER BY hour LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 14400000 AND hour < NEW.hour - NEW.hour % 14400000 + 14400000 ORDER BY hour DESC LIMIT 1)
    FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 14400000 AND hour < NEW.hour - NEW.hour % 14400000 + 14400000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
    DELETE FROM price_1d WHERE symbol = NEW.symbol AND start = NEW.hour - NEW.hour % 86400000
        AND NOT EXISTS (SELECT 1 FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 86400000 AND hour < NEW.hour - NEW.hour % 86400000 + 86400000);
    INSERT INTO price_1d (symbol, start, open, high, low, close)
    SELECT symbol, NEW.hour - NEW.hour % 86400000,
        (SELECT open FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 86400000 AND hour < NEW.hour - NEW.hour % 86400000 + 86400000 ORDER BY hour LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 86400000 AND hour < NEW.hour - NEW.hour % 86400000 + 86400000 ORDER BY hour DESC LIMIT 1)
    FROM price_hours WHERE symbol = NEW.symbol AND hour >= NEW.hour - NEW.hour % 86400000 AND hour < NEW.hour - NEW.hour % 86400000 + 86400000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
END;

CREATE TRIGGER price_hours_mirrored_delete AFTER DELETE ON price_hours BEGIN
    DELETE FROM price_4h WHERE symbol = OLD.symbol AND start = OLD.hour - OLD.hour % 14400000
        AND NOT EXISTS (SELECT 1 FROM price_hours WHERE symbol = OLD.symbol AND hour >= OLD.hour - OLD.hour % 14400000 AND hour < OLD.hour - OLD.hour % 14400000 + 14400000);
    INSERT INTO price_4h (symbol, start, open, high, low, close)
    SELECT symbol, OLD.hour - OLD.hour % 14400000,
        (SELECT open FROM price_hours WHERE symbol = OLD.symbol AND hour >= OLD.hour - OLD.hour % 14400000 AND hour < OLD.hour - OLD.hour % 14400000 + 14400000 ORDER BY hour LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_hours WHERE symbol = OLD.symbol AND hour >= OLD.hour - OLD.hour % 14400000 AND hour < OLD.hour - OLD.hour % 14400000 + 14400000 ORDER BY hour DESC LIMIT 1)
    FROM price_hours WHERE symbol = OLD.symbol AND hour >= OLD.hour - OLD.hour % 14400000 AND hour < OLD.hour - OLD.hour % 14400000 + 14400000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
    DELETE FROM price_1d WHERE symbol = OLD.symbol AND start = OLD.hour - OLD.hour % 86400000
        AND NOT EXISTS (SELECT 1 FROM price_hours WHERE symbol = OLD.symbol AND hour >= OLD.hour - OLD.hour % 86400000 AND hour < OLD.hour - OLD.hour % 86400000 + 86400000);
    INSERT INTO price_1d (symbol, start, open, high, low, close)
    SELECT symbol, OLD.hour - OLD.hour % 86400000,
        (SELECT open FROM price_hours WHERE symbol = OLD.symbol AND hour >= OLD.hour - OLD.hour % 86400000 AND hour < OLD.hour - OLD.hour % 86400000 + 86400000 ORDER BY hour LIMIT 1),
        max(high), min(low),
        (SELECT close FROM price_hours WHERE symbol = OLD.symbol AND hour >= OLD.hour - OLD.hour % 86400000 AND hour < OLD.hour - OLD.hour % 86400000 + 86400000 ORDER BY hour DESC LIMIT 1)
    FROM price_hours WHERE symbol = OLD.symbol AND hour >= OLD.hour - OLD.hour % 86400000 AND hour < OLD.hour - OLD.hour % 86400000 + 86400000 GROUP BY symbol
    ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close;
END;
)sql";

} // namespace kryptod::storage
