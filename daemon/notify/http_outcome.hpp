// notify::http_outcome: how the answer of an HTTP service reads as a
// delivery result, for every channel that POSTs through the http_lane (the
// webhook, Discord, Slack, ntfy), and the names their destinations go by.
//
// Invariants:
// - 2xx is delivered; no answer, 408, 429 and 5xx are retried; an invalid
//   or refused target (a private address), a redirect (never followed) and
//   any other status are given up.
// - A Retry-After the service sent (delay-seconds, whole or decimal) comes
//   back as delivery_result::retry_after, at most max_retry_after: the
//   sender waits at least that long before it calls the same destination
//   again. An HTTP-date is not read (the backoff applies).
// - A destination never contains a URL's path or query: a Discord or Slack
//   webhook URL and an ntfy topic are secrets (whoever has one can post),
//   and destinations reach the log.
#pragma once

#include "daemon/notify/delivery_result.hpp"
#include "daemon/notify/http_lane.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::daemon::notify {

// The longest Retry-After honoured: rows wait in hand meanwhile (inside
// their lease), and a service asking for longer is as good as down.
inline constexpr std::chrono::milliseconds max_retry_after{300000};

// The delivery result of `answer` as the invariants above say.
delivery_result judge_http(http_answer const& answer);

// A Retry-After value in delay-seconds ("2", "1.5"), clamped to
// [0, max_retry_after]; std::nullopt for anything else (an HTTP-date, junk).
std::optional<std::chrono::milliseconds> retry_after_of(std::string_view value);

// scheme://host:port of `url` (the port spelt out); the URL itself when it
// does not parse (the lane then refuses it).
std::string origin_of(std::string const& url);

// "<label> <origin> #<8 hex digits of SHA-256 of the whole URL>": one
// destination per URL (one Discord webhook, one ntfy topic) that names the
// service without revealing the URL.
std::string private_destination(std::string_view label, std::string const& url);

} // namespace kryptod::daemon::notify
