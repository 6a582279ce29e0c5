// notify::ntfy_channel: alert notices as pushes to the user's ntfy topic
// (ntfy_url, SPEC §10: a topic URL on any ntfy server), through the shared
// http_lane (address policy at connect time, no redirects, TLS verified).
//
// Invariants:
// - The body is chat_text() as plain UTF-8 text; the headers are `Title`
//   (chat_title(): printable ASCII, no user text), `Priority: high`, `Tags`
//   (chart_with_upwards_trend or chart_with_downwards_trend, which ntfy
//   shows as emoji) and, with an ntfy_token, `Authorization: Bearer
//   <token>`. No header carries user text but the token, which the API
//   accepted only as printable ASCII without spaces, and which is checked
//   again here: a header can never be split.
// - The token is never logged: it is in no destination, detail or summary.
// - X-Kryptod-Delivery carries the row's delivery id, the same on every
//   retry (ntfy ignores it).
// - The answer reads as http_outcome.hpp says (a 429's Retry-After
//   honoured; 401 and 403, a wrong token, given up).
// - One push at a time per topic.
#pragma once

#include "daemon/notify/channel.hpp"
#include "daemon/notify/notice.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::daemon::notify {

// Whether `token` can go into an Authorization header as is: 1 to 256
// printable ASCII characters, no space.
bool ntfy_token_usable(std::string_view token) noexcept;

// The header lines for a notice (without the token and the delivery id).
std::vector<std::string> ntfy_headers(alert_notice const& n);

std::unique_ptr<channel> make_ntfy_channel(channel_context const& context);

} // namespace kryptod::daemon::notify
