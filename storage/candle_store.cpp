// storage::candle_store: candles folded from minutes and hours, their
// counts from the per-day tables, and the hourly rollup.
#include "storage/candle_store.hpp"

#include "storage/statement_cache.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <sqlite3.h>
#include <string_view>

namespace kryptod::storage::candle_store {

namespace {

using core::millis;

constexpr millis minute_ms = 60'000;
constexpr millis hour_ms = 3'600'000;
constexpr millis day_ms = 86'400'000;
// Later than any time a price can carry (the year 37,648), and a whole day,
// so that "no upper bound" is a day boundary like any other.
constexpr millis end_of_time = (millis{1} << 50) / day_ms * day_ms;
// Where a row stream switches from hourly candles to minutes: everything
// from minutes, or everything from hours.
constexpr millis all_minutes = std::numeric_limits<millis>::min();
constexpr millis all_hours = std::numeric_limits<millis>::max();

// The rows of a rolled-up table of one coin in [?, ?), newest first.
#define KRYPTOD_ROLLED(table, column)                                                              \
    "SELECT " column ", open, high, low, close FROM " table " WHERE symbol = ? AND " column        \
    " >= ? AND " column " < ? ORDER BY " column " DESC"

struct interval_info {
    interval value;
    std::string_view name;
    millis length;
    // Where its candles come from before the rollup's watermark: a table of
    // candles of this length (price_hours for 1h, a mirror of
    // migration_price_mirrors.hpp for the others); empty: the minutes.
    // After the watermark, always the minutes.
    std::string_view rolled_sql;
    bool hour_counted; // counted by price_hour_days, else by price_days
    // The per-day count of this interval's non-empty buckets.
    std::string_view day_count;
};

constexpr std::array<interval_info, 6> intervals{{
    {interval::m1, "1m", minute_ms, "", false, "n1"},
    {interval::m5, "5m", 5 * minute_ms, KRYPTOD_ROLLED("price_5m", "start"), false, "n5"},
    {interval::m15, "15m", 15 * minute_ms, KRYPTOD_ROLLED("price_15m", "start"), false, "n15"},
    {interval::h1, "1h", hour_ms, KRYPTOD_ROLLED("price_hours", "hour"), true, "n60"},
    {interval::h4, "4h", 4 * hour_ms, KRYPTOD_ROLLED("price_4h", "start"), true, "n240"},
    // A day row exists only with an hour in it.
    {interval::d1, "1d", day_ms, KRYPTOD_ROLLED("price_1d", "start"), true, "1"},
}};
#undef KRYPTOD_ROLLED

interval_info const& info(interval i) noexcept {
    return intervals[static_cast<std::size_t>(i)];
}

millis floor_to(millis t, millis unit) noexcept {
    millis const r = t % unit;
    return r < 0 ? t - r - unit : t - r;
}

millis ceil_to(millis t, millis unit) noexcept {
    return floor_to(t + unit - 1, unit);
}

// A minute sample or a rolled-up candle, prices in units.
struct row {
    millis time = 0;
    std::int64_t open = 0, high = 0, low = 0, close = 0;
};

row read_row(sqlite3_stmt* st) {
    return {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
            sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4)};
}

row read_row(SQLite::Statement& st) {
    return {st.getColumn(0).getInt64(), st.getColumn(1).getInt64(), st.getColumn(2).getInt64(),
            st.getColumn(3).getInt64(), st.getColumn(4).getInt64()};
}

// The rows of one coin in [lo, hi), newest first: one-minute samples at or
// after `split`, then the rolled-up candles that `rolled_sql` selects
// before it. `live`, when it lies among the minutes, takes the
// place of its stored minute (or is added).
class row_stream {
public:
    row_stream(SQLite::Database& db, std::string const& symbol, millis lo, millis hi, millis split,
               std::string_view rolled_sql, std::optional<row> const& live)
        : db_(db)
        , symbol_(symbol)
        , lo_(lo)
        , hi_(hi)
        , split_(split)
        , rolled_sql_(rolled_sql) {
        millis const minutes_lo = std::max(lo, split);
        if (live && live->time >= minutes_lo && live->time < hi) live_ = live;
        if (minutes_lo < hi) {
            minutes_.emplace(db, "SELECT minute, open, high, low, close FROM price_samples "
                                 "WHERE symbol = ? AND minute >= ? AND minute < ? "
                                 "ORDER BY minute DESC");
            bind(*minutes_, minutes_lo, hi);
            step_minutes();
        }
    }

