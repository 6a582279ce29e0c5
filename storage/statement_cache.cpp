// storage::statement_cache: the per-thread active cache and the borrowing.
#include "storage/statement_cache.hpp"

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

} // namespace kryptod::storage
