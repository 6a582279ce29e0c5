// storage::writer: the group-commit loop.
//
// The thread alternates between taking a batch off the queue (under the
// mutex) and running it (without the mutex, so producers never wait on a
// commit). See writer.hpp for the invariants kept here.
#include "storage/writer.hpp"

#include "storage/statement_cache.hpp"
#include "storage/transaction.hpp"

#include <SQLiteCpp/Exception.h>

#include <algorithm>
#include <optional>
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
CREATE TEMP TRIGGER kryptod_watch_event_insert AFTER INSERT ON main.alert_events BEGIN
    SELECT kryptod_event_added(NEW.id, (SELECT user_id FROM main.alerts WHERE id = NEW.alert_id));
END;
)sql";

} // namespace

void writer::alert_changed(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    auto* self = static_cast<writer*>(sqlite3_user_data(ctx));
    if (argc == 1 && sqlite3_value_type(argv[0]) == SQLITE_INTEGER)
        self->changed_owners_.push_back(sqlite3_value_int64(argv[0]));
    sqlite3_result_null(ctx);
}

void writer::event_added(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    auto* self = static_cast<writer*>(sqlite3_user_data(ctx));
    if (argc == 2 && sqlite3_value_type(argv[0]) == SQLITE_INTEGER &&
        sqlite3_value_type(argv[1]) == SQLITE_INTEGER)
        self->added_events_.push_back(
            committed_event{sqlite3_value_int64(argv[0]), sqlite3_value_int64(argv[1])});
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
    int const rc_events =
        sqlite3_create_function_v2(db_.getHandle(), "kryptod_event_added", 2, SQLITE_UTF8, this,
                                   &writer::event_added, nullptr, nullptr, nullptr);
    if (rc_events != SQLITE_OK) throw SQLite::Exception(db_.getHandle(), rc_events);
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
        if (options_.queue_capacity != 0 && queue_.size() >= options_.queue_capacity) {
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

void writer::on_events_committed(events_committed_fn fn) {
    std::lock_guard lock(mutex_);
    events_committed_ = std::move(fn);
}

writer::events_committed_fn writer::events_listener() {
    std::lock_guard lock(mutex_);
    return events_committed_;
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

// A batch is one transaction, or several when one was lost: SQLite abandons
// a whole transaction on some errors (SQLITE_FULL, SQLITE_IOERR,
// SQLITE_NOMEM), the jobs whose work was in it fail with that error, and the
// jobs after the one that met it start a fresh transaction.
void writer::run_batch(std::deque<job>& batch) {
    std::vector<status> outcome(batch.size());
    batch_tally tally;
    auto const listener = alerts_listener();
    std::size_t i = 0;
    while (i < batch.size())
        i = run_transaction(batch, i, outcome, listener, tally);
    record_batch(outcome, tally);
    if (!announced_owners_.empty()) {
        if (listener) listener(alert_change::done, announced_owners_);
        announced_owners_.clear();
    }
    post_completions(batch, outcome);
}

std::size_t writer::run_transaction(std::deque<job>& batch, std::size_t start,
                                    std::vector<status>& outcome, alerts_changed_fn const& listener,
                                    batch_tally& tally) {
    // Fails every job in [start, end) that had succeeded so far: their work
    // was in a transaction that did not commit.
    auto const fail_range = [&](std::size_t end, error const& e) {
        for (std::size_t j = start; j < end; ++j)
            if (outcome[j]) outcome[j] = e;
    };
    ++tally.transactions;
    changed_owners_.clear(); // changes of a transaction rolled back never showed
    added_events_.clear();
    std::optional<transaction> txn;
    try {
        txn.emplace(db_);
    } catch (...) {
        fail_range(batch.size(), error_from(std::current_exception()));
        tally.failed = true;
        return batch.size();
    }
    std::size_t i = start;
    for (; i < batch.size(); ++i) {
        if (run_job(batch[i], outcome[i])) continue;
        fail_range(i, outcome[i].err());
        tally.failed = true;
        return i + 1; // the transaction rolls back as it leaves scope
    }

    announce_alert_changes(listener);
    auto const t0 = std::chrono::steady_clock::now();
    try {
        txn->commit();
    } catch (SQLite::Exception const& e) {
        int const ext = e.getExtendedErrorCode();
        fail_range(i, error{errc_from_sqlite(ext), std::string("commit failed: ") + e.what(), ext});
        tally.failed = true;
        return i;
    }
    tally.committed_any = true;
    if (!added_events_.empty()) {
        if (auto const events = events_listener()) events(added_events_);
        added_events_.clear();
    }
    if (options_.on_commit)
        options_.on_commit(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now() - t0),
                           i - start);
    return i;
}

bool writer::run_job(job& j, status& outcome) {
    std::size_t const owners_before = changed_owners_.size();
    std::size_t const events_before = added_events_.size();
    std::optional<savepoint> sp;
    try {
        sp.emplace(db_, "job");
        j.work(db_);
        sp->release();
        return true;
    } catch (...) {
        outcome = error_from(std::current_exception());
    }
    if (!sp || !sp->rollback()) return false;
    changed_owners_.resize(owners_before); // undone, never seen
    added_events_.resize(events_before);
    return true;
}

void writer::record_batch(std::vector<status> const& outcome, batch_tally const& tally) {
    std::uint64_t ok = 0;
    for (auto const& s : outcome)
        if (s) ++ok;
    {
        std::lock_guard lock(mutex_);
        stats_.batches += tally.transactions;
        stats_.jobs_committed += ok;
        stats_.jobs_failed += outcome.size() - ok;
    }
    if (tally.failed)
        healthy_.store(false, std::memory_order_relaxed);
    else if (tally.committed_any)
        healthy_.store(true, std::memory_order_relaxed);
}

// One post per batch, running the completions in submission order: one
// hand-over to the io_context instead of one per job.
void writer::post_completions(std::deque<job>& batch, std::vector<status>& outcome) {
    struct completion {
        done_fn done;
        status outcome;
    };
    auto completions = std::make_shared<std::vector<completion>>();
    completions->reserve(batch.size());
    for (std::size_t j = 0; j < batch.size(); ++j)
        if (batch[j].done)
            completions->push_back(completion{std::move(batch[j].done), std::move(outcome[j])});
    if (completions->empty()) return;
    post_([completions] {
        for (auto& c : *completions)
            c.done(c.outcome);
    });
}

} // namespace kryptod::storage
