// storage::transaction and storage::savepoint: see transaction.hpp.
#include "storage/transaction.hpp"

#include "storage/statement_cache.hpp"

#include <sqlite3.h>

namespace kryptod::storage {

namespace {

bool in_transaction(SQLite::Database& db) noexcept {
    return sqlite3_get_autocommit(db.getHandle()) == 0;
}

// Runs SQL that takes no parameters through the statement cache; throws.
void run(SQLite::Database& db, std::string_view sql) {
    cached_statement(db, sql)->exec();
}

// The same, reporting failure instead of throwing, for rollbacks.
bool try_run(SQLite::Database& db, std::string_view sql) noexcept {
    try {
        run(db, sql);
        return true;
    } catch (...) {
        return false;
    }
}

} // namespace

transaction::transaction(SQLite::Database& db)
    : db_(db) {
    run(db_, "BEGIN IMMEDIATE");
}

transaction::~transaction() {
    rollback();
}

void transaction::commit() {
    run(db_, "COMMIT");
    open_ = false;
}

void transaction::rollback() noexcept {
    if (!open_) return;
    open_ = false;
    if (in_transaction(db_)) try_run(db_, "ROLLBACK");
}

savepoint::savepoint(SQLite::Database& db, std::string_view name)
    : db_(db)
    , name_(name) {
    run(db_, "SAVEPOINT " + name_);
}

savepoint::~savepoint() {
    rollback();
}

void savepoint::release() {
    run(db_, "RELEASE " + name_);
    open_ = false;
}

bool savepoint::rollback() noexcept {
    if (!open_) return rolled_back_;
    open_ = false;
    // Without a transaction SQLite already undid everything, the savepoint
    // with it: nothing is left to roll back to.
    rolled_back_ = in_transaction(db_) && try_run(db_, "ROLLBACK TO " + name_) &&
                   try_run(db_, "RELEASE " + name_);
    return rolled_back_;
}

} // namespace kryptod::storage
