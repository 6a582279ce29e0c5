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

// The event fields of one object, as found. Strings point into the parser's
// string buffer and live until the next frame.
struct event_fields {
    std::string_view e, s, p; // p: only when not p_plain
    std::int64_t event_time = 0, agg_id = -1, trade_id = -1, trade_time = -1;
    std::int64_t p_units = 0; // the price, when read_plain_trade() converted it
    bool has_e = false, has_s = false, has_p = false, has_a = false, has_t = false,
         has_trade_time = false, p_plain = false;
    std::string_view bad; // first field whose value had the wrong type
};

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

// Readers for the numbers of a plain trade (read_plain_trade() below), eight
// digits at a time, where they are in the frame: decode_padded()'s frame is
// followed by `padding` readable bytes, so reading 24 bytes from any point
// of it stays in bounds (bytes past the frame's end are never believed).
static_assert(std::endian::native == std::endian::little);
constexpr std::uint64_t ascii_zeros = 0x3030303030303030;

std::uint64_t load8(char const* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Bit 7 set in each byte of `v` that is not an ASCII digit. Exact up to the
// first such byte, which is all the callers use (a carry out of it may mark
// the next one).
std::uint64_t non_digit_bytes(std::uint64_t v) noexcept {
    std::uint64_t const t = v ^ ascii_zeros; // a digit becomes 0..9, nothing else does
    return ((t + 0x7676767676767676) | t) & 0x8080808080808080;
}

// How many of the eight bytes from `p` are digits before the first other byte.
std::size_t digit_run(char const* p) noexcept {
    std::uint64_t const m = non_digit_bytes(load8(p));
    return m == 0 ? 8 : static_cast<std::size_t>(std::countr_zero(m)) / 8;
}

// The value of eight ASCII digits in a word, the first byte most significant.
std::uint64_t eight_digits(std::uint64_t v) noexcept {
    v -= ascii_zeros;
    v = v * 10 + (v >> 8);
    return (((v & 0x000000FF000000FF) * (100 + (1000000ULL << 32))) +
            (((v >> 16) & 0x000000FF000000FF) * (1 + (10000ULL << 32)))) >>
           32;
}

// The value of the n (1 to 8) digits at p: shifted up so that they end the
// word, with '0's before them.
std::uint64_t leading_digits(char const* p, std::size_t n) noexcept {
    if (n == 8) return eight_digits(load8(p));
    return eight_digits((load8(p) << (64 - 8 * n)) | (ascii_zeros >> (8 * n)));
}

// The value of the n (1 to 18) digits at p.
std::uint64_t digits_value(char const* p, std::size_t n) noexcept {
    if (n <= 8) return leading_digits(p, n);
    if (n <= 16) return leading_digits(p, n - 8) * 100000000 + eight_digits(load8(p + n - 8));
    return (leading_digits(p, n - 16) * 100000000 + eight_digits(load8(p + n - 16))) * 100000000 +
           eight_digits(load8(p + n - 8));
}

// The length of the JSON integer at p if it has 1 to 18 digits, no sign and
// no leading zero and is followed, before `end`, by ',' or '}' (what
// simdjson's get_int64() accepts there, with the same value, put in
// `value`); else 0.
std::size_t plain_integer(char const* p, char const* end, std::int64_t& value) noexcept {
    std::size_t n = digit_run(p);
    if (n == 8) n += digit_run(p + 8);
    if (n == 16) n += digit_run(p + 16);
    if (n == 0 || n > 18 || (p[0] == '0' && n > 1)) return 0;
    if (p + n >= end || (p[n] != ',' && p[n] != '}')) return 0;
    value = static_cast<std::int64_t>(digits_value(p, n));
    return n;
}

// A JSON string at `p` (opening quote first, its closing quote known to be
// in the frame) holding plain digits with at most 8 decimals, as Binance
// writes every price ("61837.63000000"): its price in units, exactly as
// core::price::parse() gives it for the same text (at most 10 integral
// digits, so the units fit in 63 bits). Anything else is nullopt.
std::optional<std::int64_t> plain_price_units(char const* p) noexcept {
    static_assert(core::price::decimals == 8);
    if (*p++ != '"') return std::nullopt;
    std::size_t n = digit_run(p);
    if (n == 8) n += digit_run(p + 8);
    if (n == 0 || n > 10) return std::nullopt;
    auto const units = static_cast<std::int64_t>(digits_value(p, n)) * core::price::scale;
    p += n;
    if (*p == '"') return units;
    if (*p++ != '.') return std::nullopt;
    std::size_t const f = digit_run(p);
    if (f == 0 || p[f] != '"') return std::nullopt;
    // The f decimals followed by '0's up to eight.
    std::uint64_t const keep = f == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * f)) - 1;
    return units +
           static_cast<std::int64_t>(eight_digits((load8(p) & keep) | (ascii_zeros & ~keep)));
}

