// alert: one user's alert, price (SPEC §2) or move (SPEC §8), and its lifecycle.
//
// Invariants kept by the transition functions below (the only code that
// changes `status`):
// - `active` is the only armed status; only an active alert fires.
// - `deleted` is final; `expired` only leaves through delete.
// - A repeat-once alert that fires becomes `triggered` and stays out of the
//   index until re-armed; a repeat-every alert stays `active` and counts up.
// - `trigger_count`, `triggered_at` and `trigger_price` change only on fire.
// - `updated_at` moves on every applied transition and never on a refused or
//   unchanged one.
// Refused transitions leave the alert untouched and say why.
#pragma once

#include "core/price.hpp"
#include "core/symbol_table.hpp"
#include "core/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::core {

using alert_id = std::int64_t;
using user_id = std::int64_t;

// `above` fires at price >= target, `below` at price <= target.
enum class direction : std::uint8_t { above, below };

enum class repeat_mode : std::uint8_t { once, every };

enum class alert_status : std::uint8_t { active, triggered, disabled, expired, deleted };

// What an alert watches (SPEC §8): `price` fires at a target price, `move` on a
// percent change within a time window.
enum class alert_kind : std::uint8_t { price, move };

// A move alert's direction: `up` is measured from the window's lowest trade,
// `down` from its highest.
enum class move_direction : std::uint8_t { up, down };

// Notification channels, a bitmask: `channel::email | channel::webhook`.
enum class channel : std::uint8_t {
    none = 0,
    email = 1,
    webhook = 2,
    telegram = 4,
    discord = 8,
    slack = 16,
    ntfy = 32,
};

// Every channel, in the order the wire lists them.
inline constexpr channel all_channels[] = {channel::email,   channel::webhook, channel::telegram,
                                           channel::discord, channel::slack,   channel::ntfy};

