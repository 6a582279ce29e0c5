// storage::startup: one consistent read of what the daemon starts from.
#include "storage/startup.hpp"

#include "storage/alert_store.hpp"

#include <SQLiteCpp/Transaction.h>

#include <stdexcept>

namespace kryptod::storage {

std::string startup_state::summary() const {
    return "loaded " + std::to_string(armed) + " armed alerts, " + std::to_string(coins.size()) +
           " coins, " + std::to_string(feed.size()) + " feed positions in " +
           std::to_string(took.count()) + " ms";
}

startup_state load_startup(SQLite::Database& db, core::symbol_table& symbols,
                           alert_store::armed_alert_fn const& on_armed) {
    auto const t0 = std::chrono::steady_clock::now();
    startup_state s;
    // A deferred transaction that only reads: one snapshot for all three.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::DEFERRED);
    s.coins = coin_store::list(db);
    for (auto const& c : s.coins)
        if (!symbols.try_intern(c.symbol))
            throw std::runtime_error("coin list holds an invalid symbol '" + c.symbol + "'");
    s.armed = alert_store::for_each_armed(db, symbols, on_armed);
    s.feed = feed_state_store::load_all(db);
    tx.commit();
    s.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    return s;
}

} // namespace kryptod::storage
