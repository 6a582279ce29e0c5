// notify::slack_channel: alert notices as messages of the user's Slack
// incoming webhook (slack_webhook_url, SPEC §10), through the shared
// http_lane (address policy at connect time, no redirects, TLS verified).
//
// Invariants:
// - The body is {"text": chat_text()} with &, < and > escaped as Slack
//   asks (&amp; &lt; &gt;), so an alert name cannot write <!channel>, a
//   link or a mention: it reads as typed.
// - X-Kryptod-Delivery carries the row's delivery id, the same on every
//   retry (Slack ignores it).
// - The answer reads as http_outcome.hpp says (a 429's Retry-After
//   honoured); a 4xx other than 408 and 429 is given up with Slack's error
//   code when it sent one ("HTTP 404: no_service").
// - One message at a time per webhook (Slack allows about one a second).
#pragma once

#include "daemon/notify/channel.hpp"
#include "daemon/notify/notice.hpp"

#include <memory>
#include <string>

namespace kryptod::daemon::notify {

// The JSON body for a notice, as above.
std::string slack_body(alert_notice const& n);

std::unique_ptr<channel> make_slack_channel(channel_context const& context);

} // namespace kryptod::daemon::notify
