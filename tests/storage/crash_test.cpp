// Crash safety as a user sees it: a child process drives acknowledged writes
// through the writer and is killed with SIGKILL at a random moment; after
// each kill the database must hold every acknowledged write, each complete
// (an alert with its `created` and `triggered` events and both outbox rows),
// nothing half-written, and pass `PRAGMA integrity_check`.
//
// KRYPTOD_CRASH_TRIALS sets the number of kills (default 20).
#include "storage/alert_store.hpp"
#include "storage/database.hpp"
#include "storage/writer.hpp"
#include "store_fixture.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <poll.h>
#include <random>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace kryptod;
using namespace kryptod::storage;

namespace {

int trials() {
    char const* env = std::getenv("KRYPTOD_CRASH_TRIALS");
    if (env == nullptr || *env == '\0') return 20;
    int const n = std::atoi(env);
    if (n <= 0) throw std::runtime_error("KRYPTOD_CRASH_TRIALS must be a positive number");
    return n;
}

void write_all(int fd, void const* data, std::size_t n) {
    auto const* p = static_cast<char const*>(data);
    while (n > 0) {
        ssize_t const w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) ::_exit(3);
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

// The child: 4 producers submit "create an alert and fire it" jobs as fast as
// the writer takes them; each acknowledged alert id goes to the pipe only
// after its completion reported success. Never returns.
[[noreturn]] void run_child(std::filesystem::path const& path, core::user_id owner, int ack_fd) {
    try {
        // Completions run on the writer thread itself: the pipe write is the
        // acknowledgement, and it happens after the COMMIT.
        // Small batches: many commits per run, so kills land at every stage
        // of one (running jobs, writing the WAL, fsync, acknowledging).
        writer_options opt;
        opt.max_batch = 32;
        opt.queue_capacity = 128;
        writer w(
            open_database(path), [](std::function<void()> fn) { fn(); }, opt);
        std::atomic<bool> run{true};
        std::vector<std::thread> producers;
        for (int p = 0; p < 4; ++p)
            producers.emplace_back([&, p] {
                std::int64_t n = 0;
                while (run) {
                    std::int64_t const target = 1 + p * 1000000 + n++;
                    auto work = [owner, target](SQLite::Database& db) -> core::alert_id {
                        core::alert a = test::store_fixture::make_alert(owner, target, 1000);
                        a.id = storage::alert_store::insert(db, a, "BTCUSDT");
                        core::fire(a, a.target, 2000);
                        storage::alert_store::record_fire(
                            db, a, 1999, false,
                            {{core::channel::email, "mail"}, {core::channel::webhook, "hook"}});
                        return a.id;
                    };
                    auto done = [ack_fd](result<core::alert_id> r) {
                        if (!r) return;
                        std::int64_t const id = r.value();
                        write_all(ack_fd, &id, sizeof id);
                    };
                    if (!w.submit<core::alert_id>(work, done))
                        std::this_thread::sleep_for(std::chrono::microseconds(200));
                }
            });
        // The parent kills us long before this.
        std::this_thread::sleep_for(std::chrono::seconds(60));
        ::_exit(2);
    } catch (...) {
        ::_exit(4);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(crash)

BOOST_AUTO_TEST_CASE(every_acknowledged_write_survives_sigkill) {
    test::temp_dir dir;
    auto const path = dir.path / "kryptod.db";
    core::user_id owner = 0;
    {
        auto db = open_database(path);
        coin_store::add(db, "BTCUSDT", 1);
        user_store::user_record u;
        u.email = "crash@example.com";
        u.password_hash = "x";
        owner = user_store::create(db, u);
    }
    std::set<std::int64_t> acknowledged;
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> acks_before_kill(0, 250);
    std::uniform_int_distribution<int> extra_delay_us(0, 3000);
    int const n = trials();
    for (int trial = 0; trial < n; ++trial) {
        int fds[2];
        BOOST_REQUIRE(::pipe(fds) == 0);
        pid_t const child = ::fork();
        BOOST_REQUIRE(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            run_child(path, owner, fds[1]);
        }
        ::close(fds[1]);
        // Kill after a random number of acknowledgements (counted, not timed,
        // so a slow machine or a sanitizer build moves the kill points no
        // less), plus a random few hundred microseconds to land anywhere in a
        // batch: running jobs, writing the WAL, in fsync, acknowledging.
        std::size_t const kill_after = static_cast<std::size_t>(acks_before_kill(rng));
        std::int64_t id = 0;
        std::size_t got = 0;
        std::size_t acked_now = 0;
        auto read_some = [&]() -> bool {
            char buf[4096];
            ssize_t const r = ::read(fds[0], buf, sizeof buf);
            if (r < 0 && errno == EINTR) return true;
            if (r <= 0) return false;
            for (ssize_t k = 0; k < r; ++k) {
                reinterpret_cast<char*>(&id)[got++] = buf[k];
                if (got == sizeof id) {
                    acknowledged.insert(id);
                    ++acked_now;
                    got = 0;
                }
            }
            return true;
        };
        auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (acked_now < kill_after && std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{fds[0], POLLIN, 0};
            if (::poll(&pfd, 1, 100) > 0 && !read_some()) break;
        }
        BOOST_TEST_REQUIRE(acked_now >= kill_after, "trial " << trial
                                                             << ": the child acknowledged only "
                                                             << acked_now << " writes in 60 s");
        std::this_thread::sleep_for(std::chrono::microseconds(extra_delay_us(rng)));
        BOOST_REQUIRE(::kill(child, SIGKILL) == 0);
        // Everything in the pipe was written before the kill: acknowledged.
        while (read_some()) {
        }
        ::close(fds[0]);
        int wstatus = 0;
        BOOST_REQUIRE(::waitpid(child, &wstatus, 0) == child);
        BOOST_TEST_REQUIRE(WIFSIGNALED(wstatus), "trial " << trial << ": child exited by itself");
        BOOST_TEST_MESSAGE("trial " << trial << ": " << acked_now << " acknowledged");

        // Restart: open as the daemon does (recovers the WAL) and check.
        auto db = open_database(path);
        BOOST_TEST_REQUIRE(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
        SQLite::Statement fk(db, "PRAGMA foreign_key_check");
        BOOST_TEST_REQUIRE(!fk.executeStep(), "trial " << trial << ": dangling foreign keys");
        std::set<std::int64_t> present;
        SQLite::Statement all(db, "SELECT id FROM alerts");
        while (all.executeStep())
            present.insert(all.getColumn(0).getInt64());
        std::size_t missing = 0;
        for (auto const a : acknowledged)
            missing += present.count(a) == 0;
        BOOST_TEST_REQUIRE(missing == 0u,
                           "trial " << trial << ": " << missing << " acknowledged alerts lost");
        // Every alert row is a whole unit: fired, two events, two outbox rows.
        int const broken =
            db.execAndGet(
                  "SELECT count(*) FROM alerts a "
                  "LEFT JOIN (SELECT alert_id, sum(type = 'created') AS created, "
                  "           sum(type = 'triggered') AS triggered "
                  "           FROM alert_events GROUP BY alert_id) e ON e.alert_id = a.id "
                  "LEFT JOIN (SELECT alert_id, count(*) AS n FROM outbox GROUP BY alert_id) o "
                  "       ON o.alert_id = a.id "
                  "WHERE a.status <> 'triggered' OR a.trigger_count <> 1 "
                  "   OR e.created IS NOT 1 OR e.triggered IS NOT 1 OR o.n IS NOT 2")
                .getInt();
        BOOST_TEST_REQUIRE(broken == 0, "trial " << trial << ": " << broken << " partial units");
        int const orphans =
            db.execAndGet("SELECT (SELECT count(*) FROM alert_events WHERE alert_id NOT IN "
                          "(SELECT id FROM alerts)) + (SELECT count(*) FROM outbox WHERE "
                          "alert_id NOT IN (SELECT id FROM alerts))")
                .getInt();
        BOOST_TEST_REQUIRE(orphans == 0);
    }
    BOOST_TEST(acknowledged.size() > 0u);
    BOOST_TEST_MESSAGE(acknowledged.size()
                       << " acknowledged writes checked over " << n << " kills");
}

BOOST_AUTO_TEST_SUITE_END()
