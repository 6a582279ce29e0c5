// Tests storage/backup.hpp: a consistent, standalone copy taken while a
// writer keeps committing, and no half file when the backup fails.
#include "storage/backup.hpp"
#include "storage/writer.hpp"
#include "temp_database.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>

using namespace kryptod::storage;

BOOST_AUTO_TEST_SUITE(backup)

BOOST_AUTO_TEST_CASE(copies_a_consistent_state_while_writes_go_on) {
    test::temp_database t;
    t.db.exec("INSERT INTO coins (symbol, added_at) VALUES ('BTCUSDT', 1)");
    test::completion_queue completions;
    writer w(open_database(t.path), completions.poster());
    // Every job writes two rows that must always appear together.
    std::atomic<int> next{0};
    auto pair_job = [&next](SQLite::Database& db) {
        int const n = next++;
        SQLite::Statement a(db, "INSERT INTO feed_state VALUES (?, ?, 1, 1)");
        a.bind(1, test::numbered("A", n));
        a.bind(2, n);
        a.exec();
        SQLite::Statement b(db, "INSERT INTO feed_state VALUES (?, ?, 1, 1)");
        b.bind(1, test::numbered("B", n));
        b.bind(2, n);
        b.exec();
    };
    for (int i = 0; i < 200; ++i)
        w.submit(pair_job, {});
    auto const dest = t.dir.path / "copy.db";
    kryptod::storage::backup(t.path, dest);
    for (int i = 0; i < 200; ++i)
        w.submit(pair_job, {});
    w.stop();

    BOOST_TEST(!std::filesystem::exists(dest.string() + "-wal")); // FILE alone is the copy
    SQLite::Database copy(dest.string(), SQLite::OPEN_READONLY);
    BOOST_TEST(copy.execAndGet("PRAGMA integrity_check").getString() == "ok");
    BOOST_TEST(schema_version(copy) == latest_schema_version());
    BOOST_TEST(copy.execAndGet("SELECT count(*) FROM coins").getInt() == 1);
    int const a =
        copy.execAndGet("SELECT count(*) FROM feed_state WHERE symbol LIKE 'A%'").getInt();
    int const b =
        copy.execAndGet("SELECT count(*) FROM feed_state WHERE symbol LIKE 'B%'").getInt();
    BOOST_TEST(a == b); // no half-committed job
    BOOST_TEST(a <= 200);
    auto live = open_reader(t.path);
    BOOST_TEST(live.execAndGet("SELECT count(*) FROM feed_state").getInt() == 800);
}

BOOST_AUTO_TEST_CASE(replaces_an_existing_file_and_leaves_it_alone_on_failure) {
    test::temp_database t;
    auto const dest = t.dir.path / "copy.db";
    { std::ofstream(dest) << "old contents"; }
    kryptod::storage::backup(t.path, dest);
    SQLite::Database copy(dest.string(), SQLite::OPEN_READONLY);
    BOOST_TEST(schema_version(copy) == latest_schema_version());

    auto const kept = t.dir.path / "kept.db";
    { std::ofstream(kept) << "keep me"; }
    BOOST_CHECK_THROW(kryptod::storage::backup(t.dir.path / "missing.db", kept), std::exception);
    BOOST_CHECK_THROW(kryptod::storage::backup(t.path, t.dir.path / "no-dir" / "x.db"),
                      std::exception);
    BOOST_CHECK_THROW(kryptod::storage::backup(t.path, t.path), std::exception);
    std::ifstream in(kept);
    std::string text;
    std::getline(in, text);
    BOOST_TEST(text == "keep me");
    // Nothing but the database, its WAL files and the two copies is left.
    int files = 0;
    for (auto const& e : std::filesystem::directory_iterator(t.dir.path))
        files += e.path().filename().string().find(".tmp-") == std::string::npos;
    BOOST_TEST(files ==
               static_cast<int>(std::distance(std::filesystem::directory_iterator(t.dir.path),
                                              std::filesystem::directory_iterator())));
}

BOOST_AUTO_TEST_SUITE_END()
