// storage::writer: the one thread that writes kryptod's database, and the
// main file of storage/.
//
// storage/ keeps kryptod's state in one SQLite file behind functions in
// core's vocabulary; SQL lives here and nowhere else. Its rules:
// - One read-write connection, owned by this writer; every write at run time
//   is a writer job. Readers (API lists, start-up) use their own
//   read-only connections (database.hpp).
// - The stores (alert_store, outbox_store, user_store, ...) are free
//   functions over a connection; they throw SQLite::Exception and leave
//   nothing half-written: a unit of several statements runs in a
//   storage::savepoint, a batch in a storage::transaction (transaction.hpp),
//   never in hand-written BEGIN, SAVEPOINT or ROLLBACK.
// - The schema changes only by migrations appended to database.cpp.
//
// The writer owns the only read-write connection. Callers (the tick path, the
// HTTP handlers) hand it jobs through a bounded queue and never wait: submit()
// returns at once, and the job's completion is posted back through the `post`
// function given at construction (the daemon wires it to the io_context).
//
// Group commit: the thread takes up to `max_batch` queued jobs and runs them in
// one `BEGIN IMMEDIATE ... COMMIT`, each job inside its own SAVEPOINT. With
// `synchronous=FULL` the COMMIT is one fsync for the whole batch, which is
// what makes FULL affordable under load.
//
// Invariants:
// - A job's completion reports success only after the COMMIT that contains
//   its work returned: an acknowledged write is durable (see database.hpp).
// - A job that throws rolls back its own savepoint only and gets its own
//   error; the rest of its batch is unaffected.
// - When the COMMIT fails, or SQLite abandons the transaction (disk full, I/O
//   error), every job whose work was in it gets the error: nothing that did
//   not commit is acknowledged.
// - Every accepted job gets exactly one completion, also across stop().
// - Completions run in submission order; the completions of one batch are
//   handed to `post` together, as one function that runs them in turn.
//
// Alert watch: the connection carries temporary triggers that report the
// owner of every row of `alerts` inserted, changed or deleted, by whatever
// statement of whatever job. The on_alerts_changed() listener hears of them
// twice: just before the COMMIT of the transaction that holds the changes
// (`committing`), and once the batch ended, before any of its completions is
// posted (`done`, for every owner announced as committing, whether the
// COMMIT succeeded or not). Between the two, a reader cannot know whether it
// sees the change; before the first, it surely does not; after the second,
// it surely does if the COMMIT succeeded. A cache of what users see stays
// exact by keeping nothing of a user in between. The changes of a
// transaction that was rolled back before its COMMIT are not reported: no
// reader ever saw them.
//
// Event watch: a temporary trigger likewise reports every row inserted into
// `alert_events`, with its alert's owner. Once the transaction holding them
// committed, and before any completion of its batch is posted, the
// on_events_committed() listener gets them in id order (the live stream's
// feed: nobody hears of an event that did not commit, and events of a
// savepoint rolled back are forgotten).
//
// Thread-safety: submit(), stop(), healthy(), stats(), on_alerts_changed(),
// on_events_committed() may be called from any thread. Job work runs on the writer thread only and
// must not block on anything but the database; completions run wherever
// `post` runs them.
#pragma once

#include "storage/result.hpp"

#include <SQLiteCpp/Database.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

struct sqlite3_context;
struct sqlite3_value;

namespace kryptod::storage {

class statement_cache;

struct writer_options {
    // Jobs waiting beyond this many are refused with errc::queue_full.
    // The daemon sets storage.queue_limit (daemon/options.cpp), which owns
    // the default; 0, which no configuration gives, leaves the queue
    // unbounded (tests and tools).
    std::size_t queue_capacity = 0;
    // At most this many jobs share one transaction.
    std::size_t max_batch = 1024;
    // Called on the writer thread after each batch with the time the COMMIT
    // took and the batch size; for metrics and benchmarks. May be empty;
    // must not throw.
    std::function<void(std::chrono::nanoseconds commit_time, std::size_t jobs)> on_commit;
};

struct writer_stats {
    std::uint64_t batches = 0;        // transactions attempted
    std::uint64_t jobs_committed = 0; // completions posted with success
    std::uint64_t jobs_failed = 0;    // completions posted with an error
    std::uint64_t jobs_refused = 0;   // submits refused (queue full or stopped)
    std::size_t queue_depth = 0;      // jobs waiting now
};

class writer {
public:
    using post_fn = std::function<void(std::function<void()>)>;
    using work_fn = std::function<void(SQLite::Database&)>;
    using done_fn = std::function<void(status)>;
    // The alert watch's two calls (see above).
    enum class alert_change { committing, done };
    // Receives the owners (user ids; each once per transaction) whose alerts
    // a transaction changed. Runs on the writer thread; must not throw.
    using alerts_changed_fn =
        std::function<void(alert_change phase, std::span<std::int64_t const> owners)>;

