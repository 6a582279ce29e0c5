// tick: one trade price of one coin, as the evaluator sees it after decoding.
//
// `exchange_time` is the exchange's trade time (Binance `T`); `backfilled`
// marks trades replayed after a feed gap, whose fires say so in their events.
#pragma once

#include "core/price.hpp"
#include "core/symbol_table.hpp"
#include "core/time.hpp"

namespace kryptod::core {

struct tick {
    symbol_id symbol = 0;
    price last;
    millis exchange_time = 0;
    bool backfilled = false;
};

} // namespace kryptod::core
