// storage::startup: what the daemon reads from the database before it
// serves: the armed alerts for the index, the coin list, the feed position
// and last price of each coin, with counts and the time the load took for the
// log and systemd's STATUS=.
#pragma once

#include "core/alert.hpp"
#include "core/symbol_table.hpp"
#include "storage/alert_store.hpp"
#include "storage/coin_store.hpp"
#include "storage/feed_state_store.hpp"

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <string>
#include <vector>

namespace kryptod::storage {

struct startup_state {
    std::vector<coin_store::coin_record> coins;
    std::size_t armed = 0; // alerts handed to the callback
    std::vector<feed_state_store::feed_state> feed;
    std::chrono::milliseconds took{0};

    // "loaded 1000 armed alerts, 3 coins, 3 feed positions in 42 ms"
    std::string summary() const;
};

// How many alerts are armed (status active), read cheaply from the per-user
// counts: what the index should make room for before load_startup().
std::size_t count_armed(SQLite::Database& db);

// Reads everything startup needs in one read transaction (one consistent
// state), interning every coin and alert symbol into `symbols` and handing
// each armed alert to `on_armed` (which arms it in the index), in the
// index's own order, so each arm appends: by coin, side, then target (above:
// descending, below: ascending), then id. Throws
// SQLite::Exception or std::runtime_error (startup only: the daemon logs it
// and exits).
startup_state load_startup(SQLite::Database& db, core::symbol_table& symbols,
                           alert_store::armed_alert_fn const& on_armed);

} // namespace kryptod::storage
