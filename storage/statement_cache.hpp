// storage::statement_cache: prepared statements kept for reuse on one
// connection, so that a writer job does not parse and plan its SQL anew.
//
// A cache belongs to one connection and one thread at a time. While a
// statement_cache::scope is alive on a thread, every cached_statement that
// the thread creates for that cache's connection borrows the prepared
// statement from the cache (reset and unbound when it is given back);
// otherwise it prepares a statement of its own, so store functions work on
// any connection. A statement already borrowed (re-entrant use of the same
// SQL) is prepared afresh rather than shared.
//
// Invariants: the cache must be destroyed before its connection (SQLite
// refuses to close a connection with unfinalized statements); a borrowed
// statement is always reset when returned, so it never holds a read
// transaction open between jobs.
//
// Thread-safety: none; a cache and its scope live on one thread.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kryptod::storage {

class statement_cache {
public:
    explicit statement_cache(SQLite::Database& db)
        : db_(db) {}

    statement_cache(statement_cache const&) = delete;
    statement_cache& operator=(statement_cache const&) = delete;

    // Makes `cache` the calling thread's cache for its connection until the
    // scope ends (scopes nest; the previous one is restored).
    class scope {
    public:
        explicit scope(statement_cache& cache);
        ~scope();
        scope(scope const&) = delete;
        scope& operator=(scope const&) = delete;

    private:
        statement_cache* previous_;
    };

    std::size_t size() const noexcept { return entries_.size(); }

private:
    friend class cached_statement;

    struct entry {
        std::unique_ptr<SQLite::Statement> statement;
        bool borrowed = false;
    };
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    SQLite::Database& db_;
    std::unordered_map<std::string, entry, text_hash, std::equal_to<>> entries_;
};

// A prepared statement for one use: borrowed from the thread's active cache
// when it serves `db`, else prepared here. Throws SQLite::Exception when the
// SQL does not prepare.
class cached_statement {
public:
    cached_statement(SQLite::Database& db, std::string_view sql);
    ~cached_statement();
    cached_statement(cached_statement const&) = delete;
    cached_statement& operator=(cached_statement const&) = delete;

    SQLite::Statement& operator*() noexcept { return *statement_; }
    SQLite::Statement* operator->() noexcept { return statement_; }

private:
    std::optional<SQLite::Statement> owned_;
    statement_cache::entry* borrowed_ = nullptr;
    SQLite::Statement* statement_ = nullptr;
};

} // namespace kryptod::storage
