// storage::user_store: accounts, refresh tokens and single-use email tokens.
//
// Tokens are stored only as hashes computed by the caller; storage never sees
// a token itself. Emails are unique case-insensitively (ASCII), as the schema
// enforces with COLLATE NOCASE.
//
// Every function throws SQLite::Exception on a database failure (the writer
// and storage::attempt() turn it into a result) and not_found_error where
// stated. Timestamps are core::millis.
#pragma once

#include "core/time.hpp"
#include "storage/page.hpp"

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::storage::user_store {

struct user_record {
    std::int64_t id = 0;
    std::string email;
    std::string password_hash; // argon2id PHC string
    std::string role = "user"; // "user" or "admin"
    bool verified = false;
    bool disabled = false;
    std::optional<std::string> webhook_url;
    std::optional<std::string> webhook_secret;
    core::millis created_at = 0;
    core::millis updated_at = 0;
    // Access tokens issued before this are refused (0: none are). Set when
    // the user's sessions end: disabled, password reset, role changed.
    core::millis tokens_valid_after = 0;
    // Chat and push channels (SPEC §10); unset when the user has none. The
    // Discord and Slack URLs and the ntfy token are secrets: whoever holds
    // them can post as kryptod.
    std::optional<std::string> discord_webhook_url;
    std::optional<std::string> slack_webhook_url;
    std::optional<std::string> ntfy_url;
    std::optional<std::string> ntfy_token; // sent as a bearer token
    // A Telegram chat is linked (telegram_store; read with the record, not
    // written through it).
    bool telegram_linked = false;
};

// Inserts a user (id is ignored) and returns the new id. A duplicate email,
// in any letter case, fails with a constraint error (the API's 409).
std::int64_t create(SQLite::Database& db, user_record const& user);

std::optional<user_record> get(SQLite::Database& db, std::int64_t id);

// Finds a user by email, ignoring ASCII letter case.
std::optional<user_record> find_by_email(SQLite::Database& db, std::string_view email);

// All users, newest first.
page<user_record> list(SQLite::Database& db, page_request const& paging);

// Writes every field of `user` but id and created_at to the row `user.id`.
// Throws not_found_error when there is no such user; a constraint error when
// the new email is taken.
void update(SQLite::Database& db, user_record const& user);

// --- refresh tokens -------------------------------------------------------

struct refresh_token_record {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string token_hash;
    std::string family;
    core::millis issued_at = 0;
    core::millis expires_at = 0;
    std::optional<core::millis> rotated_at;
    std::optional<core::millis> revoked_at;

    // Usable for a refresh at `now`: neither rotated, revoked nor expired.
    bool usable(core::millis now) const noexcept {
        return !rotated_at && !revoked_at && now < expires_at;
    }
};

// Stores a new refresh token (id, rotated_at and revoked_at are ignored) and
// returns its id. Fails with a constraint error for an unknown user.
std::int64_t insert_refresh_token(SQLite::Database& db, refresh_token_record const& token);

std::optional<refresh_token_record> find_refresh_token(SQLite::Database& db,
                                                       std::string_view token_hash);

// Marks a token rotated at `now`, atomically: returns true when this call
// rotated it, false when it was already rotated or revoked (a replay: the
// caller then revokes the family).
bool rotate_refresh_token(SQLite::Database& db, std::int64_t id, core::millis now);

// Revokes every not yet revoked token of a family; returns how many.
int revoke_refresh_family(SQLite::Database& db, std::string_view family, core::millis now);

// Revokes every not yet revoked token of a user; returns how many.
int revoke_user_refresh_tokens(SQLite::Database& db, std::int64_t user_id, core::millis now);

// --- email tokens ---------------------------------------------------------

// Stores a single-use token for `purpose` ("verify_email" or
// "password_reset") and returns its id.
std::int64_t insert_email_token(SQLite::Database& db, std::int64_t user_id,
                                std::string_view token_hash, std::string_view purpose,
                                core::millis created_at, core::millis expires_at);

// Uses up a token: returns its user id when the token exists, has this
// purpose, is unused and has not expired at `now`; std::nullopt otherwise.
// A token can be consumed once only.
std::optional<std::int64_t> consume_email_token(SQLite::Database& db, std::string_view token_hash,
                                                std::string_view purpose, core::millis now);

} // namespace kryptod::storage::user_store
