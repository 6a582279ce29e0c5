// storage::telegram_store: SQL for the Telegram bot; see telegram_store.hpp.
#include "storage/telegram_store.hpp"

#include "storage/statement_cache.hpp"

#include <SQLiteCpp/Statement.h>

namespace kryptod::storage::telegram_store {

void insert_code(SQLite::Database& db, std::int64_t user, std::string_view code_hash,
                 core::millis now, core::millis expires_at) {
    cached_statement purge(db, "DELETE FROM telegram_codes WHERE user_id = ? OR expires_at <= ?");
    purge->bind(1, static_cast<int64_t>(user));
    purge->bind(2, static_cast<int64_t>(now));
    purge->exec();
    cached_statement st(db, "INSERT INTO telegram_codes (code_hash, user_id, expires_at) "
                            "VALUES (?, ?, ?)");
    st->bind(1, std::string(code_hash));
    st->bind(2, static_cast<int64_t>(user));
    st->bind(3, static_cast<int64_t>(expires_at));
    st->exec();
}

std::optional<std::int64_t> consume_code(SQLite::Database& db, std::string_view code_hash,
                                         core::millis now) {
    cached_statement st(db, "DELETE FROM telegram_codes WHERE code_hash = ? RETURNING user_id, "
                            "expires_at");
    st->bind(1, std::string(code_hash));
    if (!st->executeStep()) return std::nullopt;
    std::int64_t const user = st->getColumn(0).getInt64();
    core::millis const expires_at = st->getColumn(1).getInt64();
    while (st->executeStep()) {
    }
    if (expires_at <= now) return std::nullopt;
    return user;
}

void link(SQLite::Database& db, std::int64_t user, std::int64_t chat, core::millis now) {
    cached_statement other(db, "DELETE FROM telegram_chats WHERE chat_id = ? AND user_id <> ?");
    other->bind(1, static_cast<int64_t>(chat));
    other->bind(2, static_cast<int64_t>(user));
    other->exec();
    cached_statement st(db, "INSERT INTO telegram_chats (user_id, chat_id, linked_at) "
                            "VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                            "chat_id = excluded.chat_id, linked_at = excluded.linked_at");
    st->bind(1, static_cast<int64_t>(user));
    st->bind(2, static_cast<int64_t>(chat));
    st->bind(3, static_cast<int64_t>(now));
    st->exec();
}

bool unlink_user(SQLite::Database& db, std::int64_t user) {
    cached_statement st(db, "DELETE FROM telegram_chats WHERE user_id = ?");
    st->bind(1, static_cast<int64_t>(user));
    return st->exec() > 0;
}

std::optional<std::int64_t> unlink_chat(SQLite::Database& db, std::int64_t chat) {
    cached_statement st(db, "DELETE FROM telegram_chats WHERE chat_id = ? RETURNING user_id");
    st->bind(1, static_cast<int64_t>(chat));
    if (!st->executeStep()) return std::nullopt;
    std::int64_t const user = st->getColumn(0).getInt64();
    while (st->executeStep()) {
    }
    return user;
}

std::optional<std::int64_t> chat_of(SQLite::Database& db, std::int64_t user) {
    cached_statement st(db, "SELECT chat_id FROM telegram_chats WHERE user_id = ?");
    st->bind(1, static_cast<int64_t>(user));
    if (!st->executeStep()) return std::nullopt;
    return st->getColumn(0).getInt64();
}

std::int64_t offset(SQLite::Database& db) {
    cached_statement st(db, "SELECT next_update FROM telegram_offset WHERE id = 1");
    if (!st->executeStep()) return 0;
    return st->getColumn(0).getInt64();
}

void set_offset(SQLite::Database& db, std::int64_t next) {
    cached_statement st(db, "INSERT INTO telegram_offset (id, next_update) VALUES (1, ?) "
                            "ON CONFLICT (id) DO UPDATE SET next_update = excluded.next_update");
    st->bind(1, static_cast<int64_t>(next));
    st->exec();
}

} // namespace kryptod::storage::telegram_store
