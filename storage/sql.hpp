// storage::sql: small functions shared by the store implementations for binding
// and reading nullable columns. Internal to storage/.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <string>

namespace kryptod::storage::sql {

inline void bind(SQLite::Statement& st, int index, std::optional<std::int64_t> const& v) {
    if (v)
        st.bind(index, static_cast<int64_t>(*v));
    else
        st.bind(index);
}

inline void bind(SQLite::Statement& st, int index, std::optional<std::string> const& v) {
    if (v)
        st.bind(index, *v);
    else
        st.bind(index);
}

inline std::optional<std::int64_t> opt_int64(SQLite::Column const& c) {
    if (c.isNull()) return std::nullopt;
    return c.getInt64();
}

inline std::optional<std::string> opt_text(SQLite::Column const& c) {
    if (c.isNull()) return std::nullopt;
    return c.getString();
}

// The number of rows a query counts; for `total` of a page.
inline std::int64_t count(SQLite::Statement& st) {
    st.executeStep();
    return st.getColumn(0).getInt64();
}

} // namespace kryptod::storage::sql
