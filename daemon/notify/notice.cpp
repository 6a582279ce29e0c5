// notify::notice: the outbox payload as a small JSON object
// ({"kind": "alert" | "account", ...}). Prices travel as exact decimal
// strings, times as Unix milliseconds.
#include "daemon/notify/notice.hpp"

#include "core/rfc3339.hpp"

#include <boost/json.hpp>

#include <cassert>
#include <string>

namespace kryptod::daemon::notify {

namespace json = boost::json;

namespace {

struct field_error {
    std::string message;
};

json::value const& member(json::object const& o, char const* key) {
    auto const* v = o.if_contains(key);
    if (v == nullptr) throw field_error{std::string("missing field '") + key + "'"};
    return *v;
}

std::string text(json::object const& o, char const* key) {
    auto const& v = member(o, key);
    if (!v.is_string()) throw field_error{std::string("field '") + key + "' must be a string"};
    return std::string(v.get_string());
}

std::int64_t integer(json::object const& o, char const* key) {
    auto const& v = member(o, key);
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v.get_uint64());
    throw field_error{std::string("field '") + key + "' must be an integer"};
}

// A time as Unix milliseconds, or as RFC 3339 text (payloads written by
// earlier renderers of the fire path carry text).
core::millis time(json::object const& o, char const* key) {
    auto const& v = member(o, key);
    if (v.is_string()) {
        auto const t = core::parse_rfc3339(std::string_view(v.get_string()));
        if (!t) throw field_error{std::string("field '") + key + "' is not an RFC 3339 time"};
        return *t;
    }
    return integer(o, key);
}

bool boolean(json::object const& o, char const* key) {
    auto const& v = member(o, key);
    if (!v.is_bool()) throw field_error{std::string("field '") + key + "' must be a boolean"};
    return v.get_bool();
}

core::price price(json::object const& o, char const* key) {
    auto const parsed = core::price::parse_positive(text(o, key));
    if (!parsed.ok())
        throw field_error{std::string("field '") + key +
                          "': " + std::string(core::describe(parsed.error))};
    return parsed.value;
}

alert_notice read_alert(json::object const& o) {
    alert_notice n;
    n.alert = integer(o, "alert_id");
    n.symbol = text(o, "symbol");
    n.name = o.contains("name") ? text(o, "name") : std::string();
    n.target = price(o, "target_price");
    auto const side = core::direction_from_string(text(o, "direction"));
    if (!side) throw field_error{"field 'direction' must be \"above\" or \"below\""};
    n.side = *side;
    n.trigger_price = price(o, "price");
    n.exchange_time = time(o, "exchange_time");
    n.detected_at = time(o, "detected_at");
    n.backfilled = boolean(o, "backfilled");
    if (n.symbol.empty()) throw field_error{"field 'symbol' is empty"};
    return n;
}

account_email read_account(json::object const& o) {
    account_email e;
    e.to = text(o, "to");
    e.subject = text(o, "subject");
    e.body = text(o, "body");
    if (e.to.empty()) throw field_error{"field 'to' is empty"};
    return e;
}

} // namespace

alert_notice notice_of_fire(core::alert const& a, std::string_view symbol,
                            core::millis exchange_time, bool backfilled) {
    assert(a.trigger_price && a.triggered_at);
    alert_notice n;
    n.alert = a.id;
    n.symbol = std::string(symbol);
    n.name = a.name;
    n.target = a.target;
    n.side = a.side;
    n.trigger_price = a.trigger_price.value_or(core::price{});
    n.exchange_time = exchange_time;
    n.detected_at = a.triggered_at.value_or(0);
    n.backfilled = backfilled;
    return n;
}

std::string encode(alert_notice const& n) {
    json::object o;
    o["kind"] = "alert";
    o["alert_id"] = n.alert;
    o["symbol"] = n.symbol;
    o["name"] = n.name;
    o["target_price"] = n.target.to_string();
    o["direction"] = core::to_string(n.side);
    o["price"] = n.trigger_price.to_string();
    o["exchange_time"] = n.exchange_time;
    o["detected_at"] = n.detected_at;
    o["backfilled"] = n.backfilled;
    return json::serialize(o);
}

std::string encode(account_email const& e) {
    json::object o;
    o["kind"] = "account";
    o["to"] = e.to;
    o["subject"] = e.subject;
    o["body"] = e.body;
    return json::serialize(o);
}

decode_result decode(std::string_view payload) {
    decode_result out;
    boost::system::error_code ec;
    json::value const v = json::parse(payload, ec);
    if (ec) {
        out.error = "payload is not JSON: " + ec.message();
        return out;
    }
    if (!v.is_object()) {
        out.error = "payload is not a JSON object";
        return out;
    }
    auto const& o = v.get_object();
    try {
        // Without a kind: {"type": "alert.triggered", ...} is the fire path's
        // alert notice, {"to", "subject", "body"} the accounts code's email.
        std::string kind;
        if (o.contains("kind"))
            kind = text(o, "kind");
        else if (o.contains("type") && o.at("type") == "alert.triggered")
            kind = "alert";
        else if (o.contains("to") && o.contains("subject") && o.contains("body"))
            kind = "account";
        else
            throw field_error{"missing field 'kind'"};
        if (kind == "alert")
            out.value = read_alert(o);
        else if (kind == "account")
            out.value = read_account(o);
        else
            out.error = "unknown payload kind '" + kind + "'";
    } catch (field_error const& e) {
        out.error = e.message;
    }
    return out;
}

} // namespace kryptod::daemon::notify
