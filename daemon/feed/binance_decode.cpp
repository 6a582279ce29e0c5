// binance_decode: frame decoding with simdjson On-Demand, and an in-place
// reader for trades in Binance's own compact shape that gives the same
// result without it.
//
// One pass over each JSON object: fields are matched by name in whatever
// order they come (Binance's order is fixed today, but a reordered or
// pretty-printed frame must decode the same); values kryptod does not need
// are skipped without being parsed. Every failure path returns a
// frame_kind::malformed with a static reason, so a hostile frame costs one
// counter increment and never an exception.
//
// Speed (a trade frame is decoded on the hot path, millions per second in the
// benchmark). Where the time went, measured with perf on the recorded
// BTCUSDT trades: simdjson's own work (stage 1 and walking the fields) was
// under half; the rest was kryptod's: comparing each key with each name in
// turn, symbol_table::find() (validate, fold, hash, compare) and the general
// price parser. Hence the one-switch key dispatch, the symbol_cache and
// parse_plain_price() below, each exact and each falling back to the general
// path for anything unusual.
// After those, simdjson itself was most of a trade's time (perf, recorded
// BTCUSDT trades: stage 1 a quarter, the On-Demand walk with its digit-by-
// digit integers most of the rest), doing work a compact, ASCII, escape-free
// trade never needs. read_plain_trade() reads exactly that shape in one pass
// (strings and digits eight bytes at a time) and hands anything else to
// simdjson; decode + index went from about 128 to 112 ns a frame
// (feed_bench, best of runs alternated with the previous build).
// Stage 1 already runs the best kernel for the CPU (the library dispatches
// it at run time); only stage 2, the header's On-Demand code, is compiled
// for this file's baseline target (`fallback` with Debian's x86-64 flags).
// A second copy of this file built with -mavx2 and chosen at run time was
// measured at about 3% faster, not worth a renamed simdjson namespace and a
// second engine to keep identical, so there is one engine.
#include "daemon/feed/binance_decode.hpp"

#include "daemon/feed/plain_trade.hpp"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

namespace kryptod::daemon::feed {

std::string_view to_string(frame_kind kind) noexcept {
    switch (kind) {
    case frame_kind::trade:
        return "trade";
    case frame_kind::subscription_result:
        return "subscription_result";
    case frame_kind::error:
        return "error";
    case frame_kind::server_shutdown:
        return "server_shutdown";
    case frame_kind::ignored:
        return "ignored";
    case frame_kind::malformed:
        return "malformed";
    }
    return "unknown";
}

namespace {

using namespace plain_trade;

} // namespace

decoded_frame const& binance_decoder::decode(std::string_view frame,
                                             core::symbol_table const& symbols) noexcept {
    try {
        copy_.reserve(frame.size() + padding);
        copy_.assign(frame.data(), frame.size());
    } catch (...) {
        out_ = decoded_frame{};
        out_.reason = "out of memory";
        return out_;
    }
    return decode_padded(copy_.data(), copy_.size(), copy_.capacity(), symbols);
}

namespace {

// The ids of the coins seen lately, so that a trade's symbol costs one
// comparison instead of symbol_table::find() (which validates, folds, hashes
// and compares: a sixth of a trade's decoding time). Direct-mapped, indexed
// by a hash of the canonical text. An entry is only a guess, confirmed
// against symbols.name() before it is believed, so an entry from another
// table, or overwritten by a colliding coin, can never give a wrong id; ids
// never change once interned, so a confirmed entry is right. Coins the table
// does not know are not remembered: they may be interned at any time.
class symbol_cache {
public:
    // The id of `canonical` if it is remembered and still names it, else
    // nullopt. A hit implies the symbol is valid: it equals an interned name.
    std::optional<core::symbol_id> recall(core::symbol_table const& symbols,
                                          std::string_view canonical) const noexcept {
        std::uint64_t const slot = slots_[slot_of(canonical)];
        if (slot != 0 && slot - 1 < symbols.size() &&
            symbols.name(static_cast<core::symbol_id>(slot - 1)) == canonical)
            return static_cast<core::symbol_id>(slot - 1);
        return std::nullopt;
    }

