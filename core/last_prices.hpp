// last_prices: the newest trade price and its exchange time per coin, for
// direction inference and `GET /api/coins`.
//
// Invariants: storage is a dense vector indexed by symbol_id, grown on first
// record; an entry only moves forward in exchange time, so a replayed older
// trade (backfill) never overwrites a newer live one.
//
// Not thread-safe: owned by the thread that runs the evaluator.
#pragma once

#include "core/price.hpp"
#include "core/symbol_table.hpp"
#include "core/time.hpp"

#include <optional>
#include <vector>

namespace kryptod::core {

class last_prices {
public:
    struct entry {
        price last;
        millis time = 0;
    };

    // Records `p` at exchange time `time` unless the coin already has a newer
    // price (equal times: the later call wins, as trades arrive in order).
    // Returns whether it was recorded.
    bool record(symbol_id symbol, price p, millis time) {
        if (symbol >= entries_.size()) entries_.resize(symbol + std::size_t{1});
        auto& slot = entries_[symbol];
        if (slot && time < slot->time) return false;
        slot = entry{p, time};
        return true;
    }

    // The newest recorded price of `symbol`, or nullopt when none was seen.
    std::optional<entry> get(symbol_id symbol) const noexcept {
        return symbol < entries_.size() ? entries_[symbol] : std::nullopt;
    }

    // Just the price, the shape infer_direction() takes.
    std::optional<price> price_of(symbol_id symbol) const noexcept {
        auto const e = get(symbol);
        return e ? std::optional<price>(e->last) : std::nullopt;
    }

private:
    std::vector<std::optional<entry>> entries_;
};

} // namespace kryptod::core
