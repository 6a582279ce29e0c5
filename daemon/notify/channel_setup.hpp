// notify::channel_setup: the one rule for which channels a user has set up
// (SPEC §10). The API refuses an alert naming a channel outside this set
// (422 on create and PATCH), GET /api/auth/me lists it, the fire path
// records a channel that stopped being set up instead of queueing it, and
// each channel refuses a row whose user has lost its setting since.
//
// Email is always set up (every account has an address); the webhook while
// the user has a webhook_url; Telegram while a chat is linked; Discord,
// Slack and ntfy while their URL is set. Only the settings are read, never checked against the
// network.
#pragma once

#include "core/alert.hpp"
#include "storage/user_store.hpp"

#include <string>

namespace kryptod::daemon::notify {

// The channels `user` can be notified by, as a set.
core::channel channels_set_up(storage::user_store::user_record const& user) noexcept;

// What a user is told about a channel that is not set up, e.g.
// "discord is not set up"; `single` is one channel.
std::string not_set_up(core::channel single);

} // namespace kryptod::daemon::notify