constexpr channel operator|(channel a, channel b) noexcept {
    return static_cast<channel>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
constexpr channel operator&(channel a, channel b) noexcept {
    return static_cast<channel>(static_cast<std::uint8_t>(a) & static_cast<std::uint8_t>(b));
}
// True when `set` includes every channel of `wanted`.
constexpr bool has(channel set, channel wanted) noexcept {
    return (set & wanted) == wanted;
}

// Wire names ("above", "every", "active", "email"); from_string returns
// nullopt for any other text (matching is exact and case-sensitive).
std::string_view to_string(direction value) noexcept;
std::string_view to_string(alert_kind value) noexcept;
std::string_view to_string(move_direction value) noexcept;
std::string_view to_string(repeat_mode value) noexcept;
std::string_view to_string(alert_status value) noexcept;
std::string_view to_string(channel single) noexcept; // "" unless exactly one channel
std::optional<direction> direction_from_string(std::string_view text) noexcept;
std::optional<alert_kind> alert_kind_from_string(std::string_view text) noexcept;
std::optional<move_direction> move_direction_from_string(std::string_view text) noexcept;
std::optional<repeat_mode> repeat_mode_from_string(std::string_view text) noexcept;
std::optional<alert_status> alert_status_from_string(std::string_view text) noexcept;
std::optional<channel> channel_from_string(std::string_view text) noexcept;

// Bounds and defaults from SPEC §2.
inline constexpr std::int64_t default_cooldown_seconds = 3600;
inline constexpr std::int64_t min_cooldown_seconds = 60;
inline constexpr std::int64_t max_cooldown_seconds = 2592000;
inline constexpr std::size_t max_alert_name_length = 200;

// Bounds of a move alert (SPEC §8). The percent is kept in hundredths of a
// percent: 5.25 % is 525.
inline constexpr std::int64_t min_move_percent_hundredths = 1;
inline constexpr std::int64_t max_move_percent_hundredths = 100000;
inline constexpr std::int64_t min_move_window_seconds = 60;
inline constexpr std::int64_t max_move_window_seconds = 86400;

struct alert {
    alert_id id = 0;
    user_id owner = 0;
    symbol_id symbol = 0;
    alert_kind kind = alert_kind::price;
    price target;                                  // kind price only
    direction side = direction::above;             // kind price only
    std::int64_t move_percent = 0;                 // kind move only: hundredths of a percent
    std::int64_t window_seconds = 0;               // kind move only
    move_direction move_side = move_direction::up; // kind move only
    std::string name;
    repeat_mode repeat = repeat_mode::once;
    std::int64_t cooldown_seconds = default_cooldown_seconds;
    std::optional<millis> expires_at;
    channel channels = channel::email;
    alert_status status = alert_status::active;
    millis created_at = 0;
    millis updated_at = 0;
    std::optional<millis> triggered_at; // daemon time of the last fire
    std::optional<price> trigger_price; // price of the last fire
    std::int64_t trigger_count = 0;
};

// The direction a new alert takes when its owner gives none: `above` when the
// target is above the coin's last price, `below` when under it. nullopt (the
// owner must say) when there is no last price or the target equals it.
std::optional<direction> infer_direction(price target, std::optional<price> last) noexcept;

// Whether `p` satisfies an alert's condition. Equality fires on both sides.
constexpr bool reaches(direction side, price target, price p) noexcept {
    return side == direction::above ? p >= target : p <= target;
}

// A move alert's percent as the API writes it: a decimal with at most two
// fractional digits (SPEC §8), read exactly into hundredths of a percent
// ("5.25" is 525, "8" is 800). Only digits and one inner point are taken: no
// sign, exponent, spaces or leading or trailing point. nullopt for any other
// text, for a third fractional digit, and for a value past 1,000,000 %
// (validate() bounds the value further).
std::optional<std::int64_t> parse_move_percent(std::string_view text) noexcept;

// Hundredths of a percent as a decimal with trailing zeros trimmed, as the
// API writes prices: 525 is "5.25", 520 is "5.2", 500 is "5".
std::string format_move_percent(std::int64_t hundredths);

// Which field of an alert breaks SPEC §2 or §8, if any.
enum class alert_field_error {
    none,
    target_price,     // price alert: zero (prices are positive); move alert: set at all
    percent,          // move alert: outside 0.01..1000; price alert: set at all
    window_seconds,   // move alert: outside 60..86400; price alert: set at all
    name,             // not UTF-8, or longer than 200 characters (code points)
    cooldown_seconds, // outside 60..2592000
    expires_at,       // not after `now`
    channels,         // no channel at all
};

std::string_view describe(alert_field_error error) noexcept;

// Checks the user-settable fields of `a` for creation or update at `now`:
// a price alert has a positive target and no move fields; a move alert has
// no target, a percent of 1 to 100000 hundredths and a window of 60 to 86400
// seconds. Returns the first offending field, or alert_field_error::none.
alert_field_error validate(alert const& a, millis now) noexcept;

// The outcome of a lifecycle transition.
enum class transition {
    applied,   // the status (and related fields) changed
    unchanged, // already in the requested state; nothing changed
    refused,   // illegal from the current status; nothing changed
};

// A new alert: status active, created_at = updated_at = now, no fire yet.
// Other fields are the caller's (validate() them first).
void create(alert& a, millis now) noexcept;

// PATCH status active: triggered or disabled -> active. Refused from expired
// and deleted, and when expires_at is not after `now` (the alert has lapsed
// and should be expired instead). Unchanged when already active.
transition arm(alert& a, millis now) noexcept;

// PATCH status disabled: active or triggered -> disabled (paused by its
// owner). Refused from expired and deleted.
transition disable(alert& a, millis now) noexcept;

// DELETE (soft): any status -> deleted. Unchanged when already deleted.
transition remove(alert& a, millis now) noexcept;

// Expiry at or after expires_at: active or disabled -> expired. Refused when
// the alert has no expires_at or `now` is before it, and from triggered
// (it already has its outcome) and deleted. Unchanged when already expired.
transition expire(alert& a, millis now) noexcept;

// The alert fired at `p`, detected at daemon time `now`: once -> triggered,
// every -> stays active. Counts the fire and records its time and price.
// Refused unless active.
transition fire(alert& a, price p, millis now) noexcept;

} // namespace kryptod::core
