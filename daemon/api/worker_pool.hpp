// api::worker_pool: the threads that do the API's slow work (argon2id
// hashing, SQLite reads) off the io_context thread, with read-only database
// connections for them.
//
// Each connection keeps its prepared statements (storage::statement_cache)
// for as long as it lives: a read borrows them instead of parsing and
// planning its SQL again, which for a short query costs more than running
// it.
//
// Invariants: each connection is used by one job at a time; there are never
// more connections than threads; a job never runs after stop() returned; a
// connection's statement cache is destroyed before the connection.
//
// Thread-safety: post() and read() may be called from any thread; read() is
// meant to be called from inside a posted job.
#pragma once

#include "storage/database.hpp"
#include "storage/result.hpp"
#include "storage/statement_cache.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace kryptod::daemon::api {

class worker_pool {
public:
    // Starts `threads` threads (at least 1). Reader connections to
    // `database` are opened lazily, on first use.
    worker_pool(std::filesystem::path database, std::size_t threads);

    // Calls stop().
    ~worker_pool();

    worker_pool(worker_pool const&) = delete;
    worker_pool& operator=(worker_pool const&) = delete;

    // Runs `job` on a worker thread. Jobs posted after stop() are dropped.
    void post(std::function<void()> job);

    // Runs `fn(connection)` with a reader connection borrowed for the call,
    // the connection's statement cache active on this thread meanwhile; what
    // it throws (or a failure to open the connection) becomes the result's
    // error.
    template <class F>
    auto read(F&& fn) -> storage::result<decltype(fn(std::declval<SQLite::Database&>()))> {
        return storage::attempt([&] {
            lease l(*this);
            storage::statement_cache::scope cached(*l.conn->statements);
            return fn(l.conn->db);
        });
    }

    // Refuses new jobs, lets the queued ones finish and joins the threads.
    // Idempotent. Must not be called from a worker thread.
    void stop();

private:
    // A reader connection and its prepared statements (declared after it,
    // so destroyed first).
    struct connection {
        explicit connection(std::filesystem::path const& database);
        SQLite::Database db;
        std::unique_ptr<storage::statement_cache> statements;
    };

    struct lease {
        explicit lease(worker_pool& p);
        ~lease();
        lease(lease const&) = delete;
        lease& operator=(lease const&) = delete;
        worker_pool& pool;
        std::unique_ptr<connection> conn;
    };

    std::filesystem::path database_;
    boost::asio::thread_pool threads_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<connection>> idle_;
    bool stopped_ = false;
};

} // namespace kryptod::daemon::api
