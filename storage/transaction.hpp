// storage::transaction and storage::savepoint: RAII for SQLite transactions,
// in the spirit of SQLiteCpp's SQLite::Transaction. What a scope began is
// rolled back on every way out of it (return, exception) unless the scope
// committed it.
//
// - transaction: BEGIN IMMEDIATE ... COMMIT, the writer's group commit. It
//   takes the write lock at once, so a busy database fails at the BEGIN,
//   before any work ran.
// - savepoint: SAVEPOINT name ... RELEASE name. Nests inside a transaction or
//   another savepoint (a job inside the writer's batch, a unit inside a job);
//   outside any transaction it is a transaction of its own (a deferred one).
//
// Invariants:
// - Destructors never throw: a rollback that fails is left to SQLite, which
//   has then abandoned the whole transaction (see rollback()).
// - Statements come from the thread's statement cache when one serves the
//   connection (statement_cache.hpp), so a savepoint per writer job costs no
//   SQL parsing.
//
// Thread-safety: none; one connection, one thread, like the connection.
#pragma once

#include <SQLiteCpp/Database.h>

#include <string>
#include <string_view>

namespace kryptod::storage {

class transaction {
public:
    // BEGIN IMMEDIATE. Throws SQLite::Exception (busy, I/O error, or a
    // transaction already open on the connection).
    explicit transaction(SQLite::Database& db);
    // Rolls back unless commit() succeeded.
    ~transaction();

    transaction(transaction const&) = delete;
    transaction& operator=(transaction const&) = delete;

    // COMMIT. Throws SQLite::Exception when the COMMIT fails; the destructor
    // then rolls back whatever SQLite left open.
    void commit();

    // ROLLBACK, when the connection is still in a transaction (SQLite may
    // have rolled it back itself after SQLITE_FULL or SQLITE_IOERR).
    // Idempotent; never throws.
    void rollback() noexcept;

private:
    SQLite::Database& db_;
    bool open_ = true;
};

class savepoint {
public:
    // SAVEPOINT `name`. `name` must be an SQL identifier; savepoints nested
    // in one another may share a name (SQLite pairs each RELEASE or ROLLBACK
    // TO with the innermost). Throws SQLite::Exception.
    savepoint(SQLite::Database& db, std::string_view name);
    // Rolls back unless release() or rollback() was called.
    ~savepoint();

    savepoint(savepoint const&) = delete;
    savepoint& operator=(savepoint const&) = delete;

    // RELEASE: the work becomes part of the enclosing transaction (or is
    // committed, when there is none). Throws SQLite::Exception; the
    // destructor then rolls back.
    void release();

    // ROLLBACK TO and RELEASE: the work since the savepoint is undone and the
    // enclosing transaction goes on. Returns false when that was not
    // possible because SQLite abandoned the whole transaction (SQLITE_FULL,
    // SQLITE_IOERR, SQLITE_NOMEM roll back everything): the work of the
    // enclosing transaction is then lost too. Never throws; idempotent.
    bool rollback() noexcept;

private:
    SQLite::Database& db_;
    std::string name_;
    bool open_ = true;
    bool rolled_back_ = false;
};

} // namespace kryptod::storage
