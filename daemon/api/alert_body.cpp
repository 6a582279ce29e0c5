// Alert bodies: http::parse_body checks the JSON, the field names and the
// types it knows; the rules of each field's value are checked here.
#include "daemon/api/alert_body.hpp"

#include "core/rfc3339.hpp"
#include "core/symbol_table.hpp"

#include <array>
#include <span>

namespace kryptod::daemon::api {

namespace json = boost::json;
using http::field_kind;

namespace {

// The fields each kind of body may hold. `any` fields carry their own
// message when wrong, which names the values they take.
constexpr std::array<http::field_spec, 11> create_fields{{
    {"symbol", field_kind::string, true},
    {"kind", field_kind::any},
    {"target_price", field_kind::decimal},
    {"percent", field_kind::decimal},
    {"window_seconds", field_kind::any},
    {"direction", field_kind::any},
    {"name", field_kind::string_or_null},
    {"repeat", field_kind::any},
    {"cooldown_seconds", field_kind::any},
    {"expires_at", field_kind::any},
    {"channels", field_kind::any},
}};
constexpr std::array<http::field_spec, 12> compat_fields{{
    {"symbol", field_kind::string, true},
    {"kind", field_kind::any},
    {"target_price", field_kind::decimal},
    {"price", field_kind::decimal},
    {"percent", field_kind::decimal},
    {"window_seconds", field_kind::any},
    {"direction", field_kind::any},
    {"name", field_kind::string_or_null},
    {"repeat", field_kind::any},
    {"cooldown_seconds", field_kind::any},
    {"expires_at", field_kind::any},
    {"channels", field_kind::any},
}};
constexpr std::array<http::field_spec, 11> patch_fields{{
    {"kind", field_kind::any},
    {"target_price", field_kind::decimal},
    {"percent", field_kind::decimal},
    {"window_seconds", field_kind::any},
    {"direction", field_kind::any},
    {"name", field_kind::string_or_null},
    {"repeat", field_kind::any},
    {"cooldown_seconds", field_kind::any},
    {"expires_at", field_kind::any},
    {"channels", field_kind::any},
    {"status", field_kind::any},
}};

std::span<http::field_spec const> fields_of(alert_body_kind kind) {
    switch (kind) {
    case alert_body_kind::create:
        return create_fields;
    case alert_body_kind::create_compat:
        return compat_fields;
    case alert_body_kind::patch:
        break;
    }
    return patch_fields;
}

constexpr std::string_view percent_rule =
    "must be a decimal greater than 0 and at most 1000, with at most 2 decimals, such as \"5.25\"";

constexpr std::string_view channels_rule =
    "must be a non-empty array of \"email\", \"webhook\", \"telegram\", \"discord\", "
    "\"slack\" and \"ntfy\"";

std::optional<core::channel> channels_of(json::value const& value) {
    if (!value.is_array() || value.as_array().empty()) return std::nullopt;
    core::channel set{};
    for (auto const& item : value.as_array()) {
        auto ch = item.is_string() ? core::channel_from_string(item.as_string()) : std::nullopt;
        if (!ch) return std::nullopt;
        set = set | *ch;
    }
    return set;
}

// Reads one field into `c`; returns what is wrong with it, if anything.
std::optional<std::string> read_field(std::string_view k, json::value const& value,
                                      alert_changes& c) {
    auto text = [&]() -> std::string_view {
        return value.is_string() ? std::string_view(value.get_string()) : std::string_view();
    };
    if (k == "symbol") {
        auto canonical = core::canonical_symbol(value.as_string());
        if (!canonical) return "must be a coin symbol such as BTCUSDT";
        c.symbol = *canonical;
    } else if (k == "target_price" || k == "price") {
        auto parsed = core::price::parse_positive(value.as_string());
        if (!parsed)
            return std::string("must be a positive price with at most 8 decimals: ") +
                   std::string(core::describe(parsed.error));
        c.target = parsed.value;
    } else if (k == "kind") {
        auto kind = value.is_string() ? core::alert_kind_from_string(text()) : std::nullopt;
        if (!kind) return "must be \"price\" or \"move\"";
        c.kind = *kind;
    } else if (k == "percent") {
        auto hundredths = core::parse_move_percent(value.as_string());
        if (!hundredths || *hundredths < core::min_move_percent_hundredths ||
            *hundredths > core::max_move_percent_hundredths)
            return std::string(percent_rule);
        c.move_percent = *hundredths;
    } else if (k == "window_seconds") {
        if (!value.is_int64() || value.as_int64() < core::min_move_window_seconds ||
            value.as_int64() > core::max_move_window_seconds)
            return "must be an integer from 60 to 86400";
        c.window_seconds = value.as_int64();
    } else if (k == "direction") {
        // Both kinds' values are read here; check_kind() says whether they
        // suit the alert's kind.
        if (auto d = value.is_string() ? core::direction_from_string(text()) : std::nullopt)
            c.side = *d;
        else if (auto m =
                     value.is_string() ? core::move_direction_from_string(text()) : std::nullopt)
            c.move_side = *m;
        else
            return "must be \"above\" or \"below\" (a price alert), or \"up\" or \"down\" (a "
                   "move alert)";
    } else if (k == "name") {
        c.name = value.is_null() ? std::string() : std::string(value.as_string());
    } else if (k == "repeat") {
        auto r = value.is_string() ? core::repeat_mode_from_string(text()) : std::nullopt;
        if (!r) return "must be \"once\" or \"every\"";
        c.repeat = *r;
    } else if (k == "cooldown_seconds") {
        // Out-of-range values are core::validate()'s to refuse, with its message.
        if (!value.is_int64() && !value.is_uint64()) return "must be an integer from 60 to 2592000";
        c.cooldown = value.is_int64() ? value.as_int64() : -1;
    } else if (k == "expires_at") {
        if (value.is_null()) {
            c.expires_at = std::optional<core::millis>{};
        } else {
            auto t = value.is_string() ? core::parse_rfc3339(text()) : std::nullopt;
            if (!t) return "must be an RFC 3339 time or null";
            c.expires_at = t;
        }
    } else if (k == "channels") {
        auto set = channels_of(value);
        if (!set) return std::string(channels_rule);
        c.channels = *set;
    } else if (k == "status") {
        auto st = value.is_string() ? core::alert_status_from_string(text()) : std::nullopt;
        if (!st || (*st != core::alert_status::active && *st != core::alert_status::disabled))
            return "must be \"active\" or \"disabled\"";
        c.status = *st;
    }
    return std::nullopt;
}

// Reads the values of an object that passed its schema; each problem is
// appended to `errors`, named `prefix` + field.
std::optional<alert_changes> read_values(json::object const& object, alert_body_kind kind,
                                         std::string_view prefix,
                                         std::vector<http::field_error>& errors) {
    alert_changes c;
    auto const before = errors.size();
    for (auto const& [key, value] : object)
        if (auto wrong = read_field(key, value, c))
            errors.push_back({std::string(prefix) + std::string(key), *wrong});
    if (kind == alert_body_kind::create_compat && !object.contains("target_price") &&
        !object.contains("price"))
        errors.push_back({std::string(prefix) + "price", "is required"});
    if (errors.size() != before) return std::nullopt;
    return c;
}

std::string field_name(core::alert_field_error e) {
    switch (e) {
    case core::alert_field_error::target_price:
        return "target_price";
    case core::alert_field_error::percent:
        return "percent";
    case core::alert_field_error::window_seconds:
        return "window_seconds";
    case core::alert_field_error::name:
        return "name";
    case core::alert_field_error::cooldown_seconds:
        return "cooldown_seconds";
    case core::alert_field_error::expires_at:
        return "expires_at";
    case core::alert_field_error::channels:
        return "channels";
    case core::alert_field_error::none:
        break;
    }
    return "alert";
}

} // namespace

std::optional<alert_changes> read_alert_object(json::object& object, http::json_notes const& notes,
                                               alert_body_kind kind, std::string_view prefix,
                                               std::vector<http::field_error>& errors) {
    auto schema_errors = http::check_fields(object, fields_of(kind), notes, prefix);
    if (!schema_errors.empty()) {
        errors.insert(errors.end(), std::make_move_iterator(schema_errors.begin()),
                      std::make_move_iterator(schema_errors.end()));
        return std::nullopt;
    }
    auto c = read_values(object, kind, prefix, errors);
    if (!c) return std::nullopt;
    auto const before = errors.size();
    if (kind != alert_body_kind::patch)
        kind_errors(*c, c->kind.value_or(core::alert_kind::price), kind, prefix, errors);
    if (errors.size() != before) return std::nullopt;
    return c;
}

std::variant<alert_changes, http::response> parse_alert_body(std::string_view body,
                                                             alert_body_kind kind,
                                                             http::json_limits const& limits,
                                                             unsigned version) {
    auto parsed = http::parse_body(body, fields_of(kind), limits);
    if (auto* e = std::get_if<http::body_error>(&parsed)) return e->to_response(version);
    std::vector<http::field_error> errors;
    auto c = read_values(std::get<json::object>(parsed), kind, {}, errors);
    if (!c)
        return http::problem(http::status::unprocessable_entity, "the alert is not valid", errors,
                             version);
    return std::move(*c);
}

std::variant<core::alert, http::field_error> new_alert(alert_changes const& c, core::user_id owner,
                                                       live_alerts const& engine,
                                                       core::millis now) {
    auto const symbol = engine.book().symbols().find(*c.symbol);
    if (!symbol || !engine.listed(*symbol))
        return http::field_error{"symbol", "is not a listed coin"};
    core::alert a;
    a.owner = owner;
    a.symbol = *symbol;
    apply(a, c);
    if (a.kind == core::alert_kind::price && !c.side) {
        auto const last = engine.book().prices().get(*symbol);
        auto inferred = core::infer_direction(
            a.target, last ? std::optional<core::price>(last->last) : std::nullopt);
        if (!inferred)
            return http::field_error{"direction",
                                     last ? "is required: the target equals the last price"
                                          : "is required: the coin has no price yet"};
        a.side = *inferred;
    }
    core::create(a, now);
    if (auto e = core::validate(a, now); e != core::alert_field_error::none)
        return http::field_error{field_name(e), std::string(core::describe(e))};
    return a;
}

void kind_errors(alert_changes const& c, core::alert_kind kind, alert_body_kind body,
                 std::string_view prefix, std::vector<http::field_error>& errors) {
    bool const creating = body != alert_body_kind::patch;
    // The compat body names its target `price` (or `target_price`).
    std::string const target_field =
        std::string(prefix) + (body == alert_body_kind::create_compat ? "price" : "target_price");
    auto const field = [&](std::string_view name) {
        return std::string(prefix) + std::string(name);
    };
    if (!creating && c.kind && *c.kind != kind)
        errors.push_back({field("kind"), "cannot be changed; create a new alert instead"});
    if (kind == core::alert_kind::price) {
        if (c.move_percent) errors.push_back({field("percent"), "is taken only by a move alert"});
        if (c.window_seconds)
            errors.push_back({field("window_seconds"), "is taken only by a move alert"});
        if (c.move_side)
            errors.push_back(
                {field("direction"), "must be \"above\" or \"below\" for a price alert"});
        if (creating && !c.target) errors.push_back({target_field, "is required"});
    } else {
        if (c.target) errors.push_back({target_field, "is not taken by a move alert"});
        if (c.side)
            errors.push_back({field("direction"), "must be \"up\" or \"down\" for a move alert"});
        if (creating) {
            if (!c.move_percent)
                errors.push_back({field("percent"), "is required for a move alert"});
            if (!c.window_seconds)
                errors.push_back({field("window_seconds"), "is required for a move alert"});
            if (!c.move_side && !c.side)
                errors.push_back(
                    {field("direction"), "is required for a move alert: \"up\" or \"down\""});
        }
    }
}

std::optional<http::response> check_kind(alert_changes const& c, core::alert_kind kind,
                                         alert_body_kind body, unsigned version) {
    std::vector<http::field_error> errors;
    kind_errors(c, kind, body, {}, errors);
    if (errors.empty()) return std::nullopt;
    return http::problem(http::status::unprocessable_entity, "the alert is not valid", errors,
                         version);
}

void apply(core::alert& a, alert_changes const& c) {
    if (c.kind) a.kind = *c.kind;
    if (c.target) a.target = *c.target;
    if (c.side) a.side = *c.side;
    if (c.move_side) a.move_side = *c.move_side;
    if (c.move_percent) a.move_percent = *c.move_percent;
    if (c.window_seconds) a.window_seconds = *c.window_seconds;
    if (c.name) a.name = *c.name;
    if (c.repeat) a.repeat = *c.repeat;
    if (c.cooldown) a.cooldown_seconds = *c.cooldown;
    if (c.expires_at) a.expires_at = *c.expires_at;
    if (c.channels) a.channels = *c.channels;
}

http::response invalid_alert(std::string field, std::string message, unsigned version) {
    return http::problem(http::status::unprocessable_entity, "the alert is not valid",
                         {{std::move(field), std::move(message)}}, version);
}

http::response invalid_alert(core::alert_field_error e, unsigned version) {
    return invalid_alert(field_name(e), std::string(core::describe(e)), version);
}

} // namespace kryptod::daemon::api