    bool next(row& out) {
        if (live_ && (!pending_ || pending_->time <= live_->time)) {
            if (pending_ && pending_->time == live_->time) step_minutes();
            out = *live_;
            live_.reset();
            return true;
        }
        if (pending_) {
            out = *pending_;
            step_minutes();
            return true;
        }
        if (!hours_started_) {
            hours_started_ = true;
            millis const hours_hi = std::min(hi_, split_);
            if (lo_ < hours_hi && !rolled_sql_.empty()) {
                hours_.emplace(db_, rolled_sql_);
                bind(*hours_, lo_, hours_hi);
            }
        }
        if (hours_ && hours_->step()) {
            out = read_row(hours_->get());
            return true;
        }
        return false;
    }

private:
    void bind(raw_statement& st, millis lo, millis hi) {
        st.bind(1, symbol_);
        st.bind(2, std::int64_t{lo});
        st.bind(3, std::int64_t{hi});
    }

    void step_minutes() {
        if (minutes_->step())
            pending_ = read_row(minutes_->get());
        else
            pending_.reset();
    }

    SQLite::Database& db_;
    std::string const& symbol_;
    millis lo_, hi_, split_;
    std::string_view rolled_sql_;
    // Raw: a page reads thousands of rows (statement_cache.hpp).
    std::optional<raw_statement> minutes_, hours_; // hours_: the rolled-up rows
    std::optional<row> pending_;                   // the next minute row
    std::optional<row> live_;
    bool hours_started_ = false;
};

// Folds `rows` (newest first) into candles of `length` and hands them to
// `take`, newest first, until it returns false.
template <class F>
void fold(row_stream& rows, millis length, F&& take) {
    std::optional<row> candle;
    row r;
    while (rows.next(r)) {
        millis const start = floor_to(r.time, length);
        if (candle && candle->time == start) {
            candle->open = r.open; // an older row: the candle's open so far
            candle->high = std::max(candle->high, r.high);
            candle->low = std::min(candle->low, r.low);
            continue;
        }
        if (candle && !take(*candle)) return;
        candle = r;
        candle->time = start;
    }
    if (candle) take(*candle);
}

std::int64_t count_candles(row_stream&& rows, millis length) {
    std::int64_t n = 0;
    fold(rows, length, [&](row const&) {
        ++n;
        return true;
    });
    return n;
}

candle to_candle(row const& r) {
    return {r.time, core::price::from_units(r.open), core::price::from_units(r.high),
            core::price::from_units(r.low), core::price::from_units(r.close)};
}

struct rollup_mark {
    millis until = 0;
    std::string cursor; // coins <= cursor of the hour at `until` are rolled up
};

rollup_mark read_mark(SQLite::Database& db) {
    cached_statement st(db, "SELECT rolled_until, cursor FROM price_rollup WHERE id = 1");
    if (!st->executeStep()) return {};
    return {st->getColumn(0).getInt64(), st->getColumn(1).getString()};
}

// The candles of one query: where its rows come from, and the per-day
// counts that stand for the rows of whole days.
class candle_reader {
public:
    candle_reader(SQLite::Database& db, candle_query const& q)
        : db_(db)
        , q_(q)
        , length_(info(q.every).length)
        , rolled_sql_(info(q.every).rolled_sql)
        , hourly_(info(q.every).hour_counted) {
        auto clamp = [](millis t) { return std::clamp<millis>(t, 0, end_of_time); };
        lo_ = q.from ? ceil_to(clamp(*q.from), length_) : 0;
        hi_ = q.to ? ceil_to(clamp(*q.to), length_) : end_of_time;
        split_ = all_minutes;
        head_ = end_of_time;
        if (!rolled_sql_.empty()) {
            auto const mark = read_mark(db);
            split_ = mark.until;
            if (!mark.cursor.empty() && q.symbol <= mark.cursor) split_ += hour_ms;
            head_ = floor_to(split_, length_);
        }
        if (q.open_minute && q.open_minute->symbol == q.symbol) {
            auto const& m = *q.open_minute;
            row live{sample_store::minute_of(m.minute), m.open.units(), m.high.units(),
                     m.low.units(), m.close.units()};
            if (live.time >= split_) {
                live_ = live;
                head_ = std::min(head_, floor_to(live.time, length_));
            }
        }
        head_ = std::clamp(head_, lo_, std::max(lo_, hi_));
    }

