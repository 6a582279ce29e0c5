// notify::notice: what an outbox row asks the sender to deliver, and the
// payload text it is stored as (the `payload` column of storage's outbox).
//
// Two kinds share the outbox: an alert notice, rendered by the fire path
// into every email and webhook row of a fire, and an account email
// (verification, password reset) whose subject and body the accounts code
// writes. The recipient of an alert notice is looked up when it is sent (the
// owner's current email or webhook); an account email carries its own.
//
// Invariants: encode() then decode() gives back the same notice; decode()
// never throws and names what is wrong with a payload it refuses, so a bad
// row ends as a permanent failure with a reason instead of stalling the
// queue.
#pragma once

#include "core/alert.hpp"
#include "core/price.hpp"
#include "core/time.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace kryptod::daemon::notify {

// One fire of one alert, as its owner is told about it.
struct alert_notice {
    core::alert_id alert = 0;
    std::string symbol; // canonical name, e.g. "BTCUSDT"
    std::string name;   // the alert's free-text name, may be empty
    core::price target;
    core::direction side = core::direction::above;
    core::price trigger_price;      // the price that fired it
    core::millis exchange_time = 0; // the trade's exchange time
    core::millis detected_at = 0;   // when the daemon detected the fire
    bool backfilled = false;        // fired while replaying a feed gap

    friend bool operator==(alert_notice const&, alert_notice const&) = default;
};

// An account email written by the accounts code (verification, reset).
struct account_email {
    std::string to; // the recipient address
    std::string subject;
    std::string body; // plain text; lines end in "\n" or "\r\n"

    friend bool operator==(account_email const&, account_email const&) = default;
};

using notice = std::variant<alert_notice, account_email>;

// The notice of a fire that core::fire() has just applied to `a`: target,
// direction and name from the alert, trigger_price and detected_at from its
// last fire (a.trigger_price, a.triggered_at). Precondition: `a` has fired.
alert_notice notice_of_fire(core::alert const& a, std::string_view symbol,
                            core::millis exchange_time, bool backfilled);

// The payload text (a JSON object) stored in the outbox for a notice.
std::string encode(alert_notice const& n);
std::string encode(account_email const& e);

struct decode_result {
    std::optional<notice> value; // set on success
    std::string error;           // why the payload was refused, otherwise
};

// Reads a payload written by encode(), or an alert notice of the form
// {"type": "alert.triggered", "alert_id", "symbol", "name", "target_price",
// "direction", "price", "exchange_time", "detected_at", "backfilled"} with
// times as RFC 3339 text (other members are ignored), or an account email
// {"to", "subject", "body"} without a kind. Fails (never throws) on text that is
// not JSON, an unknown `kind`, a missing or mistyped field, a bad price or
// direction.
decode_result decode(std::string_view payload);

} // namespace kryptod::daemon::notify
