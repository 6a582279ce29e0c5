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
#include "http/json_body.hpp"
#include "http/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

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

// Parses and checks `body`. Returns the changes, or the answer refusing them.
std::variant<alert_changes, http::response> parse_alert_body(std::string_view body,
                                                             alert_body_kind kind,
                                                             http::json_limits const& limits,
                                                             unsigned version);

// What `c` gets wrong for an alert of `kind` (SPEC §8): a field the kind
// does not take, a direction of the other kind, and on create (`body` not
// patch) a field the kind requires; on PATCH, a `kind` other than the
// alert's. Returns the 422 naming every such field, or nullopt.
std::optional<http::response> check_kind(alert_changes const& c, core::alert_kind kind,
                                         alert_body_kind body, unsigned version);

// Applies the user-settable changes to `a`; the status is the caller's.
void apply(core::alert& a, alert_changes const& c);

// The 422 refusing an alert for one field.
http::response invalid_alert(std::string field, std::string message, unsigned version);

// The 422 for what core::validate() found, naming its field.
http::response invalid_alert(core::alert_field_error e, unsigned version);

} // namespace kryptod::daemon::api