    // symbols.find(canonical), remembered when found.
    std::optional<core::symbol_id> find(core::symbol_table const& symbols,
                                        std::string_view canonical) noexcept {
        auto const id = symbols.find(canonical);
        if (id) slots_[slot_of(canonical)] = std::uint64_t{*id} + 1;
        return id;
    }

private:
    // Cheap rather than good: a collision only costs a find().
    static std::size_t slot_of(std::string_view text) noexcept {
        std::size_t h = text.size();
        for (std::size_t i = 0; i < text.size() && i < 4; ++i)
            h = h * 31 + static_cast<unsigned char>(text[i]);
        return h % slots;
    }

    static constexpr std::size_t slots = 128;
    std::array<std::uint64_t, slots> slots_{}; // id + 1; 0 is empty
};

// Binance writes every price as plain digits with at most 8 decimals
// ("61837.63000000"); such a text is converted here in one pass, exactly (at
// most 10 integral digits, so the units fit in 63 bits). Any other text (a
// sign, an exponent, more digits, garbage) returns nullopt and is left to
// core::price::parse(), which decides. For every text accepted here both
// give the same price; core's general parser cost a tenth of a trade's
// decoding time.
std::optional<core::price> parse_plain_price(std::string_view text) noexcept {
    static_assert(core::price::decimals == 8);
    constexpr std::array<std::uint64_t, 9> pow10{100000000, 10000000, 1000000, 100000, 10000,
                                                 1000,      100,      10,      1};
    auto const digit = [](char c) { return static_cast<unsigned>(c - '0'); };
    std::size_t i = 0;
    std::uint64_t units = 0;
    while (i < text.size() && digit(text[i]) < 10)
        units = units * 10 + digit(text[i++]);
    if (i == 0 || i > 10) return std::nullopt;
    std::size_t decimals = 0;
    if (i < text.size() && text[i] == '.') {
        std::size_t const start = ++i;
        while (i < text.size() && digit(text[i]) < 10)
            units = units * 10 + digit(text[i++]);
        decimals = i - start;
        if (decimals == 0 || decimals > 8) return std::nullopt;
    }
    if (i != text.size()) return std::nullopt;
    return core::price::from_units(static_cast<std::int64_t>(units * pow10[decimals]));
}

// Turns the fields of one event into the decoded frame. Returns the reason
// when it is malformed, or an empty view.
std::string_view finish_event(event_fields const& ev, core::symbol_table const& symbols,
                              symbol_cache& cache, decoded_frame& out) noexcept {
    if (!ev.has_e) {
        // bookTicker and partial-depth payloads carry no event type (and use
        // `a`/`b` for prices): valid, just not trades.
        out.kind = frame_kind::ignored;
        return {};
    }
    bool const agg = ev.e == "aggTrade";
    if (!agg && ev.e != "trade") {
        out.kind = ev.e == "serverShutdown" ? frame_kind::server_shutdown : frame_kind::ignored;
        return {};
    }
    if (!ev.bad.empty()) return ev.bad;
    if (!ev.has_s) return "trade without a symbol `s`";
    if (!ev.has_p) return "trade without a price `p`";
    if (!ev.has_trade_time) return "trade without a trade time `T`";
    if (agg ? !ev.has_a : !ev.has_t)
        return agg ? "aggTrade without an id `a`" : "trade without an id `t`";
    std::int64_t const id = agg ? ev.agg_id : ev.trade_id;
    if (id < 0) return "negative trade id";
    if (ev.trade_time < 0) return "negative trade time";

    // The symbol: a coin remembered by the cache is valid by construction,
    // any other is validated and looked up.
    if (ev.s.size() > out.symbol_text.size()) return "invalid symbol";
    for (std::size_t i = 0; i < ev.s.size(); ++i) {
        char const c = ev.s[i];
        out.symbol_text[i] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    out.symbol_length = ev.s.size();
    out.symbol = cache.recall(symbols, out.symbol_view());
    if (!out.symbol) {
        if (core::validate_symbol(ev.s) != core::symbol_error::none) {
            out.symbol_length = 0;
            return "invalid symbol";
        }
        out.symbol = cache.find(symbols, out.symbol_view());
    }

    core::price price;
    if (ev.p_plain) {
        price = core::price::from_units(ev.p_units);
    } else if (auto const plain = parse_plain_price(ev.p)) {
        price = *plain;
    } else {
        auto const parsed = core::price::parse(ev.p);
        if (!parsed) return "invalid price";
        price = parsed.value;
    }
    if (price.units() <= 0) return "price is not positive";

    out.kind = frame_kind::trade;
    out.aggregate = agg;
    out.trade_id = id;
    out.price = price;
    out.trade_time = ev.trade_time;
    out.event_time = ev.event_time;
    return {};
}

} // namespace

static_assert(binance_decoder::padding >= simdjson::SIMDJSON_PADDING);

namespace {
namespace ondemand = simdjson::ondemand;

// Reads one event field if `key` names one; returns false when the key is not
// an event field (so the caller may treat it as an envelope field).
//
// Every event field has a one-letter name, so the key is dispatched on its
// first byte with one switch rather than compared in turn with each name
// (a chain of comparisons per field, for the nine to eleven fields of every
// trade). Like raw_json_string's own comparison, this matches the key as
// written: an escaped name is not an event field.
[[gnu::always_inline]] inline bool absorb_event_field(ondemand::raw_json_string key,
                                                      ondemand::value value,
                                                      event_fields& ev) noexcept {
    auto const note_bad = [&](std::string_view what) {
        if (ev.bad.empty()) ev.bad = what;
    };
    char const* const name = key.raw(); // after the opening quote
    if (name[0] == '"' || name[1] != '"') return false;
    switch (name[0]) {
    case 'e':
        if (value.get_string().get(ev.e))
            note_bad("event type is not a string");
        else
            ev.has_e = true;
        return true;
    case 's':
        if (value.get_string().get(ev.s))
            note_bad("symbol is not a string");
        else
            ev.has_s = true;
        return true;
    case 'p':
        if (value.get_string().get(ev.p))
            note_bad("price is not a string");
        else
            ev.has_p = true;
        return true;
    case 'a':
        if (value.get_int64().get(ev.agg_id))
            note_bad("aggregate id is not a 64-bit integer");
        else
            ev.has_a = true;
        return true;
    case 't':
        if (value.get_int64().get(ev.trade_id))
            note_bad("trade id is not a 64-bit integer");
        else
            ev.has_t = true;
        return true;
    case 'T':
        if (value.get_int64().get(ev.trade_time))
            note_bad("trade time is not a 64-bit integer");
        else
            ev.has_trade_time = true;
        return true;
    case 'E':
        if (value.get_int64().get(ev.event_time)) note_bad("event time is not a 64-bit integer");
        return true;
    default:
        return false;
    }
}

// Reads a nested event object ("data" of a combined frame, "event" of the
// WebSocket API). Returns false when the object itself is broken.
inline bool read_event(ondemand::object obj, event_fields& ev) noexcept {
    for (auto item : obj) {
        ondemand::field field;
        if (std::move(item).get(field)) return false;
        absorb_event_field(field.key(), field.value(), ev);
    }
    return true;
}

// What decoding keeps from one frame to the next.
struct decoder_state {
    ondemand::parser parser;
    symbol_cache symbols;
};

// Decodes one padded frame into `out`. Returns the reason when the frame is
// malformed, else an empty view.
inline std::string_view decode_frame(decoder_state& state, char const* data, std::size_t size,
                                     std::size_t capacity, core::symbol_table const& symbols,
                                     decoded_frame& out) noexcept {
    symbol_cache& cache = state.symbols;
    if (event_fields plain; read_plain_trade(data, data + size, plain))
        return finish_event(plain, symbols, cache, out);
    ondemand::parser& parser = state.parser;
    ondemand::document doc;
    if (parser.iterate(data, size, capacity).get(doc)) return "not JSON";
    ondemand::object top;
    if (doc.get_object().get(top)) return "not a JSON object";

    event_fields outer, inner;
    bool has_inner = false, has_result = false, has_error = false, has_code = false;
    std::string_view msg;
    for (auto item : top) {
        ondemand::field field;
        if (std::move(item).get(field)) return "broken JSON";
        ondemand::raw_json_string const key = field.key();
        ondemand::value value = field.value();
        if (absorb_event_field(key, value, outer)) continue;
        if (key == "data" || key == "event") {
            ondemand::json_type type;
            if (value.type().get(type)) return "broken JSON in `data`";
            if (type == ondemand::json_type::array) continue; // !ticker@arr and friends: not ours
            ondemand::object obj;
            if (value.get_object().get(obj)) return "`data` is not an object";
            if (!read_event(obj, inner)) return "broken JSON in `data`";
            has_inner = true;
        } else if (key == "result") {
            has_result = true; // null, or the list of LIST_SUBSCRIPTIONS: skipped
        } else if (key == "id") {
            std::int64_t id = -1;
            out.request_id = value.get_int64().get(id) ? -1 : id;
        } else if (key == "error") {
            ondemand::object obj;
            if (value.get_object().get(obj)) return "`error` is not an object";
            has_error = true;
            for (auto e : obj) {
                ondemand::field f;
                if (std::move(e).get(f)) return "broken JSON in `error`";
                ondemand::raw_json_string const k = f.key();
                if (k == "code") {
                    if (f.value().get_int64().get(out.error_code)) out.error_code = 0;
                } else if (k == "msg") {
                    if (f.value().get_string().get(msg)) msg = {};
                }
            }
        } else if (key == "code") {
            has_code = true;
            if (value.get_int64().get(out.error_code)) out.error_code = 0;
        } else if (key == "msg") {
            if (value.get_string().get(msg)) msg = {};
        }
    }
    if (has_error || (has_code && !outer.has_e)) {
        out.kind = frame_kind::error;
        try {
            out.error_message.assign(msg.data(), msg.size());
        } catch (...) {
            out.error_message.clear();
        }
        return {};
    }
    if (has_inner) return finish_event(inner, symbols, cache, out);
    if (has_result) {
        out.kind = frame_kind::subscription_result;
        return {};
    }
    if (outer.has_e) return finish_event(outer, symbols, cache, out);
    out.kind = frame_kind::ignored; // e.g. a REST depth snapshot: valid, not ours
    return {};
}

} // namespace

struct binance_decoder::engine {
    decoder_state state;
    std::string name;
};

binance_decoder::binance_decoder()
    : engine_(std::make_unique<engine>()) {
    // Stage 1 runs in the library, dispatched at run time (the parser gets it
    // from get_active_implementation()); stage 2 is the header's On-Demand
    // code, compiled for this file's target (SIMDJSON_BUILTIN_IMPLEMENTATION).
#define KRYPTOD_STRINGIFY_(x) #x
#define KRYPTOD_STRINGIFY(x) KRYPTOD_STRINGIFY_(x)
    engine_->name = simdjson::get_active_implementation()->name() + " stage 1, " +
                    KRYPTOD_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION) + " stage 2";
#undef KRYPTOD_STRINGIFY
#undef KRYPTOD_STRINGIFY_
}

binance_decoder::~binance_decoder() = default;

std::string_view binance_decoder::engine_name() const noexcept {
    return engine_->name;
}

decoded_frame const& binance_decoder::decode_padded(char const* data, std::size_t size,
                                                    std::size_t capacity,
                                                    core::symbol_table const& symbols) noexcept {
    if (capacity < size + padding) return decode(std::string_view(data, size), symbols);
    // Reset only what a previous frame may have left; error_message keeps its
    // capacity.
    out_.kind = frame_kind::malformed;
    out_.symbol.reset();
    out_.request_id = -1;
    out_.error_code = 0;
    out_.error_message.clear();
    out_.reason = {};
    out_.symbol_length = 0;
    if (auto reason = decode_frame(engine_->state, data, size, capacity, symbols, out_);
        !reason.empty()) {
        out_.kind = frame_kind::malformed;
        out_.reason = reason;
    }
    return out_;
}

} // namespace kryptod::daemon::feed
