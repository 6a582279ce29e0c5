// storage::writer: the group-commit loop.
//
// The thread alternates between taking a batch off the queue (under the
// mutex) and running it (without the mutex, so producers never wait on a
// commit). See writer.hpp for the invariants kept here.
#include "storage/writer.hpp"

#include "storage/statement_cache.hpp"

#include <algorithm>
#include <sqlite3.h>
#include <utility>
#include <vector>

namespace kryptod::storage {

namespace {

// Temporary: they exist on the writer's connection only, are not part of the
// schema, and need no migration. An update reports the old owner, and the
// new one if it moved.
constexpr char const* alert_watch_sql = R"sql(
CREATE TEMP TRIGGER kryptod_watch_alert_insert AFTER INSERT ON main.alerts BEGIN
    SELECT kryptod_alert_changed(NEW.user_id);
END;
CREATE TEMP TRIGGER kryptod_watch_alert_update AFTER UPDATE ON main.alerts BEGIN
    SELECT kryptod_alert_changed(OLD.user_id);
    SELECT kryptod_alert_changed(NEW.user_id) WHERE NEW.user_id IS NOT OLD.user_id;
END;
CREATE TEMP TRIGGER kryptod_watch_alert_delete AFTER DELETE ON main.alerts BEGIN
    SELECT kryptod_alert_changed(OLD.user_id);
END;
)sql";

} // namespace

void writer::alert_changed(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    auto* self = static_cast<writer*>(sqlite3_user_data(ctx));
    if (argc == 1 && sqlite3_value_type(argv[0]) == SQLITE_INTEGER)
        self->changed_owners_.push_back(sqlite3_value_int64(argv[0]));
    sqlite3_result_null(ctx);
}

writer::writer(SQLite::Database db, post_fn post, writer_options options)
    : db_(std::move(db))
    , statements_(std::make_unique<statement_cache>(db_))
    , post_(std::move(post))
    , options_(std::move(options)) {
    if (options_.max_batch == 0) options_.max_batch = 1;
    int const rc =
        sqlite3_create_function_v2(db_.getHandle(), "kryptod_alert_changed", 1, SQLITE_UTF8, this,
                                   &writer::alert_changed, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) throw SQLite::Exception(db_.getHandle(), rc);
    db_.exec(alert_watch_sql);
    thread_ = std::thread([this] { run(); });
}

writer::~writer() {
    stop();
}

status writer::submit(work_fn work, done_fn done) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            ++stats_.jobs_refused;
            return error{errc::stopped, "the database writer is shutting down"};
        }
        if (queue_.size() >= options_.queue_capacity) {
            ++stats_.jobs_refused;
            return error{errc::queue_full, "the database writer's queue is full (" +
                                               std::to_string(options_.queue_capacity) +
                                               " jobs waiting)"};
        }
        queue_.push_back(job{std::move(work), std::move(done)});
    }
    wake_.notify_one();
    return {};
}

void writer::on_alerts_changed(alerts_changed_fn fn) {
    std::lock_guard lock(mutex_);
    alerts_changed_ = std::move(fn);
}

writer::alerts_changed_fn writer::alerts_listener() {
    std::lock_guard lock(mutex_);
    return alerts_changed_;
}

void writer::announce_alert_changes(alerts_changed_fn const& listener) {
    if (changed_owners_.empty()) return;
    std::sort(changed_owners_.begin(), changed_owners_.end());
    changed_owners_.erase(std::unique(changed_owners_.begin(), changed_owners_.end()),
                          changed_owners_.end());
    if (listener) listener(alert_change::committing, changed_owners_);
    announced_owners_.insert(announced_owners_.end(), changed_owners_.begin(),
                             changed_owners_.end());
    changed_owners_.clear();
}

void writer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

writer_stats writer::stats() const {
    std::lock_guard lock(mutex_);
    writer_stats s = stats_;
    s.queue_depth = queue_.size();
    return s;
}

void writer::run() {
    // Store functions called by jobs borrow their statements from the cache.
    statement_cache::scope cached(*statements_);
    std::deque<job> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return; // stopping, and everything is done
            std::size_t const n = std::min(queue_.size(), options_.max_batch);
            auto const end = queue_.begin() + static_cast<std::ptrdiff_t>(n);
            batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
            queue_.erase(queue_.begin(), end);
        }
        run_batch(batch);
        batch.clear();
    }
}

