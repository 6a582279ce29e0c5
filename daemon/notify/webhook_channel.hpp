// notify::webhook_channel: signed webhook POSTs of alert notices (SPEC §5)
// to the user's webhook_url, through the shared http_lane (which applies
// the address policy at connect time, refuses redirects and proxies, and
// keeps the deadlines).
//
// Invariants:
// - The signature is HMAC-SHA256 over "<timestamp>.<body>" with the user's
//   secret, hex encoded: what a receiver recomputes byte for byte.
// - X-Kryptod-Delivery is the row's delivery id, the same on every retry.
// - The answer reads as http_outcome.hpp says (2xx delivered; no answer,
//   408, 429 and 5xx retried, Retry-After honoured; anything else given up).
#pragma once

#include "daemon/notify/channel.hpp"
#include "daemon/notify/notice.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kryptod::daemon::notify {

// "sha256=<64 lower-case hex digits>" of HMAC-SHA256(secret, "<timestamp>.<body>").
std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body);

// The JSON event of an alert notice:
// {"type": "alert.triggered", "delivery_id", "alert": {"id", "symbol", "name",
// "kind", "target_price", "direction"}, "price", "exchange_time",
// "detected_at", "backfilled"}, times in RFC 3339 UTC, prices as decimal
// strings. A move alert's `alert` has "percent", "window_seconds" and
// "direction" (up, down) instead of the target, and the event adds
// "reference_price", "reference_time" and "text" (move_headline()).
std::string webhook_body(alert_notice const& n, std::string_view delivery_id);

std::unique_ptr<channel> make_webhook_channel(channel_context const& context);

} // namespace kryptod::daemon::notify
