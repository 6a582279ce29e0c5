// binance_decode: turns one Binance websocket text frame into what the feed
// acts on: a trade (aggTrade or trade, raw or wrapped in a combined-stream
// envelope), a subscription result, an error reply, a serverShutdown notice,
// an event kryptod does not use, or a malformed frame with its reason.
//
// Invariants: pure (no I/O, no clock, no logging); never throws, whatever the
// bytes; prices go from their decimal text straight to core::price, never
// through floating point; a trade is reported only when every field the
// evaluator needs (symbol, id, price, trade time) is present and valid. The
// decoder reuses one simdjson parser, so decoding a frame allocates nothing
// once the parser has grown to the largest frame seen.
//
// Not thread-safe: one decoder per thread (each feed connection has its own).
#pragma once

#include "core/price.hpp"
#include "core/symbol_table.hpp"
#include "core/time.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::daemon::feed {

enum class frame_kind {
    trade,               // an aggTrade or trade event
    subscription_result, // {"result":..., "id":N}: a SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS
                         // answer
    error,               // {"error":{"code","msg"},"id":N} or {"code","msg","id"}
    server_shutdown,     // the server will close this connection soon
    ignored,             // valid JSON of an event kryptod does not use (depth, bookTicker...)
    malformed,           // not JSON, not an object, or a known event with missing/bad fields
};

std::string_view to_string(frame_kind kind) noexcept;

struct decoded_frame {
    frame_kind kind = frame_kind::malformed;

    // trade
    std::optional<core::symbol_id> symbol; // nullopt: a coin not in the table
    bool aggregate = false;                // aggTrade (id is `a`) or trade (id is `t`)
    std::int64_t trade_id = 0;
    core::price price;
    core::millis trade_time = 0; // `T`
    core::millis event_time = 0; // `E` (0 when absent)

    // subscription_result and error; -1 when the reply carried no usable id
    std::int64_t request_id = -1;
    std::int64_t error_code = 0;
    std::string error_message; // only set for errors, which are rare

    // malformed: why (a static string)
    std::string_view reason;

    // The symbol as sent (upper-cased), for logs about unknown coins.
    std::array<char, core::symbol_max_length> symbol_text{};
    std::size_t symbol_length = 0;
    std::string_view symbol_view() const noexcept { return {symbol_text.data(), symbol_length}; }
};

class binance_decoder {
public:
    // Readable bytes a frame must be followed by for decode_padded() to read
    // it in place (at least simdjson's SIMDJSON_PADDING).
    static constexpr std::size_t padding = 64;

    binance_decoder();
    ~binance_decoder();
    binance_decoder(binance_decoder const&) = delete;
    binance_decoder& operator=(binance_decoder const&) = delete;

    // Decodes a frame that is followed in memory by at least `padding`
    // readable bytes (capacity >= size + padding), without copying it. Coins are looked up in
    // `symbols`. Never fails: a frame that cannot be understood comes back as
    // frame_kind::malformed.
    decoded_frame const& decode_padded(char const* data, std::size_t size, std::size_t capacity,
                                       core::symbol_table const& symbols) noexcept;

    // As decode_padded(), for any text: copies it into an internal padded
    // buffer first.
    decoded_frame const& decode(std::string_view frame, core::symbol_table const& symbols) noexcept;

    // The simdjson implementations decoding runs on, for logs and
    // benchmarks: stage 1 as dispatched at run time and stage 2 as compiled
    // in, e.g. "haswell stage 1, fallback stage 2".
    std::string_view engine_name() const noexcept;

private:
    struct engine; // the simdjson parser, kept out of this header
    std::unique_ptr<engine> engine_;
    std::string copy_; // padded copy for decode()
    decoded_frame out_;
};

} // namespace kryptod::daemon::feed
