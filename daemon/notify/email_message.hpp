// notify::email_message: the RFC 5322 text of kryptod's emails, built from a
// notice. Pure: no I/O and no clock (the send time is passed in).
//
// Invariants:
// - Header injection is impossible: no CR, LF or other control character
//   from user data (alert name, account subject, addresses) reaches a
//   header. Addresses with any of them are refused; free text has them
//   replaced by spaces, and non-ASCII header text is RFC 2047 encoded.
// - Every line ends in CRLF and is at most 998 octets; a body with
//   non-ASCII octets or longer lines is sent quoted-printable, otherwise
//   7bit. Dot-stuffing is left to the SMTP transport (libcurl does it).
// - The Message-ID depends only on the outbox row, so every retry of a row
//   carries the same one.
#pragma once

#include "core/time.hpp"
#include "daemon/notify/notice.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::daemon::notify {

// A message ready for the SMTP envelope and DATA.
struct email_message {
    std::string from;       // bare address, for MAIL FROM
    std::string to;         // bare address, for RCPT TO
    std::string message_id; // with angle brackets
    std::string text;       // header and body, CRLF line ends
};

struct email_result {
    std::optional<email_message> value;
    std::string error; // why no message could be built, otherwise
};

// The stable Message-ID of an outbox row: `<outbox-<id>-<delivery id>@kryptod>`
// (characters of the delivery id outside [A-Za-z0-9.-_] become `_`).
std::string message_id_for(std::int64_t outbox_id, std::string_view delivery_id);

// The Subject of an alert email, e.g. "BTCUSDT above 65000: fired at 65010.5".
std::string alert_subject(alert_notice const& n);

// An alert email to `to` from `from` sent at `now`. Fails when either address
// is not a plain `local@domain` (see daemon::valid_email()).
email_result render_alert_email(alert_notice const& n, std::string_view from, std::string_view to,
                                std::string_view message_id, core::millis now);

// An account email (verification, password reset) from `from`. Fails when
// `from` or e.to is not a plain address.
email_result render_account_email(account_email const& e, std::string_view from,
                                  std::string_view message_id, core::millis now);

// `text` made safe for one header field: control characters (CR, LF, TAB...)
// become spaces, runs of spaces collapse, and text with non-ASCII octets
// becomes RFC 2047 UTF-8 encoded words folded to lines of at most 78
// characters. `used` is the length of the header's name and ": ".
std::string header_text(std::string_view text, std::size_t used);

// Whether `address` can go into an envelope and an angle-addr as is: a
// daemon::valid_email() address without any of the characters that have a
// meaning in address syntax (<>()[],;:\" and the backslash).
bool plain_address(std::string_view address) noexcept;

// An RFC 5322 date in UTC: "Mon, 23 Nov 2026 14:09:20 +0000".
std::string rfc5322_date(core::millis t);

} // namespace kryptod::daemon::notify
