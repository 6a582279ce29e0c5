// storage::telegram_store: SQL for the Telegram bot (SPEC §10): the
// single-use link codes, each user's linked chat, and the getUpdates offset.
//
// Invariants:
// - a link code is stored only as its hash (the caller's digest), belongs
//   to one user, and links at most once, before its expiry;
// - a user has at most one linked chat and a chat is linked to at most one
//   user: linking a chat moves it away from whoever had it;
// - the offset is the id of the next update the bot has not handled; it is
//   written in the same transaction as what an update changed, so a crash
//   neither handles an update twice nor loses one.
//
// Every function throws SQLite::Exception on a database failure (the writer
// and storage::attempt() turn it into a result). Timestamps are core::millis.
#pragma once

#include "core/time.hpp"

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::storage::telegram_store {

// Stores a link code for `user`, valid until `expires_at`, and forgets the
// user's earlier codes and every expired one.
void insert_code(SQLite::Database& db, std::int64_t user, std::string_view code_hash,
                 core::millis now, core::millis expires_at);

// Uses up a code: the user it belongs to when it exists and has not expired
// at `now`; std::nullopt otherwise. A code works once.
std::optional<std::int64_t> consume_code(SQLite::Database& db, std::string_view code_hash,
                                         core::millis now);

// Links `chat` to `user`, replacing the user's earlier chat and unlinking
// the chat from any other user.
void link(SQLite::Database& db, std::int64_t user, std::int64_t chat, core::millis now);

// Unlinks the user's chat; true when there was one.
bool unlink_user(SQLite::Database& db, std::int64_t user);

// Unlinks the chat; the user it was linked to, if any.
std::optional<std::int64_t> unlink_chat(SQLite::Database& db, std::int64_t chat);

// The user's linked chat, if any.
std::optional<std::int64_t> chat_of(SQLite::Database& db, std::int64_t user);

// The next update to ask getUpdates for (0 before the first one).
std::int64_t offset(SQLite::Database& db);
void set_offset(SQLite::Database& db, std::int64_t next);

} // namespace kryptod::storage::telegram_store