    page<candle> run() {
        page<candle> out;
        if (lo_ >= hi_) return out;
        // The newest candles, after the rollup or holding the live minute,
        // are few: they are counted by folding their rows.
        std::int64_t const head_count = count_candles(rows(head_, hi_), length_);
        out.total = head_count + (lo_ < head_ ? table_count() : 0);
        auto const offset = q_.paging.offset;
        if (offset >= out.total || q_.paging.limit <= 0) return out;
        millis start = hi_;
        std::int64_t skip = offset;
        if (offset >= head_count) locate(offset - head_count, start, skip);
        if (q_.every == interval::m1 && skip > 0 && (!live_ || live_->time >= start))
            seek_minute(start, skip);
        auto stream = rows(lo_, start);
        fold(stream, length_, [&](row const& r) {
            if (skip > 0) {
                --skip;
                return true;
            }
            out.items.push_back(to_candle(r));
            return static_cast<std::int64_t>(out.items.size()) < q_.paging.limit;
        });
        return out;
    }

private:
    // One-minute candles are the stored minutes, one row each: the page
    // starts at the `skip`-th minute below `start`, found by stepping the
    // key alone rather than reading and folding every row before it.
    void seek_minute(millis& start, std::int64_t& skip) {
        cached_statement st(db_,
                            "SELECT minute FROM price_samples WHERE symbol = ? AND "
                            "minute >= ? AND minute < ? ORDER BY minute DESC LIMIT 1 OFFSET ?");
        st->bind(1, q_.symbol);
        st->bind(2, static_cast<int64_t>(lo_));
        st->bind(3, static_cast<int64_t>(start));
        st->bind(4, static_cast<int64_t>(skip));
        if (!st->executeStep()) return; // past the rows: the fold finds nothing either
        start = st->getColumn(0).getInt64() + minute_ms;
        skip = 0;
    }

    row_stream rows(millis lo, millis hi) {
        return row_stream(db_, q_.symbol, lo, hi, split_, rolled_sql_, live_);
    }

    // The rows the per-day counts count: the hourly candles (or their
    // mirror), or the stored minutes (or their mirror before the split).
    std::int64_t table_candles(millis lo, millis hi) {
        if (lo >= hi) return 0;
        if (q_.every == interval::m1) {
            // A candle a minute: counted by the key alone, no row decoded.
            cached_statement st(db_, "SELECT count(*) FROM price_samples WHERE symbol = ? AND "
                                     "minute >= ? AND minute < ?");
            st->bind(1, q_.symbol);
            st->bind(2, static_cast<int64_t>(lo));
            st->bind(3, static_cast<int64_t>(hi));
            st->executeStep();
            return st->getColumn(0).getInt64();
        }
        return count_candles(row_stream(db_, q_.symbol, lo, hi, hourly_ ? all_hours : split_,
                                        rolled_sql_, std::nullopt),
                             length_);
    }

    std::string day_sql(std::string_view what, std::string_view tail) const {
        return std::string("SELECT ") + std::string(what) + " FROM " +
               (hourly_ ? "price_hour_days" : "price_days") +
               " WHERE symbol = ? AND day >= ? AND day < ?" + std::string(tail);
    }

    // The candles in [lo_, head_), which lie before the head: whole days
    // from their counts, less the candles of the edge days outside it.
    std::int64_t table_count() {
        // Minutes from the start of time: the coin's count, less the few
        // minutes on and after the head's day (the summed days stop there).
        if (q_.every == interval::m1 && lo_ == 0) {
            cached_statement count(db_, "SELECT n FROM price_counts WHERE symbol = ?");
            count->bind(1, q_.symbol);
            std::int64_t const n = count->executeStep() ? count->getColumn(0).getInt64() : 0;
            return n - table_candles(head_, end_of_time);
        }
        cached_statement st(
            db_, day_sql("coalesce(sum(" + std::string(info(q_.every).day_count) + "), 0)", ""));
        st->bind(1, q_.symbol);
        st->bind(2, static_cast<int64_t>(floor_to(lo_, day_ms)));
        st->bind(3, static_cast<int64_t>(ceil_to(head_, day_ms)));
        st->executeStep();
        std::int64_t n = st->getColumn(0).getInt64();
        return n - table_candles(floor_to(lo_, day_ms), lo_) -
               table_candles(head_, ceil_to(head_, day_ms));
    }

