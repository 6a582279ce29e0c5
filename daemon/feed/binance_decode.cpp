// binance_decode: frame decoding with simdjson On-Demand.
//
// One pass over each JSON object: fields are matched by name in whatever
// order they come (Binance's order is fixed today, but a reordered or
// pretty-printed frame must decode the same); values kryptod does not need
// are skipped without being parsed. Every failure path returns a
// frame_kind::malformed with a static reason, so a hostile frame costs one
// counter increment and never an exception.
#include "daemon/feed/binance_decode.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

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
    std::string_view e, s, p;
    std::int64_t event_time = 0, agg_id = -1, trade_id = -1, trade_time = -1;
    bool has_e = false, has_s = false, has_p = false, has_a = false, has_t = false,
         has_trade_time = false;
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

// Turns the fields of one event into the decoded frame. Returns the reason
// when it is malformed, or an empty view.
std::string_view finish_event(event_fields const& ev, core::symbol_table const& symbols,
                              decoded_frame& out) noexcept {
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
    if (core::validate_symbol(ev.s) != core::symbol_error::none) return "invalid symbol";
    auto const parsed = core::price::parse(ev.p);
    if (!parsed) return "invalid price";
    if (parsed.value.units() <= 0) return "price is not positive";

    out.kind = frame_kind::trade;
    out.aggregate = agg;
    out.trade_id = id;
    out.price = parsed.value;
    out.trade_time = ev.trade_time;
    out.event_time = ev.event_time;
    // validate_symbol() bounded the length; the min() restates it for the
    // compiler.
    out.symbol_length = std::min(ev.s.size(), out.symbol_text.size());
    for (std::size_t i = 0; i < out.symbol_length; ++i) {
        char const c = ev.s[i];
        out.symbol_text[i] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    out.symbol = symbols.find(out.symbol_view());
    return {};
}

} // namespace

static_assert(binance_decoder::padding >= simdjson::SIMDJSON_PADDING);

namespace {
namespace ondemand = simdjson::ondemand;

// Reads one event field if `key` names one; returns false when the key is not
// an event field (so the caller may treat it as an envelope field).
inline bool absorb_event_field(ondemand::raw_json_string key, ondemand::value value,
                               event_fields& ev) noexcept {
    auto const note_bad = [&](std::string_view what) {
        if (ev.bad.empty()) ev.bad = what;
    };
    if (key == "e") {
        if (value.get_string().get(ev.e))
            note_bad("event type is not a string");
        else
            ev.has_e = true;
    } else if (key == "s") {
        if (value.get_string().get(ev.s))
            note_bad("symbol is not a string");
        else
            ev.has_s = true;
    } else if (key == "p") {
        if (value.get_string().get(ev.p))
            note_bad("price is not a string");
        else
            ev.has_p = true;
    } else if (key == "a") {
        if (value.get_int64().get(ev.agg_id))
            note_bad("aggregate id is not a 64-bit integer");
        else
            ev.has_a = true;
    } else if (key == "t") {
        if (value.get_int64().get(ev.trade_id))
            note_bad("trade id is not a 64-bit integer");
        else
            ev.has_t = true;
    } else if (key == "T") {
        if (value.get_int64().get(ev.trade_time))
            note_bad("trade time is not a 64-bit integer");
        else
            ev.has_trade_time = true;
    } else if (key == "E") {
        if (value.get_int64().get(ev.event_time)) note_bad("event time is not a 64-bit integer");
    } else {
        return false;
    }
    return true;
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

// Decodes one padded frame into `out`. Returns the reason when the frame is
// malformed, else an empty view.
inline std::string_view decode_frame(ondemand::parser& parser, char const* data, std::size_t size,
                                     std::size_t capacity, core::symbol_table const& symbols,
                                     decoded_frame& out) noexcept {
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
    if (has_inner) return finish_event(inner, symbols, out);
    if (has_result) {
        out.kind = frame_kind::subscription_result;
        return {};
    }
    if (outer.has_e) return finish_event(outer, symbols, out);
    out.kind = frame_kind::ignored; // e.g. a REST depth snapshot: valid, not ours
    return {};
}

} // namespace

struct binance_decoder::engine {
    ondemand::parser parser;
};

binance_decoder::binance_decoder()
    : engine_(std::make_unique<engine>()) {}

binance_decoder::~binance_decoder() = default;

std::string_view binance_decoder::engine_name() const noexcept {
    // The implementation this file was compiled for: the header's On-Demand
    // API does not dispatch at run time (simdjson::builtin_implementation()
    // would name the shared library's, which may differ).
#define KRYPTOD_STRINGIFY_(x) #x
#define KRYPTOD_STRINGIFY(x) KRYPTOD_STRINGIFY_(x)
    return KRYPTOD_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION);
#undef KRYPTOD_STRINGIFY
#undef KRYPTOD_STRINGIFY_
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
    if (auto reason = decode_frame(engine_->parser, data, size, capacity, symbols, out_);
        !reason.empty()) {
        out_.kind = frame_kind::malformed;
        out_.reason = reason;
    }
    return out_;
}

} // namespace kryptod::daemon::feed
