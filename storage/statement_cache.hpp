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
// raw_statement is the same for the loops that read thousands of rows: it
// hands out SQLite's own handle, since SQLite::Statement::getColumn()
// checks the index and copies a shared handle for every value read, which
// cost a sixth of a page of 1,000 candles.
//
// Thread-safety: none; a cache and its scope live on one thread.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3_stmt;

namespace kryptod::storage {

class statement_cache {
public:
    explicit statement_cache(SQLite::Database& db)
        : db_(db) {}
    // Finalizes the raw statements (the others finalize themselves).
    ~statement_cache();

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

    std::size_t size() const noexcept { return entries_.size() + raw_entries_.size(); }

private:
    friend class cached_statement;
    friend class raw_statement;

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

    struct raw_entry {
        sqlite3_stmt* statement = nullptr;
        bool borrowed = false;
    };

    SQLite::Database& db_;
    std::unordered_map<std::string, entry, text_hash, std::equal_to<>> entries_;
    std::unordered_map<std::string, raw_entry, text_hash, std::equal_to<>> raw_entries_;
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

// A prepared statement as SQLite's handle, for reading with sqlite3_column_*
// directly: borrowed from the thread's active cache when it serves `db`,
// else prepared here and finalized at the end. Throws SQLite::Exception
// when the SQL does not prepare, and from step() when a step fails.
class raw_statement {
public:
    raw_statement(SQLite::Database& db, std::string_view sql);
    ~raw_statement();
    raw_statement(raw_statement const&) = delete;
    raw_statement& operator=(raw_statement const&) = delete;

    sqlite3_stmt* get() const noexcept { return statement_; }

    void bind(int index, std::int64_t value);
    void bind(int index, std::string const& text); // not copied: must outlive the steps

    // Whether a row was read (false at the end).
    bool step();

private:
    SQLite::Database& db_;
    statement_cache::raw_entry* borrowed_ = nullptr;
    sqlite3_stmt* statement_ = nullptr;
};

} // namespace kryptod::storage
