// storage::user_store: SQL for users, refresh tokens and email tokens.
#include "storage/user_store.hpp"

#include "storage/result.hpp"
#include "storage/sql.hpp"
#include "storage/statement_cache.hpp"

#include <SQLiteCpp/Statement.h>

namespace kryptod::storage::user_store {

namespace {

constexpr char const* user_columns =
    "id, email, password_hash, role, verified, disabled, "
    "webhook_url, webhook_secret, created_at, updated_at, "
    "tokens_valid_after, discord_webhook_url, slack_webhook_url, ntfy_url, "
    "ntfy_token, "
    "EXISTS (SELECT 1 FROM telegram_chats AS t WHERE t.user_id = users.id)";

user_record read_user(SQLite::Statement& st) {
    user_record u;
    u.id = st.getColumn(0).getInt64();
    u.email = st.getColumn(1).getString();
    u.password_hash = st.getColumn(2).getString();
    u.role = st.getColumn(3).getString();
    u.verified = st.getColumn(4).getInt() != 0;
    u.disabled = st.getColumn(5).getInt() != 0;
    u.webhook_url = sql::opt_text(st.getColumn(6));
    u.webhook_secret = sql::opt_text(st.getColumn(7));
    u.created_at = st.getColumn(8).getInt64();
    u.updated_at = st.getColumn(9).getInt64();
    u.tokens_valid_after = st.getColumn(10).getInt64();
    u.discord_webhook_url = sql::opt_text(st.getColumn(11));
    u.slack_webhook_url = sql::opt_text(st.getColumn(12));
    u.ntfy_url = sql::opt_text(st.getColumn(13));
    u.ntfy_token = sql::opt_text(st.getColumn(14));
    u.telegram_linked = st.getColumn(15).getInt() != 0;
    return u;
}

refresh_token_record read_refresh(SQLite::Statement& st) {
    refresh_token_record t;
    t.id = st.getColumn(0).getInt64();
    t.user_id = st.getColumn(1).getInt64();
    t.token_hash = st.getColumn(2).getString();
    t.family = st.getColumn(3).getString();
    t.issued_at = st.getColumn(4).getInt64();
    t.expires_at = st.getColumn(5).getInt64();
    t.rotated_at = sql::opt_int64(st.getColumn(6));
    t.revoked_at = sql::opt_int64(st.getColumn(7));
    return t;
}

} // namespace

std::int64_t create(SQLite::Database& db, user_record const& u) {
    cached_statement st_sql(db,
                            "INSERT INTO users (email, password_hash, role, verified, disabled, "
                            "webhook_url, webhook_secret, created_at, updated_at, "
                            "tokens_valid_after, discord_webhook_url, slack_webhook_url, "
                            "ntfy_url, ntfy_token) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto& st = *st_sql;
    st.bind(1, u.email);
    st.bind(2, u.password_hash);
    st.bind(3, u.role);
    st.bind(4, u.verified ? 1 : 0);
    st.bind(5, u.disabled ? 1 : 0);
    sql::bind(st, 6, u.webhook_url);
    sql::bind(st, 7, u.webhook_secret);
    st.bind(8, static_cast<int64_t>(u.created_at));
    st.bind(9, static_cast<int64_t>(u.updated_at));
    st.bind(10, static_cast<int64_t>(u.tokens_valid_after));
    sql::bind(st, 11, u.discord_webhook_url);
    sql::bind(st, 12, u.slack_webhook_url);
    sql::bind(st, 13, u.ntfy_url);
    sql::bind(st, 14, u.ntfy_token);
    st.exec();
    return db.getLastInsertRowid();
}

std::optional<user_record> get(SQLite::Database& db, std::int64_t id) {
    cached_statement st_sql(db, std::string("SELECT ") + user_columns + " FROM users WHERE id = ?");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(id));
    if (!st.executeStep()) return std::nullopt;
    return read_user(st);
}

std::optional<user_record> find_by_email(SQLite::Database& db, std::string_view email) {
    cached_statement st_sql(db,
                            std::string("SELECT ") + user_columns + " FROM users WHERE email = ?");
    auto& st = *st_sql;
    st.bind(1, std::string(email));
    if (!st.executeStep()) return std::nullopt;
    return read_user(st);
}

page<user_record> list(SQLite::Database& db, page_request const& paging) {
    page<user_record> out;
    cached_statement total_sql(db, "SELECT count(*) FROM users");
    auto& total = *total_sql;
    out.total = sql::count(total);
    cached_statement st_sql(db, std::string("SELECT ") + user_columns +
                                    " FROM users ORDER BY id DESC LIMIT ? OFFSET ?");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(paging.limit));
    st.bind(2, static_cast<int64_t>(paging.offset));
    while (st.executeStep())
        out.items.push_back(read_user(st));
    return out;
}

