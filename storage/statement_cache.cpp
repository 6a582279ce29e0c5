// storage::statement_cache: the per-thread active cache and the borrowing.
#include "storage/statement_cache.hpp"

#include <SQLiteCpp/Exception.h>

#include <sqlite3.h>

namespace kryptod::storage {

namespace {
thread_local statement_cache* active_cache = nullptr;
} // namespace

statement_cache::scope::scope(statement_cache& cache)
    : previous_(active_cache) {
    active_cache = &cache;
}

statement_cache::scope::~scope() {
    active_cache = previous_;
}

cached_statement::cached_statement(SQLite::Database& db, std::string_view sql) {
    statement_cache* const cache = active_cache;
    if (cache != nullptr && &cache->db_ == &db) {
        auto it = cache->entries_.find(sql);
        if (it == cache->entries_.end())
            it = cache->entries_
                     .emplace(std::string(sql),
                              statement_cache::entry{
                                  std::make_unique<SQLite::Statement>(db, std::string(sql)), false})
                     .first;
        if (!it->second.borrowed) {
            borrowed_ = &it->second;
            borrowed_->borrowed = true;
            statement_ = borrowed_->statement.get();
            return;
        }
    }
    owned_.emplace(db, std::string(sql));
    statement_ = &*owned_;
}

cached_statement::~cached_statement() {
    if (borrowed_ == nullptr) return;
    // tryReset: reset() would rethrow the error of a failed step here.
    statement_->tryReset();
    try {
        statement_->clearBindings();
    } catch (...) {
        // sqlite3_clear_bindings cannot fail; nothing to undo if it did.
    }
    borrowed_->borrowed = false;
}

statement_cache::~statement_cache() {
    for (auto& [sql, e] : raw_entries_)
        sqlite3_finalize(e.statement);
}

namespace {

sqlite3_stmt* prepare(SQLite::Database& db, std::string_view sql) {
    sqlite3_stmt* st = nullptr;
    int const rc = sqlite3_prepare_v3(db.getHandle(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        throw SQLite::Exception(db.getHandle(), rc);
    }
    return st;
}

} // namespace

raw_statement::raw_statement(SQLite::Database& db, std::string_view sql)
    : db_(db) {
    statement_cache* const cache = active_cache;
    if (cache != nullptr && &cache->db_ == &db) {
        auto it = cache->raw_entries_.find(sql);
        if (it == cache->raw_entries_.end())
            it = cache->raw_entries_
                     .emplace(std::string(sql), statement_cache::raw_entry{prepare(db, sql), false})
                     .first;
        if (!it->second.borrowed) {
            borrowed_ = &it->second;
            borrowed_->borrowed = true;
            statement_ = borrowed_->statement;
            return;
        }
    }
    statement_ = prepare(db, sql);
}

raw_statement::~raw_statement() {
    if (borrowed_ == nullptr) {
        sqlite3_finalize(statement_);
        return;
    }
    // Reset, so that a borrowed statement never holds a read transaction
    // open between jobs, and unbound.
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
    borrowed_->borrowed = false;
}

void raw_statement::bind(int index, std::int64_t value) {
    if (int const rc = sqlite3_bind_int64(statement_, index, value); rc != SQLITE_OK)
        throw SQLite::Exception(db_.getHandle(), rc);
}

void raw_statement::bind(int index, std::string const& text) {
    if (int const rc = sqlite3_bind_text(statement_, index, text.data(),
                                         static_cast<int>(text.size()), SQLITE_STATIC);
        rc != SQLITE_OK)
        throw SQLite::Exception(db_.getHandle(), rc);
}

bool raw_statement::step() {
    int const rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw SQLite::Exception(db_.getHandle(), rc);
}

} // namespace kryptod::storage
