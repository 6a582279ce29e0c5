// storage::feed_state_store: SQL for the per-coin feed position.
#include "storage/feed_state_store.hpp"

#include "storage/statement_cache.hpp"

#include <SQLiteCpp/Statement.h>

namespace kryptod::storage::feed_state_store {

namespace {

feed_state read(SQLite::Statement& st) {
    return feed_state{st.getColumn(0).getString(), st.getColumn(1).getInt64(),
                      st.getColumn(2).getInt64(),
                      core::price::from_units(st.getColumn(3).getInt64())};
}

} // namespace

std::vector<feed_state> load_all(SQLite::Database& db) {
    std::vector<feed_state> out;
    cached_statement st_sql(db, "SELECT symbol, last_trade_id, last_trade_time, last_price "
                                "FROM feed_state ORDER BY symbol");
    auto& st = *st_sql;
    while (st.executeStep())
        out.push_back(read(st));
    return out;
}

std::optional<feed_state> get(SQLite::Database& db, std::string_view symbol) {
    cached_statement st_sql(db, "SELECT symbol, last_trade_id, last_trade_time, last_price "
                                "FROM feed_state WHERE symbol = ?");
    auto& st = *st_sql;
    st.bind(1, std::string(symbol));
    if (!st.executeStep()) return std::nullopt;
    return read(st);
}

void set(SQLite::Database& db, feed_state const& s) {
    cached_statement st_sql(db,
                            "INSERT INTO feed_state (symbol, last_trade_id, last_trade_time, "
                            "last_price) VALUES (?, ?, ?, ?) ON CONFLICT (symbol) DO UPDATE SET "
                            "last_trade_id = excluded.last_trade_id, "
                            "last_trade_time = excluded.last_trade_time, "
                            "last_price = excluded.last_price "
                            "WHERE excluded.last_trade_id >= feed_state.last_trade_id");
    auto& st = *st_sql;
    st.bind(1, s.symbol);
    st.bind(2, static_cast<int64_t>(s.last_trade_id));
    st.bind(3, static_cast<int64_t>(s.last_trade_time));
    st.bind(4, static_cast<int64_t>(s.last_price.units()));
    st.exec();
}

} // namespace kryptod::storage::feed_state_store