// The shape of every trade Binance streams, read in place without simdjson:
//   {"stream":"<name>","data":{"<key>":<value>,...}}
// with no whitespace, keys and string values of printable ASCII without
// quote or backslash, and values that are such strings, integers of 1 to 18
// digits without sign or leading zero, true or false; event fields (the
// one-letter keys absorb_event_field() knows) of the type it expects. Such a
// frame is valid JSON that simdjson decodes to exactly these fields (the
// same strings, the same integers), so finish_event() gives the same result
// from either. Any other frame (an unexpected field type, whitespace, an
// escape, a byte outside ASCII, a control reply, a broken frame) returns
// false, and simdjson decides.
//
// Why: stage 1 and On-Demand's walk over a trade's fourteen fields were about
// two thirds of its decoding time, and both do work this shape never needs
// (UTF-8 validation, structural indexing, escape handling).

constexpr std::size_t not_plain = ~std::size_t{0};

// The length of the plain string whose content starts at p (after its
// opening quote), up to its closing quote before `end`; not_plain if a byte
// that is not printable ASCII, or a backslash, comes first. Eight bytes at a
// time: each mask below is exact up to its first marked byte, so the lowest
// marked byte of their union is the first stop.
std::size_t plain_string_length(char const* p, char const* end) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    auto const zero_bytes = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
    for (std::size_t i = 0; p + i < end; i += 8) {
        std::uint64_t const v = load8(p + i);
        std::uint64_t const stop = (v & highs) | ((v - 0x20 * ones) & ~v & highs) |
                                   zero_bytes(v ^ ('"' * ones)) | zero_bytes(v ^ ('\\' * ones));
        if (stop == 0) continue;
        std::size_t const k = i + static_cast<std::size_t>(std::countr_zero(stop)) / 8;
        return p + k < end && p[k] == '"' ? k : not_plain;
    }
    return not_plain;
}

// The JSON type absorb_event_field() takes for an event field, by its
// one-letter name; a field of another name may hold anything.
enum class field_kind { other, text, integer };

constexpr field_kind kind_of(char key) noexcept {
    switch (key) {
    case 'e':
    case 's':
    case 'p':
        return field_kind::text;
    case 'a':
    case 't':
    case 'T':
    case 'E':
        return field_kind::integer;
    default:
        return field_kind::other;
    }
}

bool read_plain_trade(char const* p, char const* end, event_fields& ev) noexcept {
    auto const skip = [&](std::string_view text) {
        if (static_cast<std::size_t>(end - p) < text.size() ||
            std::memcmp(p, text.data(), text.size()) != 0)
            return false;
        p += text.size();
        return true;
    };
    if (!skip(R"({"stream":")")) return false;
    std::size_t const name = plain_string_length(p, end);
    if (name == not_plain) return false;
    p += name + 1;
    if (!skip(R"(,"data":{)")) return false;
    for (;;) {
        if (!skip("\"")) return false;
        std::size_t const key_length = plain_string_length(p, end);
        if (key_length == not_plain) return false;
        char const key = key_length == 1 ? *p : '\0'; // event fields have one-letter names
        p += key_length + 1;
        if (!skip(":") || p == end) return false;
        field_kind const kind = kind_of(key);
        if (*p == '"') {
            if (kind == field_kind::integer) return false;
            std::size_t const length = plain_string_length(p + 1, end);
            if (length == not_plain) return false;
            std::string_view const text(p + 1, length);
            switch (key) {
            case 'e':
                ev.e = text;
                ev.has_e = true;
                break;
            case 's':
                ev.s = text;
                ev.has_s = true;
                break;
            case 'p':
                if (auto const units = plain_price_units(p)) {
                    ev.p_units = *units;
                    ev.p_plain = true;
                } else {
                    ev.p = text;
                    ev.p_plain = false;
                }
                ev.has_p = true;
                break;
            default:
                break;
            }
            p += length + 2;
        } else if (std::int64_t value; std::size_t const digits = plain_integer(p, end, value)) {
            if (kind == field_kind::text) return false;
            switch (key) {
            case 'a':
                ev.agg_id = value;
                ev.has_a = true;
                break;
            case 't':
                ev.trade_id = value;
                ev.has_t = true;
                break;
            case 'T':
                ev.trade_time = value;
                ev.has_trade_time = true;
                break;
            case 'E':
                ev.event_time = value;
                break;
            default:
                break;
            }
            p += digits;
        } else if (kind != field_kind::other || (!skip("true") && !skip("false"))) {
            return false;
        }
        if (skip(",")) continue;
        if (!skip("}")) return false;
        break;
    }
    return end - p == 1 && *p == '}';
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
