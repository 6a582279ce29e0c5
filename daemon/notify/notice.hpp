// notify::notice: what an outbox row asks the sender to deliver, and the
// payload text it is stored as (the `payload` column of storage's outbox).
//
// Two kinds share the outbox: an alert notice, rendered by the fire recorder
// into every email and webhook row of a fire, and an account email
// (verification, password reset) whose subject and body the accounts code
// writes. The recipient of an alert notice is looked up when it is sent (the
// owner's current email or webhook); an account email carries its own.
// This file is the payload's only encoder and decoder.
//
// Secrets stay out of the database. An account email's token is one: only
// its hash is stored (users' email tokens). encode() with an email_secret
// writes the payload with a marker where the token was and keeps the token
// in this process's memory under a random reference until it expires;
// decode() puts it back. A payload whose secret is gone (kryptod restarted
// between queueing and sending, or the token expired) is refused with a
// reason, so the row fails for good: the user asks for another email, which
// the token's owner would have to do after a restart anyway.
//
// Invariants: encode() then decode() gives back the same notice (while the
// secret is held); decode() never throws and names what is wrong with a
// payload it refuses, so a bad row ends as a permanent failure with a reason
// instead of stalling the queue.
//
// Thread-safety: every function may be called from any thread (the secrets
// are held under a mutex).
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
    core::alert_kind kind = core::alert_kind::price;
    core::price target;                                        // kind price
    core::direction side = core::direction::above;             // kind price
    std::int64_t move_percent = 0;                             // kind move: hundredths of a percent
    std::int64_t window_seconds = 0;                           // kind move
    core::move_direction move_side = core::move_direction::up; // kind move
    // Kind move: the window's low (up) or high (down) the move was measured
    // from, and that trade's exchange time.
    std::optional<core::price> reference_price;
    core::millis reference_time = 0;
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

// What a move alert's fire was measured from (core::fired_alert's
// reference_price and reference_time).
struct move_reference {
    core::price price;
    core::millis time = 0;
};

// The notice of a fire that core::fire() has just applied to `a`: kind,
// target or move terms, direction and name from the alert, trigger_price and
// detected_at from its last fire (a.trigger_price, a.triggered_at), and for
// a move alert the `reference` it was measured from. Precondition: `a` has
// fired.
alert_notice notice_of_fire(core::alert const& a, std::string_view symbol,
                            core::millis exchange_time, bool backfilled,
                            std::optional<move_reference> reference = std::nullopt);

// The one line that names a move alert's fire, for every channel's text:
// "SOLUSDT up 8.2 % in 15 min (142.1 → 153.75)": the coin, the direction,
// the move from the reference to the trigger price in percent (one decimal,
// rounded half up, exact), the window ("90 s", "15 min", "1 h") and the two
// prices. Precondition: n.kind is move and n.reference_price is set.
std::string move_headline(alert_notice const& n);

// A window length as the notices write it: "1 h", "15 min", "90 s".
std::string window_text(std::int64_t seconds);

// The payload text (a JSON object) stored in the outbox for a notice.
std::string encode(alert_notice const& n);
std::string encode(account_email const& e);

// A secret an account email carries (a verification or reset token), kept
// in memory only, until `keep_until` (the token's own expiry: after it the
// email is useless).
struct email_secret {
    std::string value; // non-empty; every occurrence in subject and body is kept out
    core::millis keep_until = 0;
};

// The payload of an account email carrying `secret`: the same as encode(e)
// with every occurrence of the secret replaced by a marker and a reference
// to the secret, which this process holds until secret.keep_until. Expired
// secrets are forgotten as new ones come. Throws std::invalid_argument for
// an empty secret.
std::string encode(account_email const& e, email_secret const& secret);

struct decode_result {
    std::optional<notice> value; // set on success
    std::string error;           // why the payload was refused, otherwise
};

// Reads a payload written by encode() (an account email carrying a secret
// gets it back), or an account email {"to", "subject", "body"} without a
// kind, as kryptod 0.1 queued them. Fails (never throws) on text that is not
// JSON, an unknown `kind`, a missing or mistyped field, a bad price or
// direction, or a secret this process no longer holds.
decode_result decode(std::string_view payload);

} // namespace kryptod::daemon::notify
