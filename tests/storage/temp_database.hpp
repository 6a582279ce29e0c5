// temp_database: a fresh, migrated kryptod database in its own temporary
// directory, removed with the fixture; and a thread-safe completion queue that
// stands in for the io_context the daemon posts writer completions to.
#pragma once

#include "storage/database.hpp"
#include "tests/support/temp_dir.hpp"

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace kryptod::storage::test {

// prefix followed by n in decimal ("C" and 7 give "C7").
inline std::string numbered(std::string prefix, long long n) {
    prefix.append(std::to_string(n));
    return prefix;
}

// Directories of the storage tests.
struct temp_dir : kryptod::test_support::temp_dir {
    temp_dir()
        : kryptod::test_support::temp_dir("kryptod-storage") {}
};

// A migrated database file with a connection `db` open for writing.
struct temp_database {
    temp_dir dir;
    std::filesystem::path path = dir.path / "kryptod.db";
    SQLite::Database db = open_database(path);
};

// Collects posted completions; run() executes them on the calling thread.
class completion_queue {
public:
    void post(std::function<void()> fn) {
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(std::move(fn));
        }
        cv_.notify_all();
    }

    std::function<void(std::function<void()>)> poster() {
        return [this](std::function<void()> fn) { post(std::move(fn)); };
    }

    // Runs posted functions until `done()` holds or `timeout` passed;
    // returns whether `done()` held. (The writer posts one function per
    // batch, running every completion of the batch.)
    bool run_until(std::function<bool()> const& done,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            std::function<void()> fn;
            {
                std::unique_lock lock(mutex_);
                if (!cv_.wait_until(lock, deadline, [this] { return !queue_.empty(); }))
                    return done();
                fn = std::move(queue_.front());
                queue_.pop_front();
            }
            fn();
        }
        return true;
    }

    // Runs posted functions until `count` have run or `timeout` passed;
    // returns how many ran.
    std::size_t run(std::size_t count,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        std::size_t ran = 0;
        while (ran < count) {
            std::function<void()> fn;
            {
                std::unique_lock lock(mutex_);
                if (!cv_.wait_until(lock, deadline, [this] { return !queue_.empty(); })) break;
                fn = std::move(queue_.front());
                queue_.pop_front();
            }
            fn();
            ++ran;
        }
        return ran;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
};

} // namespace kryptod::storage::test