    // Finds where the candle `skip` places into [lo_, head_) (newest first)
    // lies: reading from `start` down, it is the `skip_within`-th.
    void locate(std::int64_t skip, millis& start, std::int64_t& skip_within) {
        cached_statement st(
            db_, day_sql("day, " + std::string(info(q_.every).day_count), " ORDER BY day DESC"));
        st->bind(1, q_.symbol);
        st->bind(2, static_cast<int64_t>(floor_to(lo_, day_ms)));
        st->bind(3, static_cast<int64_t>(ceil_to(head_, day_ms)));
        while (st->executeStep()) {
            millis const day = st->getColumn(0).getInt64();
            std::int64_t n = st->getColumn(1).getInt64();
            millis const unit_lo = std::max(day, lo_);
            millis const unit_hi = std::min(day + day_ms, head_);
            n -= table_candles(day, unit_lo) + table_candles(unit_hi, day + day_ms);
            if (skip < n) {
                start = unit_hi;
                skip_within = skip;
                return;
            }
            skip -= n;
        }
        // Unreachable while the counts are exact (offset < total); an empty
        // page is the safe answer if they were not.
        start = lo_;
        skip_within = 0;
    }

    SQLite::Database& db_;
    candle_query const& q_;
    millis const length_;
    std::string_view const rolled_sql_;
    bool const hourly_; // counted by price_hour_days, not price_days
    millis lo_ = 0, hi_ = 0;
    millis split_ = all_minutes; // rows from rolled-up candles before it
    millis head_ = end_of_time;  // candles from here on are counted by folding
    std::optional<row> live_;
};

// Merges a candle of `hour` (minutes first..last) into price_hours: an
// existing candle keeps the open of its earliest minute and the close of its
// latest, so merging the same minutes twice changes nothing.
void merge_hour(SQLite::Database& db, std::string const& symbol, millis hour, row const& c,
                millis first, millis last) {
    cached_statement st(
        db, "INSERT INTO price_hours (symbol, hour, open, high, low, close, first_minute, "
            "last_minute) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (symbol, hour) DO UPDATE SET "
            "open = CASE WHEN excluded.first_minute <= first_minute THEN excluded.open ELSE open "
            "END, close = CASE WHEN excluded.last_minute >= last_minute THEN excluded.close ELSE "
            "close END, high = max(high, excluded.high), low = min(low, excluded.low), "
            "first_minute = min(first_minute, excluded.first_minute), "
            "last_minute = max(last_minute, excluded.last_minute)");
    st->bind(1, symbol);
    st->bind(2, static_cast<int64_t>(hour));
    st->bind(3, static_cast<int64_t>(c.open));
    st->bind(4, static_cast<int64_t>(c.high));
    st->bind(5, static_cast<int64_t>(c.low));
    st->bind(6, static_cast<int64_t>(c.close));
    st->bind(7, static_cast<int64_t>(first));
    st->bind(8, static_cast<int64_t>(last));
    st->exec();
}

// Writes the candle `c` (all the stored minutes of its bucket) into the
// minute mirror `sql` names, replacing what a trigger may have put there.
void write_mirror(SQLite::Database& db, std::string_view sql, std::string const& symbol,
                  row const& c) {
    cached_statement st(db, sql);
    st->bind(1, symbol);
    st->bind(2, static_cast<int64_t>(c.time));
    st->bind(3, static_cast<int64_t>(c.open));
    st->bind(4, static_cast<int64_t>(c.high));
    st->bind(5, static_cast<int64_t>(c.low));
    st->bind(6, static_cast<int64_t>(c.close));
    st->exec();
}

// Rolls the minutes of `symbol` in the hour starting at `hour` into it and
// into its 5- and 15-minute candles.
void roll_up_coin(SQLite::Database& db, std::string const& symbol, millis hour) {
    cached_statement st(db, "SELECT minute, open, high, low, close FROM price_samples "
                            "WHERE symbol = ? AND minute >= ? AND minute < ? ORDER BY minute");
    st->bind(1, symbol);
    st->bind(2, static_cast<int64_t>(hour));
    st->bind(3, static_cast<int64_t>(hour + hour_ms));
    // The minute mirrors, each with the candle being folded.
    struct mirror {
        millis length;
        std::string_view sql;
        std::optional<row> candle;
    };
#define KRYPTOD_WRITE_MIRROR(table)                                                                \
    "INSERT INTO " table " (symbol, start, open, high, low, close) VALUES (?, ?, ?, ?, ?, ?) "     \
    "ON CONFLICT (symbol, start) DO UPDATE SET open = excluded.open, high = excluded.high, "       \
    "low = excluded.low, close = excluded.close"
    std::array<mirror, 2> mirrors{{{5 * minute_ms, KRYPTOD_WRITE_MIRROR("price_5m"), {}},
                                   {15 * minute_ms, KRYPTOD_WRITE_MIRROR("price_15m"), {}}}};
#undef KRYPTOD_WRITE_MIRROR
    std::optional<row> c;
    millis first = 0, last = 0;
    auto widen = [](row& into, row const& r) {
        into.high = std::max(into.high, r.high);
        into.low = std::min(into.low, r.low);
        into.close = r.close;
    };
    while (st->executeStep()) {
        row const r = read_row(*st);
        if (!c) {
            c = r;
            first = r.time;
        } else {
            widen(*c, r);
        }
        last = r.time;
        for (auto& m : mirrors) {
            millis const start = floor_to(r.time, m.length);
            if (m.candle && m.candle->time == start) {
                widen(*m.candle, r);
                continue;
            }
            if (m.candle) write_mirror(db, m.sql, symbol, *m.candle);
            m.candle = r;
            m.candle->time = start;
        }
    }
    for (auto const& m : mirrors)
        if (m.candle) write_mirror(db, m.sql, symbol, *m.candle);
    if (c) merge_hour(db, symbol, hour, *c, first, last);
}

void write_mark(SQLite::Database& db, rollup_mark const& mark) {
    cached_statement st(db, "UPDATE price_rollup SET rolled_until = ?, cursor = ? WHERE id = 1");
    st->bind(1, static_cast<int64_t>(mark.until));
    st->bind(2, mark.cursor);
    st->exec();
}

} // namespace

