// The body of POST /api/alerts (and the original POST /api/alerts/create/)
// and of PATCH /api/alerts/{id}: parsed with http::parse_body, then checked
// field by field against SPEC §2 and, for move alerts, §8.
//
// Invariants: a body that passes names only fields the request may set,
// each once and each valid on its own (what depends on the stored alert or
// the clock, such as an expiry in the past, is core::validate()'s to say);
// a price or percent given as a JSON number is read from its exact text,
// never through binary floating point. Which fields an alert's kind takes
// (a target for a price alert; percent, window and up/down for a move
// alert) is check_kind()'s to say, once the kind is known. A body that fails is answered with every
// bad field named: 400 malformed JSON, 413 too large, 422 otherwise.
//
// Thread-safety: stateless functions.
#pragma once

#include "core/alert.hpp"
#include "core/price.hpp"
#include "daemon/live_alerts.hpp"
#include "http/json_body.hpp"
#include "http/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kryptod::daemon::api {

// What a create or PATCH body asks for; a field not given is not engaged.
struct alert_changes {
    std::optional<std::string> symbol; // canonical
    std::optional<core::alert_kind> kind;
    std::optional<core::price> target;
    std::optional<core::direction> side;           // `direction` given as above or below
    std::optional<core::move_direction> move_side; // `direction` given as up or down
    std::optional<std::int64_t> move_percent;      // hundredths of a percent
    std::optional<std::int64_t> window_seconds;
    std::optional<std::string> name; // "" clears
    std::optional<core::repeat_mode> repeat;
    std::optional<std::int64_t> cooldown;
    std::optional<std::optional<core::millis>> expires_at; // engaged null clears
    std::optional<core::channel> channels;
    std::optional<core::alert_status> status; // PATCH only: active or disabled
};

enum class alert_body_kind {
    create,        // symbol required; the rest as the alert's kind requires
    create_compat, // as create, with `price` taken for target_price
    patch,         // any of the settable fields, and status; `kind` only unchanged
};

// Checks one alert object of a parsed document as parse_alert_body() checks
// a whole body (against the fields of `kind`, then each field's value),
// appending to `errors` each problem, its field named `prefix` + name
// ("items[3]." + "target_price"). Returns the changes when the object
// passed. An import reads each of its alerts with this.
std::optional<alert_changes> read_alert_object(boost::json::object& object,
                                               http::json_notes const& notes, alert_body_kind kind,
                                               std::string_view prefix,
                                               std::vector<http::field_error>& errors);

// Parses and checks `body`. Returns the changes, or the answer refusing them.
std::variant<alert_changes, http::response> parse_alert_body(std::string_view body,
                                                             alert_body_kind kind,
                                                             http::json_limits const& limits,
                                                             unsigned version);

// The new alert of `owner` that the changes of a create body describe,
// created at `now`: its coin listed, its direction inferred from the coin's
// last price when not given, and core::validate() satisfied. Otherwise the
// field that is wrong (named without any prefix) and why. Runs on the
// io_context thread, which owns `engine`.
std::variant<core::alert, http::field_error> new_alert(alert_changes const& c, core::user_id owner,
                                                       live_alerts const& engine, core::millis now);

// What `c` gets wrong for an alert of `kind` (SPEC §8): a field the kind
// does not take, a direction of the other kind, and on create (`body` not
// patch) a field the kind requires; on PATCH, a `kind` other than the
// alert's. Returns the 422 naming every such field, or nullopt.
std::optional<http::response> check_kind(alert_changes const& c, core::alert_kind kind,
                                         alert_body_kind body, unsigned version);

// The same rule as check_kind(), each problem appended to `errors` with its
// field named `prefix` + name (an import's "items[3].percent").
void kind_errors(alert_changes const& c, core::alert_kind kind, alert_body_kind body,
                 std::string_view prefix, std::vector<http::field_error>& errors);

// Applies the user-settable changes to `a`; the status is the caller's.
void apply(core::alert& a, alert_changes const& c);

// The 422 refusing an alert for one field.
http::response invalid_alert(std::string field, std::string message, unsigned version);

// The 422 for what core::validate() found, naming its field.
http::response invalid_alert(core::alert_field_error e, unsigned version);

} // namespace kryptod::daemon::api
