// notify::chat_text: the one line a chat or push message says about a
// fire, shared by Discord, Slack and ntfy (and any chat channel after them)
// so that every service tells the same story as the email's subject.
//
// Invariants: one line (the alert's name has its control characters
// replaced by spaces); valid UTF-8 whenever the name is; no markup of any
// service (each channel escapes what its service would read as markup).
#pragma once

#include "daemon/notify/notice.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace kryptod::daemon::notify {

// E.g. `BTCUSDT above 65000: fired at 65010.5 - "buy the dip" (alert #12)`,
// with ", backfilled" inside the parentheses for a fire found while
// replaying a feed gap. The head is the email's subject (alert_subject()).
std::string chat_text(alert_notice const& n);

// A short title for services that have one (ntfy): "kryptod: BTCUSDT above
// 65000". Printable ASCII only (no user text), so it is safe in a header.
std::string chat_title(alert_notice const& n);

// `text` cut to at most `max_chars` Unicode code points, never inside a
// UTF-8 sequence; when cut, its last code point is "…" (U+2026).
// Precondition: max_chars >= 1.
std::string truncate_utf8(std::string_view text, std::size_t max_chars);

} // namespace kryptod::daemon::notify
