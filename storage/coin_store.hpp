// storage::coin_store: the list of coins the feed follows.
//
// Symbols are stored upper-case (the schema refuses anything else); callers
// normalise them first. Functions throw SQLite::Exception on a database
// failure.
#pragma once

#include "core/time.hpp"

#include <SQLiteCpp/Database.h>

#include <string>
#include <string_view>
#include <vector>

namespace kryptod::storage::coin_store {

struct coin_record {
    std::string symbol;
    core::millis added_at = 0;
};

// Every coin, by symbol.
std::vector<coin_record> list(SQLite::Database& db);

// Adds a coin; returns false when it was already there (nothing changes).
// A symbol that is not upper-case or not 1 to 20 characters long fails with
// a constraint error.
bool add(SQLite::Database& db, std::string_view symbol, core::millis now);

enum class remove_outcome { removed, not_found, in_use };

// Removes a coin unless an active alert uses it (in_use: the API's 409).
// Alerts that are not active keep their symbol as history.
remove_outcome remove(SQLite::Database& db, std::string_view symbol);

} // namespace kryptod::storage::coin_store
