// api::channel_settings: the chat and push channel settings of PATCH
// /api/auth/me (SPEC §10): discord_webhook_url, slack_webhook_url,
// ntfy_url, ntfy_token. A field left out keeps its value; null removes it.
//
// Rules:
// - A URL is an absolute URL with a host, at most 2048 characters, https;
//   plain http only when notify.webhook_allow_private is on (a LAN ntfy
//   server, a local test receiver), since a chat webhook URL carries its
//   secret in its path. Discord and Slack URLs are not tied to discord.com
//   and hooks.slack.com: a relay or a compatible service is as good, and
//   the private-address rule (checked when the message is sent, on the
//   address connected to) is what protects the daemon's network.
// - ntfy_token is 1 to 256 printable ASCII characters without spaces (it
//   goes into a header); it is write-only and never shown.
// - These settings are secrets (whoever has a webhook URL or a token can
//   post), so the API never shows them back: GET /api/auth/me lists only
//   which channels are set up (`channels`, notify/channel_setup.hpp).
//
// Thread-safety: stateless functions.
#pragma once

#include "http/json_body.hpp"
#include "http/message.hpp"
#include "storage/user_store.hpp"

#include <boost/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace kryptod::daemon::api {

// The fields this file reads, for a body schema (string or null, optional).
std::span<http::field_spec const> channel_setting_fields() noexcept;

// What a PATCH changes: for each field, nothing (left out), or the new value
// (std::nullopt: removed).
struct channel_settings_change {
    std::optional<std::optional<std::string>> discord_webhook_url;
    std::optional<std::optional<std::string>> slack_webhook_url;
    std::optional<std::optional<std::string>> ntfy_url;
    std::optional<std::optional<std::string>> ntfy_token;

    // Writes the changed fields into `user`.
    void apply(storage::user_store::user_record& user) const;
};

// Reads the fields of a body that passed the schema; every bad value is one
// field_error naming its field. `allow_http`: notify.webhook_allow_private.
std::variant<channel_settings_change, std::vector<http::field_error>>
read_channel_settings(boost::json::object const& body, bool allow_http);

// Why `url` cannot be a notification URL, or std::nullopt when it can.
std::optional<std::string> notification_url_problem(std::string_view url, bool allow_http);

} // namespace kryptod::daemon::api
