// notify::notice: the outbox payload as a small JSON object
// ({"kind": "alert" | "account", ...}). Prices travel as exact decimal
// strings, times as Unix milliseconds; an account email's secret travels as
// a reference ("secret_ref") to this process's memory.
#include "daemon/notify/notice.hpp"

#include "daemon/clock.hpp"
#include "http/password.hpp"

#include <boost/json.hpp>

#include <cassert>
#include <map>
#include <mutex>
#include <stdexcept>
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

// Where an account email's secret stood in its subject and body; put back
// only in payloads that carry a secret_ref, whose text the accounts code
// wrote (and it never writes this marker itself).
constexpr std::string_view secret_marker = "{{kryptod-secret}}";

// The secrets of account emails queued by this process, by reference.
class secret_vault {
public:
    void put(std::string ref, email_secret secret) {
        auto const now = daemon::wall_clock_now();
        std::lock_guard lock(mutex_);
        std::erase_if(held_, [now](auto const& e) { return e.second.keep_until <= now; });
        held_.insert_or_assign(std::move(ref), std::move(secret));
    }

    std::optional<std::string> get(std::string const& ref) const {
        std::lock_guard lock(mutex_);
        auto const it = held_.find(ref);
        if (it == held_.end() || it->second.keep_until <= daemon::wall_clock_now())
            return std::nullopt;
        return it->second.value;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, email_secret, std::less<>> held_;
};

secret_vault& vault() {
    static secret_vault v;
    return v;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
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
    // Without alert_kind: a price alert, as every payload was before move alerts.
    if (o.contains("alert_kind")) {
        auto const kind = core::alert_kind_from_string(text(o, "alert_kind"));
        if (!kind) throw field_error{"field 'alert_kind' must be \"price\" or \"move\""};
        n.kind = *kind;
    }
    if (n.kind == core::alert_kind::price) {
        n.target = price(o, "target_price");
        auto const side = core::direction_from_string(text(o, "direction"));
        if (!side) throw field_error{"field 'direction' must be \"above\" or \"below\""};
        n.side = *side;
    } else {
        n.move_percent = integer(o, "percent_hundredths");
        n.window_seconds = integer(o, "window_seconds");
        auto const side = core::move_direction_from_string(text(o, "direction"));
        if (!side) throw field_error{"field 'direction' must be \"up\" or \"down\""};
        n.move_side = *side;
        n.reference_price = price(o, "reference_price");
        n.reference_time = integer(o, "reference_time");
    }
    n.trigger_price = price(o, "price");
    n.exchange_time = integer(o, "exchange_time");
    n.detected_at = integer(o, "detected_at");
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
    if (o.contains("secret_ref")) {
        auto const secret = vault().get(text(o, "secret_ref"));
        if (!secret)
            throw field_error{"the token this email carried was held in memory only and is gone "
                              "(kryptod restarted, or the token expired); ask for a new email"};
        replace_all(e.subject, secret_marker, *secret);
        replace_all(e.body, secret_marker, *secret);
    }
    return e;
}

} // namespace

alert_notice notice_of_fire(core::alert const& a, std::string_view symbol,
                            core::millis exchange_time, bool backfilled,
                            std::optional<move_reference> reference) {
    assert(a.trigger_price && a.triggered_at);
    assert(a.kind == core::alert_kind::price || reference);
    alert_notice n;
    n.alert = a.id;
    n.symbol = std::string(symbol);
    n.name = a.name;
    n.kind = a.kind;
    n.target = a.target;
    n.side = a.side;
    n.move_percent = a.move_percent;
    n.window_seconds = a.window_seconds;
    n.move_side = a.move_side;
    if (reference) {
        n.reference_price = reference->price;
        n.reference_time = reference->time;
    }
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
    if (n.kind == core::alert_kind::move) {
        o["alert_kind"] = "move";
        o["percent_hundredths"] = n.move_percent;
        o["window_seconds"] = n.window_seconds;
        o["direction"] = core::to_string(n.move_side);
        o["reference_price"] = n.reference_price.value_or(core::price{}).to_string();
        o["reference_time"] = n.reference_time;
    } else {
        o["target_price"] = n.target.to_string();
        o["direction"] = core::to_string(n.side);
    }
    o["price"] = n.trigger_price.to_string();
    o["exchange_time"] = n.exchange_time;
    o["detected_at"] = n.detected_at;
    o["backfilled"] = n.backfilled;
    return json::serialize(o);
}

std::string window_text(std::int64_t seconds) {
    if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + " h";
    if (seconds % 60 == 0) return std::to_string(seconds / 60) + " min";
    return std::to_string(seconds) + " s";
}

std::string move_headline(alert_notice const& n) {
    assert(n.kind == core::alert_kind::move && n.reference_price);
    // The move in tenths of a percent, rounded half up: |p - ref| * 1000 /
    // ref on the prices' integer units. The product of two prices' units
    // can pass 2^63, so it is taken in 128 bits.
    __extension__ typedef __int128 wide;
    core::price const ref = n.reference_price.value_or(core::price::from_units(1));
    wide const base = ref.units() > 0 ? ref.units() : 1;
    wide diff = static_cast<wide>(n.trigger_price.units()) - ref.units();
    if (diff < 0) diff = -diff;
    auto const tenths = static_cast<std::int64_t>((diff * 2000 / base + 1) / 2);
    return n.symbol + " " + std::string(core::to_string(n.move_side)) + " " +
           std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " % in " +
           window_text(n.window_seconds) + " (" + ref.to_string() + " \u2192 " +
           n.trigger_price.to_string() + ")";
}

std::string encode(account_email const& e) {
    json::object o;
    o["kind"] = "account";
    o["to"] = e.to;
    o["subject"] = e.subject;
    o["body"] = e.body;
    return json::serialize(o);
}

std::string encode(account_email const& e, email_secret const& secret) {
    if (secret.value.empty()) throw std::invalid_argument("an email secret must not be empty");
    account_email kept = e;
    replace_all(kept.subject, secret.value, secret_marker);
    replace_all(kept.body, secret.value, secret_marker);
    // Random, not counted: a reference left in the database by an earlier
    // run must never name a secret of this one.
    auto ref = http::random_hex(16);
    json::object o;
    o["kind"] = "account";
    o["to"] = kept.to;
    o["subject"] = kept.subject;
    o["body"] = kept.body;
    o["secret_ref"] = ref;
    vault().put(std::move(ref), secret);
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
        // Without a kind: an account email as kryptod 0.1 queued them, which
        // a database upgraded with rows still pending holds.
        std::string kind;
        if (o.contains("kind"))
            kind = text(o, "kind");
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