core::millis length(interval i) noexcept {
    return info(i).length;
}

std::optional<interval> interval_from_string(std::string_view text) noexcept {
    for (auto const& i : intervals)
        if (i.name == text) return i.value;
    return std::nullopt;
}

std::string_view to_string(interval i) noexcept {
    return info(i).name;
}

std::string interval_names() {
    std::string out;
    for (auto const& i : intervals) {
        if (!out.empty()) out += ", ";
        out += i.name;
    }
    return out;
}

page<candle> list(SQLite::Database& db, candle_query const& query) {
    return candle_reader(db, query).run();
}

bool roll_up(SQLite::Database& db, core::millis now, int coins) {
    auto mark = read_mark(db);
    auto const before = mark;
    millis const open_hour = floor_to(now, hour_ms);
    if (mark.cursor.empty()) {
        // Hours without a single minute need no rollup: start at the first
        // minute there is (a minute written there later is merged by the
        // schema's trigger, as for any hour already rolled up).
        cached_statement st(db, "SELECT min(minute) FROM price_samples WHERE minute >= ?");
        st->bind(1, static_cast<int64_t>(mark.until));
        st->executeStep();
        millis const next =
            st->getColumn(0).isNull() ? open_hour : floor_to(st->getColumn(0).getInt64(), hour_ms);
        mark.until = std::max(mark.until, std::min(next, open_hour));
    }
    if (mark.until < open_hour) {
        cached_statement st(
            db, "SELECT symbol FROM price_counts WHERE symbol > ? ORDER BY symbol LIMIT ?");
        st->bind(1, mark.cursor);
        st->bind(2, coins);
        int done = 0;
        std::string last;
        while (st->executeStep()) {
            last = st->getColumn(0).getString();
            roll_up_coin(db, last, mark.until);
            ++done;
        }
        if (done < coins) {
            mark.until += hour_ms;
            mark.cursor.clear();
        } else {
            mark.cursor = last;
        }
    }
    if (mark.until != before.until || mark.cursor != before.cursor) write_mark(db, mark);
    return mark.until < open_hour;
}

core::millis rolled_until(SQLite::Database& db) {
    return read_mark(db).until;
}

int delete_hours_before(SQLite::Database& db, core::millis cutoff, int batch) {
    cached_statement st(db, "DELETE FROM price_hours WHERE (symbol, hour) IN (SELECT symbol, hour "
                            "FROM price_hours WHERE hour < ? ORDER BY hour LIMIT ?)");
    st->bind(1, static_cast<int64_t>(cutoff));
    st->bind(2, batch);
    return st->exec();
}

} // namespace kryptod::storage::candle_store
