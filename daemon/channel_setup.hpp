// daemon::channel_setup: which notification channels a user has set up,
// the one answer the fire path (a channel not set up queues nothing) and
// the API (GET /api/auth/me, the 422 of a channel not set up) share.
//
// Email is always set up (the account's address); a webhook when the user
// has a webhook_url; Telegram when a chat is linked to the user.
#pragma once

#include "core/alert.hpp"
#include "storage/user_store.hpp"

#include <SQLiteCpp/Database.h>

namespace kryptod::daemon {

// The set-up channels of `user`, read through `db` (any connection).
// Throws SQLite::Exception on a database failure.
core::channel channels_set_up(SQLite::Database& db, storage::user_store::user_record const& user);

} // namespace kryptod::daemon