    // An alert event that committed: its id and its alert's owner.
    struct committed_event {
        std::int64_t id = 0;
        std::int64_t owner = 0;
    };
    // Receives the events of a committed transaction, in id order. Runs on
    // the writer thread; must be quick and must not throw.
    using events_committed_fn = std::function<void(std::span<committed_event const> events)>;

    // Takes the read-write connection (from open_database) and starts the
    // thread. `post` must be thread-safe; it receives each completion.
    writer(SQLite::Database db, post_fn post, writer_options options = {});

    // Calls stop().
    ~writer();

    writer(writer const&) = delete;
    writer& operator=(writer const&) = delete;

    // Queues `work` to run on the writer thread inside a transaction; `done`
    // is posted with the outcome once the transaction committed (or failed).
    // Returns at once: an error (errc::queue_full when the queue is at
    // capacity, errc::stopped after stop()) means the job was not accepted
    // and `done` will never be called. `work` reports failure by throwing;
    // `done` must not throw (it runs where `post` runs it, the io_context).
    status submit(work_fn work, done_fn done);

    // Like submit(), for work that produces a value (an inserted id, say).
    template <class T>
    status submit(std::function<T(SQLite::Database&)> work, std::function<void(result<T>)> done) {
        auto value = std::make_shared<std::optional<T>>();
        return submit([value, work = std::move(work)](SQLite::Database& db) { *value = work(db); },
                      [value, done = std::move(done)](status s) {
                          if (s)
                              done(result<T>(std::move(**value)));
                          else
                              done(result<T>(s.err()));
                      });
    }

    // Sets (or, with an empty function, clears) the alert watch's listener.
    void on_alerts_changed(alerts_changed_fn fn);

    // Sets (or, with an empty function, clears) the event watch's listener.
    void on_events_committed(events_committed_fn fn);

    // Refuses new jobs, lets the thread finish every queued one (their
    // completions are posted), then joins it. Idempotent. Must not be called
    // from the writer thread (i.e. from job work).
    void stop();

    // False while the last transaction failed (disk full, I/O error), true
    // again after one succeeds; for /readyz.
    bool healthy() const noexcept { return healthy_.load(std::memory_order_relaxed); }

    writer_stats stats() const;

private:
    struct job {
        work_fn work;
        done_fn done;
    };

    // What the transactions of one batch came to, for stats and health.
    struct batch_tally {
        std::uint64_t transactions = 0;
        bool committed_any = false;
        bool failed = false;
    };

    void run();
    void run_batch(std::deque<job>& batch);
    // Runs jobs from `start` in one transaction, until every job ran or the
    // transaction was lost; returns the index of the first job not in it.
    std::size_t run_transaction(std::deque<job>& batch, std::size_t start,
                                std::vector<status>& outcome, alerts_changed_fn const& listener,
                                batch_tally& tally);
    // Runs one job in a savepoint of its own; false when its failure cost
    // the whole transaction.
    bool run_job(job& j, status& outcome);
    void record_batch(std::vector<status> const& outcome, batch_tally const& tally);
    void post_completions(std::deque<job>& batch, std::vector<status>& outcome);
    alerts_changed_fn alerts_listener();
    void announce_alert_changes(alerts_changed_fn const& listener);
    static void alert_changed(sqlite3_context* ctx, int argc, sqlite3_value** argv);
    static void event_added(sqlite3_context* ctx, int argc, sqlite3_value** argv);
    events_committed_fn events_listener();

    SQLite::Database db_;
    // Prepared statements of the jobs, reused across batches; destroyed
    // before db_ (declared after it).
    std::unique_ptr<statement_cache> statements_;
    post_fn post_;
    writer_options options_;
    // Owners of the alerts the running transaction changed, and of those a
    // batch announced as committing: writer thread only.
    std::vector<std::int64_t> changed_owners_;
    std::vector<std::int64_t> announced_owners_;
    // Events the running transaction inserted: writer thread only.
    std::vector<committed_event> added_events_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<job> queue_;
    bool stopping_ = false;
    writer_stats stats_;
    alerts_changed_fn alerts_changed_;
    events_committed_fn events_committed_;
    std::atomic<bool> healthy_{true};
    std::thread thread_;
};

} // namespace kryptod::storage
