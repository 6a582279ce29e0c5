// storage::coin_store: SQL for the coin list.
#include "storage/coin_store.hpp"

#include "storage/statement_cache.hpp"

#include <SQLiteCpp/Statement.h>

namespace kryptod::storage::coin_store {

std::vector<coin_record> list(SQLite::Database& db) {
    std::vector<coin_record> out;
    cached_statement st_sql(db, "SELECT symbol, added_at FROM coins ORDER BY symbol");
    auto& st = *st_sql;
    while (st.executeStep())
        out.push_back(coin_record{st.getColumn(0).getString(), st.getColumn(1).getInt64()});
    return out;
}

bool add(SQLite::Database& db, std::string_view symbol, core::millis now) {
    cached_statement st_sql(
        db, "INSERT INTO coins (symbol, added_at) VALUES (?, ?) ON CONFLICT (symbol) DO NOTHING");
    auto& st = *st_sql;
    st.bind(1, std::string(symbol));
    st.bind(2, static_cast<int64_t>(now));
    return st.exec() == 1;
}

remove_outcome remove(SQLite::Database& db, std::string_view symbol) {
    // The check and the delete run in the caller's transaction (a writer
    // job), so no alert can be armed on the coin in between.
    cached_statement used_sql(db, "SELECT EXISTS (SELECT 1 FROM alerts WHERE symbol = ? AND "
                                  "status = 'active')");
    auto& used = *used_sql;
    used.bind(1, std::string(symbol));
    used.executeStep();
    if (used.getColumn(0).getInt() != 0) return remove_outcome::in_use;
    cached_statement st_sql(db, "DELETE FROM coins WHERE symbol = ?");
    auto& st = *st_sql;
    st.bind(1, std::string(symbol));
    return st.exec() == 1 ? remove_outcome::removed : remove_outcome::not_found;
}

} // namespace kryptod::storage::coin_store
