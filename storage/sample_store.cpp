// storage::sample_store: SQL for per-minute samples.
#include "storage/sample_store.hpp"

#include "storage/sql.hpp"
#include "storage/statement_cache.hpp"

#include <SQLiteCpp/Statement.h>

namespace kryptod::storage::sample_store {

namespace {

// Runs `sql`, an insert of `s` into its minute whose conflict clause says
// what a second write to the same minute changes.
void write_sample(SQLite::Database& db, sample const& s, std::string_view sql) {
    cached_statement st_sql(db, sql);
    auto& st = *st_sql;
    st.bind(1, s.symbol);
    st.bind(2, static_cast<int64_t>(minute_of(s.minute)));
    st.bind(3, static_cast<int64_t>(s.open.units()));
    st.bind(4, static_cast<int64_t>(s.high.units()));
    st.bind(5, static_cast<int64_t>(s.low.units()));
    st.bind(6, static_cast<int64_t>(s.close.units()));
    st.exec();
}

#define KRYPTOD_INSERT_SAMPLE                                                                      \
    "INSERT INTO price_samples (symbol, minute, open, high, low, close) "                          \
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (symbol, minute) DO UPDATE SET "                        \
    "high = max(high, excluded.high), low = min(low, excluded.low)"

} // namespace

void upsert(SQLite::Database& db, sample const& s) {
    write_sample(db, s, KRYPTOD_INSERT_SAMPLE ", close = excluded.close");
}

// A late trade of a minute already written widens its range; its close
// stays the minute's last trade.
void widen(SQLite::Database& db, sample const& s) {
    write_sample(db, s, KRYPTOD_INSERT_SAMPLE);
}

#undef KRYPTOD_INSERT_SAMPLE

page<sample> list(SQLite::Database& db, sample_query const& q) {
    constexpr char const* where = " FROM price_samples WHERE symbol = ?1 AND minute >= ?2 AND "
                                  "minute < ?3";
    auto bind_range = [&](SQLite::Statement& st) {
        st.bind(1, q.symbol);
        st.bind(2, static_cast<int64_t>(q.from.value_or(INT64_MIN)));
        st.bind(3, static_cast<int64_t>(q.to.value_or(INT64_MAX)));
    };
    page<sample> out;
    cached_statement total_sql(db, std::string("SELECT count(*)") + where);
    auto& total = *total_sql;
    bind_range(total);
    out.total = sql::count(total);
    cached_statement st_sql(db, std::string("SELECT minute, open, high, low, close") + where +
                                    " ORDER BY minute DESC LIMIT ?4 OFFSET ?5");
    auto& st = *st_sql;
    bind_range(st);
    st.bind(4, static_cast<int64_t>(q.paging.limit));
    st.bind(5, static_cast<int64_t>(q.paging.offset));
    while (st.executeStep()) {
        out.items.push_back(sample{q.symbol, st.getColumn(0).getInt64(),
                                   core::price::from_units(st.getColumn(1).getInt64()),
                                   core::price::from_units(st.getColumn(2).getInt64()),
                                   core::price::from_units(st.getColumn(3).getInt64()),
                                   core::price::from_units(st.getColumn(4).getInt64())});
    }
    return out;
}

std::optional<core::price> close_at_or_before(SQLite::Database& db, std::string_view symbol,
                                              core::millis time) {
    cached_statement st_sql(db, "SELECT close FROM price_samples WHERE symbol = ? AND minute <= ? "
                                "ORDER BY minute DESC LIMIT 1");
    auto& st = *st_sql;
    st.bind(1, std::string(symbol));
    st.bind(2, static_cast<int64_t>(time));
    if (!st.executeStep()) return std::nullopt;
    return core::price::from_units(st.getColumn(0).getInt64());
}

int delete_before(SQLite::Database& db, core::millis cutoff, int batch) {
    cached_statement st_sql(
        db, "DELETE FROM price_samples WHERE (symbol, minute) IN (SELECT symbol, "
            "minute FROM price_samples WHERE minute < min(?, (SELECT rolled_until FROM "
            "price_rollup)) ORDER BY minute LIMIT ?)");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(cutoff));
    st.bind(2, batch);
    return st.exec();
}

std::vector<sample> oldest_first(SQLite::Database& db, std::string_view symbol, core::millis from,
                                 core::millis to) {
    cached_statement st_sql(db, "SELECT minute, open, high, low, close FROM price_samples "
                                "WHERE symbol = ?1 AND minute >= ?2 AND minute < ?3 "
                                "ORDER BY minute");
    auto& st = *st_sql;
    st.bind(1, std::string(symbol));
    st.bind(2, static_cast<int64_t>(from));
    st.bind(3, static_cast<int64_t>(to));
    std::vector<sample> out;
    while (st.executeStep())
        out.push_back(sample{std::string(symbol), st.getColumn(0).getInt64(),
                             core::price::from_units(st.getColumn(1).getInt64()),
                             core::price::from_units(st.getColumn(2).getInt64()),
                             core::price::from_units(st.getColumn(3).getInt64()),
                             core::price::from_units(st.getColumn(4).getInt64())});
    return out;
}

} // namespace kryptod::storage::sample_store