void update(SQLite::Database& db, user_record const& u) {
    cached_statement st_sql(db, "UPDATE users SET email = ?, password_hash = ?, role = ?, "
                                "verified = ?, disabled = ?, webhook_url = ?, webhook_secret = ?, "
                                "updated_at = ?, tokens_valid_after = ?, discord_webhook_url = ?, "
                                "slack_webhook_url = ?, ntfy_url = ?, ntfy_token = ? WHERE id = ?");
    auto& st = *st_sql;
    st.bind(1, u.email);
    st.bind(2, u.password_hash);
    st.bind(3, u.role);
    st.bind(4, u.verified ? 1 : 0);
    st.bind(5, u.disabled ? 1 : 0);
    sql::bind(st, 6, u.webhook_url);
    sql::bind(st, 7, u.webhook_secret);
    st.bind(8, static_cast<int64_t>(u.updated_at));
    st.bind(9, static_cast<int64_t>(u.tokens_valid_after));
    sql::bind(st, 10, u.discord_webhook_url);
    sql::bind(st, 11, u.slack_webhook_url);
    sql::bind(st, 12, u.ntfy_url);
    sql::bind(st, 13, u.ntfy_token);
    st.bind(14, static_cast<int64_t>(u.id));
    if (st.exec() == 0) throw not_found_error("no user " + std::to_string(u.id));
}

std::int64_t insert_refresh_token(SQLite::Database& db, refresh_token_record const& t) {
    cached_statement st_sql(db,
                            "INSERT INTO refresh_tokens (user_id, token_hash, family, issued_at, "
                            "expires_at) VALUES (?, ?, ?, ?, ?)");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(t.user_id));
    st.bind(2, t.token_hash);
    st.bind(3, t.family);
    st.bind(4, static_cast<int64_t>(t.issued_at));
    st.bind(5, static_cast<int64_t>(t.expires_at));
    st.exec();
    return db.getLastInsertRowid();
}

std::optional<refresh_token_record> find_refresh_token(SQLite::Database& db,
                                                       std::string_view token_hash) {
    cached_statement st_sql(db, "SELECT id, user_id, token_hash, family, issued_at, expires_at, "
                                "rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = ?");
    auto& st = *st_sql;
    st.bind(1, std::string(token_hash));
    if (!st.executeStep()) return std::nullopt;
    return read_refresh(st);
}

bool rotate_refresh_token(SQLite::Database& db, std::int64_t id, core::millis now) {
    cached_statement st_sql(db, "UPDATE refresh_tokens SET rotated_at = ? "
                                "WHERE id = ? AND rotated_at IS NULL AND revoked_at IS NULL");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(now));
    st.bind(2, static_cast<int64_t>(id));
    return st.exec() == 1;
}

int revoke_refresh_family(SQLite::Database& db, std::string_view family, core::millis now) {
    cached_statement st_sql(
        db, "UPDATE refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(now));
    st.bind(2, std::string(family));
    return st.exec();
}

int revoke_user_refresh_tokens(SQLite::Database& db, std::int64_t user_id, core::millis now) {
    cached_statement st_sql(
        db, "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(now));
    st.bind(2, static_cast<int64_t>(user_id));
    return st.exec();
}

std::int64_t insert_email_token(SQLite::Database& db, std::int64_t user_id,
                                std::string_view token_hash, std::string_view purpose,
                                core::millis created_at, core::millis expires_at) {
    cached_statement st_sql(db,
                            "INSERT INTO email_tokens (user_id, token_hash, purpose, created_at, "
                            "expires_at) VALUES (?, ?, ?, ?, ?)");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(user_id));
    st.bind(2, std::string(token_hash));
    st.bind(3, std::string(purpose));
    st.bind(4, static_cast<int64_t>(created_at));
    st.bind(5, static_cast<int64_t>(expires_at));
    st.exec();
    return db.getLastInsertRowid();
}

std::optional<std::int64_t> consume_email_token(SQLite::Database& db, std::string_view token_hash,
                                                std::string_view purpose, core::millis now) {
    // One statement, so two concurrent uses cannot both succeed.
    cached_statement st_sql(db, "UPDATE email_tokens SET used_at = ? WHERE token_hash = ? AND "
                                "purpose = ? AND used_at IS NULL AND expires_at > ? "
                                "RETURNING user_id");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(now));
    st.bind(2, std::string(token_hash));
    st.bind(3, std::string(purpose));
    st.bind(4, static_cast<int64_t>(now));
    if (!st.executeStep()) return std::nullopt;
    std::int64_t const user_id = st.getColumn(0).getInt64();
    while (st.executeStep()) {
    }
    return user_id;
}

} // namespace kryptod::storage::user_store
