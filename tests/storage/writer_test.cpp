// Tests storage/writer.hpp: group commit, per-job failure isolation, the
// bounded queue, ordered completions, a clean stop and the alert watch.
#include "storage/alert_store.hpp"
#include "storage/writer.hpp"
#include "store_fixture.hpp"
#include "temp_database.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace kryptod::storage;
// The suite is named `writer` too; this alias keeps the class unambiguous.
using db_writer = kryptod::storage::writer;

namespace {

struct writer_fixture {
    test::temp_database t;
    test::completion_queue completions;

    db_writer::work_fn insert_coin(std::string symbol) {
        return [symbol](SQLite::Database& db) {
            SQLite::Statement st(db, "INSERT INTO coins (symbol, added_at) VALUES (?, 1)");
            st.bind(1, symbol);
            st.exec();
        };
    }

    int coins() { return open_reader(t.path).execAndGet("SELECT count(*) FROM coins").getInt(); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(writer)

BOOST_FIXTURE_TEST_CASE(acknowledged_jobs_are_committed_and_visible_to_readers, writer_fixture) {
    db_writer w(open_database(t.path), completions.poster());
    std::vector<int> oks;
    for (int i = 0; i < 50; ++i)
        BOOST_TEST(w.submit(insert_coin(test::numbered("C", i)), [&oks](status s) {
                        oks.push_back(s.ok());
                    }).ok());
    BOOST_TEST(completions.run_until([&] { return oks.size() == 50u; }));
    BOOST_TEST(oks == std::vector<int>(50, 1));
    BOOST_TEST(coins() == 50);
    w.stop();
    BOOST_TEST(w.stats().jobs_committed == 50u);
}

BOOST_FIXTURE_TEST_CASE(queued_jobs_share_one_transaction, writer_fixture) {
    std::atomic<int> commits{0};
    std::vector<std::size_t> sizes;
    writer_options opt;
    opt.on_commit = [&](std::chrono::nanoseconds, std::size_t n) {
        ++commits;
        sizes.push_back(n);
    };
    db_writer w(open_database(t.path), completions.poster(), opt);
    int answered = 0;
    // Hold the writer busy in a first job so that the next 100 queue up.
    std::atomic<bool> release{false};
    BOOST_TEST(w.submit(
                    [&](SQLite::Database&) {
                        while (!release)
                            std::this_thread::yield();
                    },
                    {})
                   .ok());
    while (w.stats().queue_depth != 0)
        std::this_thread::yield();
    for (int i = 0; i < 100; ++i)
        BOOST_TEST(w.submit(insert_coin(test::numbered("C", i)), [&](status) { ++answered; }).ok());
    release = true;
    BOOST_TEST(completions.run_until([&] { return answered == 100; }));
    w.stop();
    BOOST_TEST(commits.load() == 2); // one for the first job, one for the 100
    BOOST_TEST(sizes.back() == 100u);
    BOOST_TEST(coins() == 100);
}

BOOST_FIXTURE_TEST_CASE(a_failing_job_fails_alone, writer_fixture) {
    std::atomic<bool> release{false};
    db_writer w(open_database(t.path), completions.poster());
    w.submit(
        [&](SQLite::Database&) {
            while (!release)
                std::this_thread::yield();
        },
        {});
    while (w.stats().queue_depth != 0)
        std::this_thread::yield();
    std::vector<status> results(4);
    int answered = 0;
    w.submit(insert_coin("AAA"), [&](status s) {
        results[0] = s;
        ++answered;
    });
    // Writes a row, then fails: its row must not survive.
    w.submit(
        [](SQLite::Database& db) {
            db.exec("INSERT INTO coins (symbol, added_at) VALUES ('BBB', 1)");
            throw std::runtime_error("refused by the job");
        },
        [&](status s) {
            results[1] = s;
            ++answered;
        });
    w.submit(insert_coin("AAA"), [&](status s) {
        results[2] = s;
        ++answered;
    }); // duplicate key
    w.submit(insert_coin("CCC"), [&](status s) {
        results[3] = s;
        ++answered;
    });
    release = true;
    BOOST_TEST(completions.run_until([&] { return answered == 4; }));
    BOOST_TEST(results[0].ok());
    BOOST_REQUIRE(!results[1].ok());
    BOOST_TEST((results[1].err().code == errc::failed));
    BOOST_TEST(results[1].err().message == "refused by the job");
    BOOST_REQUIRE(!results[2].ok());
    BOOST_TEST((results[2].err().code == errc::constraint));
    BOOST_TEST(results[3].ok());
    auto reader = open_reader(t.path);
    BOOST_TEST(reader
                   .execAndGet("SELECT group_concat(symbol) FROM (SELECT symbol FROM coins "
                               "ORDER BY symbol)")
                   .getString() == "AAA,CCC");
    BOOST_TEST(w.healthy());
}

BOOST_FIXTURE_TEST_CASE(a_full_queue_refuses_at_once, writer_fixture) {
    writer_options opt;
    opt.queue_capacity = 3;
    db_writer w(open_database(t.path), completions.poster(), opt);
    std::atomic<bool> release{false};
    w.submit(
        [&](SQLite::Database&) {
            while (!release)
                std::this_thread::yield();
        },
        {});
    while (w.stats().queue_depth != 0)
        std::this_thread::yield();
    int done = 0;
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(w.submit(insert_coin(test::numbered("Q", i)), [&](status) { ++done; }).ok());
    bool called = false;
    status const refused = w.submit(insert_coin("QX"), [&](status) { called = true; });
    BOOST_REQUIRE(!refused.ok());
    BOOST_TEST((refused.err().code == errc::queue_full));
    release = true;
    BOOST_TEST(completions.run_until([&] { return done == 3; }));
    BOOST_TEST(!completions.run_until([&] { return called; }, std::chrono::milliseconds(100)));
    BOOST_TEST(!called);
    BOOST_TEST(done == 3);
    BOOST_TEST(w.stats().jobs_refused == 1u);
}

BOOST_FIXTURE_TEST_CASE(values_come_back_in_submission_order, writer_fixture) {
    db_writer w(open_database(t.path), completions.poster());
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 20; ++i) {
        w.submit<std::int64_t>(
            [i](SQLite::Database& db) {
                SQLite::Statement st(db, "INSERT INTO coins (symbol, added_at) VALUES (?, 1)");
                st.bind(1, test::numbered("V", i));
                st.exec();
                return db.getLastInsertRowid();
            },
            [&](result<std::int64_t> r) { ids.push_back(r.ok() ? r.value() : -1); });
    }
    BOOST_TEST(completions.run_until([&] { return ids.size() == 20u; }));
    std::vector<std::int64_t> want;
    for (int i = 1; i <= 20; ++i)
        want.push_back(i);
    BOOST_TEST(ids == want);
}

BOOST_FIXTURE_TEST_CASE(stop_finishes_queued_work_then_refuses, writer_fixture) {
    auto w = std::make_unique<db_writer>(open_database(t.path), completions.poster());
    int ok = 0;
    int answered = 0;
    for (int i = 0; i < 200; ++i)
        w->submit(insert_coin(test::numbered("S", i)), [&](status s) {
            ok += s.ok();
            ++answered;
        });
    w->stop();
    status const late = w->submit(insert_coin("LATE"), [](status) {});
    BOOST_REQUIRE(!late.ok());
    BOOST_TEST((late.err().code == errc::stopped));
    BOOST_TEST(completions.run_until([&] { return answered == 200; }));
    BOOST_TEST(ok == 200);
    w.reset();
    BOOST_TEST(coins() == 200);
}

BOOST_FIXTURE_TEST_CASE(many_producers_all_get_their_answer, writer_fixture) {
    db_writer w(open_database(t.path), completions.poster());
    std::atomic<int> accepted{0};
    int answered = 0; // completions run on this thread only
    std::vector<std::thread> producers;
    for (int p = 0; p < 8; ++p)
        producers.emplace_back([&, p] {
            for (int i = 0; i < 100; ++i)
                if (w.submit(insert_coin(test::numbered("P", p) + test::numbered("X", i)),
                             [&](status) { ++answered; })
                        .ok())
                    ++accepted;
        });
    for (auto& th : producers)
        th.join();
    BOOST_TEST(accepted.load() == 800);
    BOOST_TEST(completions.run_until([&] { return answered == 800; }));
    BOOST_TEST(coins() == 800);
}

// The alert watch reports the owners of every alert row a transaction
// touched, through any statement (a bulk update included), once each: as committing before its
// COMMIT (no reader sees the change yet), then as done before the completion of the job runs (every
// reader does).
BOOST_FIXTURE_TEST_CASE(owners_of_changed_alerts_are_reported_around_the_commit,
                        test::store_fixture) {
    using owners = std::vector<std::int64_t>;
    struct report {
        owners committing, done;
        int alerts_seen_committing = -1; // active alerts a reader saw then
        int alerts_seen_done = -1;
    };
    test::completion_queue completions;
    db_writer w(open_database(t.path), completions.poster());
    auto const reader_count = [&] {
        return open_reader(t.path)
            .execAndGet("SELECT count(*) FROM alerts WHERE status = 'active'")
            .getInt();
    };
    std::mutex m;
    report r;
    w.on_alerts_changed([&](db_writer::alert_change phase, std::span<std::int64_t const> changed) {
        std::lock_guard lock(m);
        bool const committing = phase == db_writer::alert_change::committing;
        (committing ? r.committing : r.done).assign(changed.begin(), changed.end());
        (committing ? r.alerts_seen_committing : r.alerts_seen_done) = reader_count();
    });
    // Runs one job; returns what had been reported when its completion ran.
    auto run = [&](db_writer::work_fn work) {
        {
            std::lock_guard lock(m);
            r = report{};
        }
        std::optional<report> seen;
        BOOST_REQUIRE(w.submit(std::move(work), [&](status s) {
                           BOOST_TEST(s.ok(), (s.ok() ? std::string() : s.err().message));
                           std::lock_guard lock(m);
                           seen = r;
                       }).ok());
        BOOST_REQUIRE(completions.run_until([&] { return seen.has_value(); }));
        return *seen;
    };
    kryptod::core::alert_id bobs = 0;
    auto inserted = run([&](SQLite::Database& db) {
        alert_store::insert(db, make_alert(alice, 100, 5), "BTCUSDT");
        alert_store::insert(db, make_alert(alice, 101, 5), "BTCUSDT");
        bobs = alert_store::insert(db, make_alert(bob, 102, 5), "ETHUSDT");
    });
    BOOST_TEST(inserted.committing == (owners{alice, bob}));
    BOOST_TEST(inserted.done == (owners{alice, bob}));
    BOOST_TEST(inserted.alerts_seen_committing == 0);
    BOOST_TEST(inserted.alerts_seen_done == 3);
    auto renamed = run([&](SQLite::Database& db) {
        SQLite::Statement st(db, "UPDATE alerts SET name = 'renamed' WHERE id = ?");
        st.bind(1, bobs);
        st.exec();
    });
    BOOST_TEST(renamed.committing == owners{bob});
    BOOST_TEST(renamed.done == owners{bob});
    auto no_alert = run([](SQLite::Database& db) {
        db.exec("INSERT INTO coins (symbol, added_at) VALUES ('SOLUSDT', 1)");
    });
    BOOST_TEST(no_alert.committing.empty());
    BOOST_TEST(no_alert.done.empty());
    auto bulk = run([&](SQLite::Database& db) {
        SQLite::Statement st(db, "UPDATE alerts SET status = 'deleted' WHERE user_id = ?");
        st.bind(1, alice);
        st.exec();
    });
    BOOST_TEST(bulk.committing == owners{alice});
    BOOST_TEST(bulk.done == owners{alice});
    BOOST_TEST(bulk.alerts_seen_committing == 3);
    BOOST_TEST(bulk.alerts_seen_done == 1);
    // A job that fails has its savepoint rolled back: its changes never
    // showed, and are not reported.
    bool failed = false;
    {
        std::lock_guard lock(m);
        r = report{};
    }
    BOOST_REQUIRE(w.submit(
                       [&](SQLite::Database& db) {
                           alert_store::insert(db, make_alert(bob, 103, 5), "BTCUSDT");
                           throw std::runtime_error("refused");
                       },
                       [&](status s) {
                           BOOST_TEST(!s.ok());
                           std::lock_guard lock(m);
                           BOOST_TEST(r.committing.empty());
                           BOOST_TEST(r.done.empty());
                           failed = true;
                       })
                      .ok());
    BOOST_REQUIRE(completions.run_until([&] { return failed; }));
    w.stop();
}

BOOST_AUTO_TEST_SUITE_END()
