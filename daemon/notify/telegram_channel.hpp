// notify::telegram_channel: alert notices as Telegram messages (SPEC §10),
// sendMessage to the chat the user linked, paced to the Bot API's limits.
//
// Invariants:
// - Paced, not retried into: at most telegram.chat_messages_per_minute
//   messages to one chat (evenly spaced) and telegram.messages_per_second
//   in any one second in all; a chat waiting for its turn never holds up
//   another chat's message (the pacer serves chats round robin, and the
//   sender hands each chat one row at a time).
// - A 429's retry_after is honoured for its chat: the message waits that
//   long and goes again within the same attempt (a few times at most, then
//   the attempt is a temporary failure the outbox retries; so is a
//   retry_after over 30 s).
// - 2xx with "ok" is delivered; no answer, 5xx and a refused token (401,
//   404: the operator fixes the token) are retried; 403 (the user blocked
//   the bot or left the chat) and any other 4xx are given up with the Bot
//   API's own words in the event.
// - The Bot API is the operator's service, not a user's URL: the address
//   policy of webhooks does not apply to it (tests and self-hosted Bot API
//   servers run on private addresses); it has a lane of its own.
#pragma once

#include "daemon/notify/channel.hpp"

#include <memory>

namespace kryptod::daemon::notify {

std::unique_ptr<channel> make_telegram_channel(channel_context const& context);

} // namespace kryptod::daemon::notify
