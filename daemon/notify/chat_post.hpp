// notify::chat_post: what the Discord, Slack and ntfy channels share. Each
// POSTs one alert notice to a URL its user set, one request at a time per
// URL, through the http_lane; only the body, the headers and the reading
// of the service's answer differ.
//
// Invariants: an account message is never sent to a chat service (it goes
// by email only); a user without the channel's URL has not set it up, and
// the row is given up saying so (notify::not_set_up()); every request
// carries the row's X-Kryptod-Delivery id.
#pragma once

#include "daemon/notify/channel.hpp"
#include "daemon/notify/http_lane.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace kryptod::daemon::notify {

// The alert notice of an attempt and the user's URL for channel `ch`.
struct chat_target {
    alert_notice const* alert = nullptr;
    std::string const* url = nullptr;
};

// The notice and URL of `a`, where `url` is the user's setting named
// `setting` (e.g. "discord_webhook_url"); otherwise the refusal to plan.
std::variant<chat_target, delivery_result> chat_target_of(attempt const& a, core::channel ch,
                                                          std::optional<std::string> const* url,
                                                          std::string_view setting);

// The plan that POSTs `req` (its X-Kryptod-Delivery header added) on
// `lane`, to the destination `label` + the URL's origin, one at a time,
// judging the answer with `judge`.
plan chat_post(http_lane& lane, attempt const& a, http_request req, std::string_view label,
               delivery_result (*judge)(http_answer const&));

} // namespace kryptod::daemon::notify
