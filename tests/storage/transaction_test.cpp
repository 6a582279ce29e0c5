// Tests storage/transaction.hpp: a transaction or savepoint commits only when
// told to, rolls back on every other way out of its scope (an exception
// included), and savepoints nest: an inner one undone leaves the outer work.
#include "storage/transaction.hpp"
#include "temp_database.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <stdexcept>
#include <string>
#include <vector>

using namespace kryptod::storage;

namespace {

// A scratch table of its own, so the tests read nothing of the schema.
struct transaction_fixture {
    test::temp_database t;
    SQLite::Database& db = t.db;

    transaction_fixture() { db.exec("CREATE TABLE scratch (v TEXT NOT NULL)"); }

    void add(std::string const& v) {
        SQLite::Statement st(db, "INSERT INTO scratch (v) VALUES (?)");
        st.bind(1, v);
        st.exec();
    }

    // What a second connection sees: only committed rows.
    std::vector<std::string> committed() {
        SQLite::Database other(t.path.string(), SQLite::OPEN_READONLY);
        SQLite::Statement st(other, "SELECT v FROM scratch ORDER BY rowid");
        std::vector<std::string> out;
        while (st.executeStep())
            out.push_back(st.getColumn(0).getString());
        return out;
    }

    bool in_transaction() { return sqlite3_get_autocommit(db.getHandle()) == 0; }
};

using rows = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(transaction)

BOOST_FIXTURE_TEST_CASE(a_committed_transaction_is_seen_by_other_connections, transaction_fixture) {
    {
        kryptod::storage::transaction txn(db);
        add("a");
        add("b");
        BOOST_TEST(committed() == rows{}); // not before the COMMIT
        txn.commit();
    }
    BOOST_TEST(committed() == (rows{"a", "b"}));
    BOOST_TEST(!in_transaction());
}

BOOST_FIXTURE_TEST_CASE(a_transaction_left_without_commit_rolls_back, transaction_fixture) {
    {
        kryptod::storage::transaction txn(db);
        add("a");
    }
    BOOST_TEST(committed() == rows{});
    BOOST_TEST(!in_transaction());
}

BOOST_FIXTURE_TEST_CASE(an_exception_rolls_the_transaction_back, transaction_fixture) {
    auto const work = [&] {
        kryptod::storage::transaction txn(db);
        add("a");
        throw std::runtime_error("refused");
    };
    BOOST_CHECK_THROW(work(), std::runtime_error);
    BOOST_TEST(committed() == rows{});
    BOOST_TEST(!in_transaction());
    // The connection is usable again at once.
    kryptod::storage::transaction txn(db);
    add("b");
    txn.commit();
    BOOST_TEST(committed() == rows{"b"});
}

BOOST_FIXTURE_TEST_CASE(a_second_transaction_on_one_connection_is_refused, transaction_fixture) {
    kryptod::storage::transaction txn(db);
    BOOST_CHECK_THROW(kryptod::storage::transaction{db}, SQLite::Exception);
    add("a");
    txn.commit(); // the refused one did not disturb the open one
    BOOST_TEST(committed() == rows{"a"});
}

BOOST_FIXTURE_TEST_CASE(a_savepoint_outside_a_transaction_commits_on_release, transaction_fixture) {
    {
        savepoint sp(db, "unit");
        add("a");
        BOOST_TEST(in_transaction());
        sp.release();
    }
    BOOST_TEST(committed() == rows{"a"});
    {
        savepoint sp(db, "unit");
        add("b");
    }
    BOOST_TEST(committed() == rows{"a"});
    BOOST_TEST(!in_transaction());
}

BOOST_FIXTURE_TEST_CASE(an_inner_savepoint_undone_keeps_the_outer_work, transaction_fixture) {
    {
        kryptod::storage::transaction txn(db);
        add("outer");
        {
            savepoint job(db, "job");
            add("first job");
            job.release();
        }
        try {
            savepoint job(db, "job");
            add("failed job");
            {
                savepoint unit(db, "job"); // same name, nested: pairs with the innermost
                add("failed unit");
                throw std::runtime_error("refused");
            }
        } catch (std::runtime_error const&) {
        }
        {
            savepoint job(db, "job");
            add("kept job");
            {
                savepoint unit(db, "unit");
                add("undone unit");
                BOOST_TEST(unit.rollback());
            }
            job.release();
        }
        BOOST_TEST(in_transaction());
        txn.commit();
    }
    BOOST_TEST(committed() == (rows{"outer", "first job", "kept job"}));
}

BOOST_FIXTURE_TEST_CASE(a_savepoint_rollback_says_when_the_transaction_is_gone,
                        transaction_fixture) {
    kryptod::storage::transaction txn(db);
    add("a");
    savepoint sp(db, "job");
    add("b");
    // What SQLite does itself after SQLITE_FULL or SQLITE_IOERR: the whole
    // transaction is abandoned under the savepoint.
    db.exec("ROLLBACK");
    BOOST_TEST(!sp.rollback());
    BOOST_TEST(!sp.rollback()); // idempotent
    BOOST_TEST(committed() == rows{});
}

BOOST_AUTO_TEST_SUITE_END()
