// Tests how the writer and the stores behave when the disk fails: the caller
// gets an error, nothing that failed is acknowledged or half-written, nothing
// crashes, and writes succeed again once the fault is gone.
#include "fault_vfs.hpp"
#include "storage/database.hpp"
#include "storage/writer.hpp"
#include "temp_database.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/test/unit_test.hpp>

using namespace kryptod::storage;
using db_writer = kryptod::storage::writer;

namespace {

struct faulty_writer {
    test::temp_dir dir;
    std::filesystem::path path = dir.path / "kryptod.db";
    test::completion_queue completions;
    std::unique_ptr<db_writer> w;

    faulty_writer() {
        open_options opt;
        opt.vfs = test::fault_vfs_name();
        w = std::make_unique<db_writer>(open_database(path, opt), completions.poster());
    }
    ~faulty_writer() {
        test::set_disk_fault(test::disk_fault::none);
        w->stop();
    }

    // Inserts a coin and a feed position for it in one job: a two-row unit.
    status write_pair(std::string const& symbol) {
        status out = error{errc::failed, "no completion"};
        auto const accepted = w->submit(
            [symbol](SQLite::Database& db) {
                SQLite::Statement a(db, "INSERT INTO coins (symbol, added_at) VALUES (?, 1)");
                a.bind(1, symbol);
                a.exec();
                SQLite::Statement b(db, "INSERT INTO feed_state VALUES (?, 1, 1, 1)");
                b.bind(1, symbol);
                b.exec();
            },
            [&out](status s) { out = s; });
        if (!accepted) return accepted;
        BOOST_REQUIRE(completions.run(1) == 1u);
        return out;
    }

    std::pair<int, int> counts() {
        auto r = open_reader(path);
        return {r.execAndGet("SELECT count(*) FROM coins").getInt(),
                r.execAndGet("SELECT count(*) FROM feed_state").getInt()};
    }
};

void check_fault(test::disk_fault fault, errc want) {
    faulty_writer f;
    BOOST_TEST(f.write_pair("BEFORE").ok());

    test::set_disk_fault(fault);
    for (int i = 0; i < 3; ++i) {
        status const s = f.write_pair(test::numbered("DURING", i));
        BOOST_REQUIRE(!s.ok());
        BOOST_TEST((s.err().code == want),
                   "got " << to_string(s.err().code) << ": " << s.err().message);
        BOOST_TEST(!f.w->healthy());
    }

    test::set_disk_fault(test::disk_fault::none);
    BOOST_TEST(f.write_pair("AFTER").ok());
    BOOST_TEST(f.w->healthy());
    f.w->stop();

    auto const [coins, feed] = f.counts();
    BOOST_TEST(coins == 2); // BEFORE and AFTER; nothing of the failed ones
    BOOST_TEST(feed == 2);
    auto db = open_database(f.path);
    BOOST_TEST(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM coins WHERE symbol LIKE 'DURING%'").getInt() ==
               0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(disk_fault)

BOOST_AUTO_TEST_CASE(io_errors_reach_the_caller_and_the_writer_recovers) {
    check_fault(test::disk_fault::io_error, errc::io_error);
}

BOOST_AUTO_TEST_CASE(a_full_disk_reaches_the_caller_and_the_writer_recovers) {
    check_fault(test::disk_fault::disk_full, errc::disk_full);
}

BOOST_AUTO_TEST_SUITE_END()
