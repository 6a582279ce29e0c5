// The JSON of a page of GET /api/prices: {"items", "total", "limit",
// "offset"}, each item {"symbol", "time", "price", "open", "high", "low"}
// (SPEC §3 "Market data"), written straight into one string.
//
// Why not a Boost.JSON document: a page holds up to 1,000 candles, 6,000
// members each inserted with a duplicate-key check and each string
// allocated, which cost more than reading the candles. Here a time is
// formatted from its day's date, computed once per day of the page, and a
// price from its units with std::to_chars, without allocating.
//
// Invariant: the text equals what serialising the document of the same
// page gives (members in the same order, the same strings): times as
// core::format_rfc3339 writes them, prices as core::price::to_string.
//
// Thread-safety: stateless functions.
#pragma once

#include "storage/candle_store.hpp"
#include "storage/page.hpp"

#include <string>
#include <string_view>

namespace kryptod::daemon::api {

// Appends `t` as core::format_rfc3339 writes it.
void append_rfc3339(std::string& out, core::millis t);

// Appends `p` as core::price::to_string writes it.
void append_price(std::string& out, core::price p);

// The page of candles of the coin `symbol`.
std::string candle_page_text(std::string_view symbol,
                             storage::page<storage::candle_store::candle> const& p,
                             storage::page_request const& req);

} // namespace kryptod::daemon::api
