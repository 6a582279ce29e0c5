// Worker threads and their reader connections.
#include "daemon/api/worker_pool.hpp"

#include <boost/asio/post.hpp>

namespace kryptod::daemon::api {

worker_pool::worker_pool(std::filesystem::path database, std::size_t threads)
    : database_(std::move(database))
    , threads_(threads == 0 ? 1 : threads) {}

worker_pool::~worker_pool() {
    stop();
}

void worker_pool::post(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
    }
    boost::asio::post(threads_, std::move(job));
}

void worker_pool::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        stopped_ = true;
    }
    // join() lets the queued jobs finish: each holds a request that
    // deserves an answer, even if it is 503 because the writer has stopped.
    threads_.join();
    std::lock_guard lock(mutex_);
    idle_.clear();
}

worker_pool::connection::connection(std::filesystem::path const& database)
    : db(storage::open_reader(database))
    , statements(std::make_unique<storage::statement_cache>(db)) {}

worker_pool::lease::lease(worker_pool& p)
    : pool(p) {
    {
        std::lock_guard lock(pool.mutex_);
        if (!pool.idle_.empty()) {
            conn = std::move(pool.idle_.back());
            pool.idle_.pop_back();
            return;
        }
    }
    conn = std::make_unique<connection>(pool.database_);
}

worker_pool::lease::~lease() {
    if (!conn) return;
    std::lock_guard lock(pool.mutex_);
    pool.idle_.push_back(std::move(conn));
}

} // namespace kryptod::daemon::api
