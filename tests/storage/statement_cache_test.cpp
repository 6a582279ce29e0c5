// Tests storage/statement_cache.hpp's raw statements: borrowed from the
// active cache and given back reset and unbound, prepared afresh when the
// same SQL is in use or no cache serves the connection, errors thrown.
#include "storage/statement_cache.hpp"
#include "temp_database.hpp"

#include <SQLiteCpp/Exception.h>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

using namespace kryptod::storage;

namespace {

// A statement over a table of the numbers 1 to 10.
constexpr char const* rows_sql = "SELECT n FROM numbers WHERE n >= ? AND n < ? ORDER BY n";

} // namespace

BOOST_AUTO_TEST_SUITE(statement_cache)

BOOST_AUTO_TEST_CASE(raw_statements_are_borrowed_reset_and_given_back) {
    test::temp_database t;
    t.db.exec("CREATE TABLE numbers (n INTEGER PRIMARY KEY)");
    t.db.exec("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10) "
              "INSERT INTO numbers SELECT n FROM s");
    kryptod::storage::statement_cache cache(t.db);
    sqlite3_stmt* first = nullptr;
    {
        kryptod::storage::statement_cache::scope active(cache);
        {
            raw_statement st(t.db, rows_sql);
            first = st.get();
            st.bind(1, std::int64_t{3});
            st.bind(2, std::int64_t{6});
            std::vector<std::int64_t> seen;
            while (st.step())
                seen.push_back(sqlite3_column_int64(st.get(), 0));
            BOOST_TEST(seen == (std::vector<std::int64_t>{3, 4, 5}));
            // The same SQL while borrowed: a statement of its own.
            raw_statement again(t.db, rows_sql);
            BOOST_TEST(again.get() != first);
            again.bind(1, std::int64_t{1});
            again.bind(2, std::int64_t{3});
            BOOST_TEST(again.step());
            // Left mid-way: given back reset all the same.
        }
        BOOST_TEST(cache.size() == 1u);
        raw_statement st(t.db, rows_sql);
        BOOST_TEST(st.get() == first); // borrowed again
        BOOST_TEST(sqlite3_stmt_busy(st.get()) == 0);
        BOOST_TEST(sqlite3_bind_parameter_count(st.get()) == 2);
        // Unbound: NULL bounds select nothing.
        BOOST_TEST(!st.step());
    }
    // No active cache: prepared here.
    raw_statement own(t.db, rows_sql);
    BOOST_TEST(own.get() != first);
    BOOST_CHECK_THROW(raw_statement(t.db, "SELECT FROM nowhere"), SQLite::Exception);
    raw_statement failing(t.db, "INSERT INTO numbers (n) VALUES (1)");
    BOOST_CHECK_THROW(failing.step(), SQLite::Exception);
}

BOOST_AUTO_TEST_SUITE_END()
