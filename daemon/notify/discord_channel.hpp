// notify::discord_channel: alert notices as messages of the user's Discord
// incoming webhook (discord_webhook_url, SPEC §10), through the shared
// http_lane (address policy at connect time, no redirects, TLS verified).
//
// Invariants:
// - The body is {"content": chat_text(), "allowed_mentions": {"parse": []}}:
//   an alert name such as "@everyone" pings nobody, and Discord markdown in
//   it is escaped, so it reads as typed. content is at most 2000 code
//   points (Discord's limit), cut on a UTF-8 boundary.
// - X-Kryptod-Delivery carries the row's delivery id, the same on every
//   retry (Discord ignores it; a relay may deduplicate by it).
// - The answer reads as http_outcome.hpp says; a 429 is retried after the
//   longer of its Retry-After header and the retry_after (seconds) of its
//   JSON body. A 4xx other than 408 and 429 is given up, with Discord's own
//   message when it sent one ("HTTP 404: Unknown Webhook").
// - One message at a time per webhook (Discord's limits are per webhook).
#pragma once

#include "daemon/notify/channel.hpp"
#include "daemon/notify/notice.hpp"

#include <memory>
#include <string>

namespace kryptod::daemon::notify {

// Discord's limit on a message's content, in characters.
inline constexpr std::size_t discord_max_content = 2000;

// The JSON body for a notice, as above.
std::string discord_body(alert_notice const& n);

std::unique_ptr<channel> make_discord_channel(channel_context const& context);

} // namespace kryptod::daemon::notify
