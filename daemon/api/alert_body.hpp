// The body of POST /api/alerts (and the original POST /api/alerts/create/)
// and of PATCH /api/alerts/{id}: parsed with http::parse_body, then checked
// field by field against SPEC §2.
//
// Invariants: a body that passes names only fields the request may set,
// each once and each valid on its own (what depends on the stored alert or
// the clock, such as an expiry in the past, is core::validate()'s to say);
// a price given as a JSON number is read from its exact text, never through
// binary floating point. A body that fails is answered with every bad field
// named: 400 malformed JSON, 413 too large, 422 otherwise.
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
    std::optional<core::price> target;
    std::optional<core::direction> side;
    std::optional<std::string> name; // "" clears
    std::optional<core::repeat_mode> repeat;
    std::optional<std::int64_t> cooldown;
    std::optional<std::optional<core::millis>> expires_at; // engaged null clears
    std::optional<core::channel> channels;
    std::optional<core::alert_status> status; // PATCH only: active or disabled
};

enum class alert_body_kind {
    create,        // symbol and target_price required
    create_compat, // as create, with `price` taken for target_price
    patch,         // any of the settable fields, and status
};

// Parses and checks `body`. Returns the changes, or the answer refusing them.
std::variant<alert_changes, http::response> parse_alert_body(std::string_view body,
                                                             alert_body_kind kind,
                                                             http::json_limits const& limits,
                                                             unsigned version);

// Applies the user-settable changes to `a`; the status is the caller's.
void apply(core::alert& a, alert_changes const& c);

// The 422 refusing an alert for one field.
http::response invalid_alert(std::string field, std::string message, unsigned version);

// The 422 for what core::validate() found, naming its field.
http::response invalid_alert(core::alert_field_error e, unsigned version);

} // namespace kryptod::daemon::api