void writer::run_batch(std::deque<job>& batch) {
    std::size_t const n = batch.size();
    std::vector<status> outcome(n);
    std::uint64_t batches = 0;
    bool committed_any = false;
    bool failed_txn = false;
    sqlite3* const handle = db_.getHandle();

    // Fails every job in [from, to) that had succeeded so far: their work
    // was in a transaction that did not commit.
    auto fail_range = [&](std::size_t from, std::size_t to, error const& e) {
        for (std::size_t j = from; j < to; ++j)
            if (outcome[j]) outcome[j] = e;
    };

    auto const listener = alerts_listener();
    std::size_t i = 0;
    while (i < n) {
        ++batches;
        std::size_t const start = i;
        changed_owners_.clear(); // changes of a transaction rolled back never showed
        try {
            db_.exec("BEGIN IMMEDIATE");
        } catch (...) {
            fail_range(i, n, error_from(std::current_exception()));
            failed_txn = true;
            break;
        }
        bool lost = false;
        for (; i < n; ++i) {
            std::size_t const owners_before = changed_owners_.size();
            try {
                cached_statement(db_, "SAVEPOINT job")->exec();
                batch[i].work(db_);
                cached_statement(db_, "RELEASE job")->exec();
                continue;
            } catch (...) {
                outcome[i] = error_from(std::current_exception());
            }
            // SQLite abandons the whole transaction on some errors (SQLITE_FULL,
            // SQLITE_IOERR, SQLITE_NOMEM); then the earlier jobs' work is gone too.
            bool ok_rollback = sqlite3_get_autocommit(handle) == 0;
            if (ok_rollback) {
                ok_rollback = db_.tryExec("ROLLBACK TO job") == SQLITE_OK &&
                              db_.tryExec("RELEASE job") == SQLITE_OK;
            }
            if (ok_rollback) changed_owners_.resize(owners_before); // undone, never seen
            if (!ok_rollback) {
                if (sqlite3_get_autocommit(handle) == 0) db_.tryExec("ROLLBACK");
                fail_range(start, i, outcome[i].err());
                ++i;
                lost = true;
                failed_txn = true;
                break;
            }
        }
        if (lost) continue;

        announce_alert_changes(listener);
        auto const t0 = std::chrono::steady_clock::now();
        int const rc = db_.tryExec("COMMIT");
        auto const took = std::chrono::steady_clock::now() - t0;
        if (rc != SQLITE_OK) {
            int const ext = db_.getExtendedErrorCode();
            error const e{errc_from_sqlite(ext), std::string("commit failed: ") + db_.getErrorMsg(),
                          ext};
            if (sqlite3_get_autocommit(handle) == 0) db_.tryExec("ROLLBACK");
            fail_range(start, i, e);
            failed_txn = true;
        } else {
            committed_any = true;
            if (options_.on_commit)
                options_.on_commit(std::chrono::duration_cast<std::chrono::nanoseconds>(took),
                                   i - start);
        }
    }

    std::uint64_t ok = 0;
    for (auto const& s : outcome)
        if (s) ++ok;
    {
        std::lock_guard lock(mutex_);
        stats_.batches += batches;
        stats_.jobs_committed += ok;
        stats_.jobs_failed += n - ok;
    }
    if (failed_txn)
        healthy_.store(false, std::memory_order_relaxed);
    else if (committed_any)
        healthy_.store(true, std::memory_order_relaxed);

    if (!announced_owners_.empty()) {
        if (listener) listener(alert_change::done, announced_owners_);
        announced_owners_.clear();
    }

    // One post per batch, running the completions in submission order: one
    // hand-over to the io_context instead of one per job.
    struct completion {
        done_fn done;
        status outcome;
    };
    auto completions = std::make_shared<std::vector<completion>>();
    completions->reserve(n);
    for (std::size_t j = 0; j < n; ++j)
        if (batch[j].done)
            completions->push_back(completion{std::move(batch[j].done), std::move(outcome[j])});
    if (completions->empty()) return;
    post_([completions] {
        for (auto& c : *completions)
            c.done(c.outcome);
    });
}

} // namespace kryptod::storage
