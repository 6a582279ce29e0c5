// storage::feed_state_store: where the feed stopped, per coin, so that a
// restart backfills from the last aggregate-trade id and knows the last price.
// Functions throw SQLite::Exception on a database failure.
#pragma once

#include "core/price.hpp"
#include "core/time.hpp"

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::storage::feed_state_store {

struct feed_state {
    std::string symbol;
    std::int64_t last_trade_id = 0;   // Binance aggregate-trade id `a`
    core::millis last_trade_time = 0; // its exchange time `T`
    core::price last_price;           // its price (positive)
};

// The state of every coin that has seen a trade, by symbol.
std::vector<feed_state> load_all(SQLite::Database& db);

std::optional<feed_state> get(SQLite::Database& db, std::string_view symbol);

// Records the latest trade of a coin. A state older than the stored one (by
// trade id) is ignored, so a late write never moves the feed backwards.
void set(SQLite::Database& db, feed_state const& state);

} // namespace kryptod::storage::feed_state_store
