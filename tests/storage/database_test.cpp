// Tests storage/database.hpp: pragmas, migrations from every version, refusal
// of newer files, read-only connections and the writability check.
#include "storage/database.hpp"
#include "temp_database.hpp"

#include <SQLiteCpp/Exception.h>
#include <boost/test/unit_test.hpp>

#include <map>

using namespace kryptod::storage;

namespace {

// Every schema object (tables, indexes) with its SQL, for comparing schemas.
std::map<std::string, std::string> schema_of(SQLite::Database& db) {
    std::map<std::string, std::string> out;
    SQLite::Statement st(db, "SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL");
    while (st.executeStep())
        out[st.getColumn(0).getString()] = st.getColumn(1).getString();
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(database)

BOOST_AUTO_TEST_CASE(new_file_gets_the_whole_schema_and_durable_pragmas) {
    test::temp_database t;
    BOOST_TEST(schema_version(t.db) == latest_schema_version());
    BOOST_TEST(latest_schema_version() >= 1);
    BOOST_TEST(t.db.execAndGet("PRAGMA journal_mode").getString() == "wal");
    BOOST_TEST(t.db.execAndGet("PRAGMA synchronous").getInt() == 2); // FULL
    BOOST_TEST(t.db.execAndGet("PRAGMA foreign_keys").getInt() == 1);
    auto const schema = schema_of(t.db);
    for (char const* table : {"users", "refresh_tokens", "email_tokens", "coins", "alerts",
                              "alert_events", "price_samples", "outbox", "feed_state"})
        BOOST_TEST(schema.count(table) == 1u, "table " << table);
    for (char const* index : {"alerts_by_user_status", "price_samples_by_minute", "outbox_due"})
        BOOST_TEST(schema.count(index) == 1u, "index " << index);
}

// The chat channels' migration widens CHECKs in place: a file that held
// rows before it takes every channel after it, and stays whole.
BOOST_AUTO_TEST_CASE(every_channel_fits_the_schema_of_a_migrated_file) {
    test::temp_dir dir;
    auto const path = dir.path / "old.db";
    {
        SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        migrate(db, 4); // the schema before the chat channels
        db.exec("INSERT INTO users (email, password_hash, created_at, updated_at) "
                "VALUES ('a@example.com', 'x', 1, 1)");
        db.exec("INSERT INTO alerts (user_id, symbol, target_price, direction, channels, "
                "created_at, updated_at, armed_at) VALUES (1, 'BTCUSDT', 1, 'above', 3, 1, 1, 1)");
        BOOST_CHECK_THROW(db.exec("INSERT INTO outbox (delivery_id, channel, user_id, payload, "
                                  "next_attempt_at, created_at, updated_at) "
                                  "VALUES ('d0', 'discord', 1, '{}', 1, 1, 1)"),
                          SQLite::Exception);
    }
    auto db = open_database(path);
    db.exec("UPDATE alerts SET channels = 63 WHERE id = 1");
    int n = 0;
    for (char const* ch : {"email", "webhook", "telegram", "discord", "slack", "ntfy"}) {
        std::string const id = std::to_string(++n);
        db.exec(std::string("INSERT INTO outbox (delivery_id, channel, user_id, alert_id, "
                            "payload, next_attempt_at, created_at, updated_at) VALUES ('d") +
                id + "', '" + ch + "', 1, 1, '{}', 1, 1, 1)");
        db.exec(std::string("INSERT INTO alert_events (alert_id, type, time, channel, attempt, "
                            "outcome) VALUES (1, 'notified', 1, '") +
                ch + "', 1, 'delivered')");
    }
    BOOST_CHECK_THROW(db.exec("UPDATE alerts SET channels = 64 WHERE id = 1"), SQLite::Exception);
    BOOST_CHECK_THROW(db.exec("INSERT INTO outbox (delivery_id, channel, user_id, payload, "
                              "next_attempt_at, created_at, updated_at) "
                              "VALUES ('dx', 'pager', 1, '{}', 1, 1, 1)"),
                      SQLite::Exception);
    db.exec("UPDATE users SET discord_webhook_url = 'https://d.example/x', ntfy_token = 't'");
    BOOST_TEST(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    // Another connection reads the widened schema too.
    auto reader = open_reader(path);
    BOOST_TEST(reader.execAndGet("SELECT count(*) FROM outbox").getInt() == 6);
}

BOOST_AUTO_TEST_CASE(migrating_from_every_earlier_version_matches_a_fresh_file) {
    test::temp_dir dir;
    auto const fresh_path = dir.path / "fresh.db";
    auto fresh = open_database(fresh_path);
    auto const want = schema_of(fresh);
    for (int from = 0; from < latest_schema_version(); ++from) {
        auto const path = dir.path / ("from-" + std::to_string(from) + ".db");
        {
            SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
            migrate(db, from);
            BOOST_TEST(schema_version(db) == from);
        }
        auto db = open_database(path);
        BOOST_TEST(schema_version(db) == latest_schema_version());
        BOOST_TEST((schema_of(db) == want), "schema after migrating from version " << from);
    }
}

// A file written before the alert counts existed gets them filled from its
// alerts when it is migrated, and they follow later changes.
BOOST_AUTO_TEST_CASE(migration_2_counts_the_alerts_already_there) {
    test::temp_dir dir;
    auto const path = dir.path / "old.db";
    {
        SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        migrate(db, 1);
        db.exec("INSERT INTO users (id, email, password_hash, created_at, updated_at) "
                "VALUES (1, 'a@example.com', 'h', 0, 0), (2, 'b@example.com', 'h', 0, 0)");
        db.exec("INSERT INTO alerts (user_id, symbol, target_price, direction, status, "
                "created_at, updated_at, armed_at) VALUES "
                "(1, 'BTCUSDT', 1, 'above', 'active', 0, 0, 0), "
                "(1, 'BTCUSDT', 2, 'above', 'active', 0, 0, 0), "
                "(1, 'ETHUSDT', 3, 'below', 'triggered', 0, 0, 0), "
                "(1, 'ETHUSDT', 4, 'below', 'deleted', 0, 0, 0), "
                "(2, 'BTCUSDT', 5, 'above', 'disabled', 0, 0, 0)");
    }
    auto db = open_database(path);
    auto n = [&](std::string const& where) {
        return db.execAndGet("SELECT coalesce(sum(n), 0) FROM alert_counts WHERE " + where)
            .getInt64();
    };
    BOOST_TEST(n("user_id = 1 AND status = 'active'") == 2);
    BOOST_TEST(n("user_id = 1 AND status <> 'deleted'") == 3);
    BOOST_TEST(n("user_id = 1 AND symbol = 'ETHUSDT'") == 2);
    BOOST_TEST(n("user_id = 2 AND status = 'disabled'") == 1);
    db.exec("UPDATE alerts SET status = 'active' WHERE user_id = 2");
    db.exec("UPDATE alerts SET target_price = 9 WHERE user_id = 1"); // status unchanged
    db.exec("DELETE FROM alerts WHERE target_price = 9 AND status = 'deleted'");
    BOOST_TEST(n("user_id = 2 AND status = 'active'") == 1);
    BOOST_TEST(n("user_id = 2 AND status = 'disabled'") == 0);
    BOOST_TEST(n("user_id = 1 AND status = 'active'") == 2);
    BOOST_TEST(n("user_id = 1") == 3);
}

BOOST_AUTO_TEST_CASE(reopening_a_current_file_changes_nothing) {
    test::temp_database t;
    t.db.exec("INSERT INTO coins (symbol, added_at) VALUES ('BTCUSDT', 1)");
    auto again = open_database(t.path);
    BOOST_TEST(schema_version(again) == latest_schema_version());
    BOOST_TEST(again.execAndGet("SELECT count(*) FROM coins").getInt() == 1);
}

BOOST_AUTO_TEST_CASE(a_file_newer_than_this_binary_is_refused) {
    test::temp_dir dir;
    auto const path = dir.path / "newer.db";
    {
        SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1));
    }
    BOOST_CHECK_EXCEPTION(open_database(path), std::runtime_error, [](auto const& e) {
        return std::string(e.what()).find("newer") != std::string::npos;
    });
    SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
    BOOST_TEST(schema_version(db) == latest_schema_version() + 1); // untouched
}

BOOST_AUTO_TEST_CASE(migrate_refuses_an_unknown_target) {
    test::temp_database t;
    BOOST_CHECK_THROW(migrate(t.db, latest_schema_version() + 1), std::runtime_error);
    BOOST_CHECK_THROW(migrate(t.db, 0), std::runtime_error); // backwards
}

BOOST_AUTO_TEST_CASE(a_failing_migration_leaves_the_previous_version) {
    test::temp_dir dir;
    auto const path = dir.path / "busy.db";
    {
        SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        // A table in the way of migration 1: its CREATE fails.
        db.exec("CREATE TABLE users (x INTEGER)");
    }
    BOOST_CHECK_THROW(open_database(path), SQLite::Exception);
    SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
    BOOST_TEST(schema_version(db) == 0);
    BOOST_TEST(db.tableExists("users"));
    BOOST_TEST(!db.tableExists("alerts")); // rolled back with the failed step
}

BOOST_AUTO_TEST_CASE(reader_sees_commits_and_cannot_write) {
    test::temp_database t;
    auto reader = open_reader(t.path);
    t.db.exec("INSERT INTO coins (symbol, added_at) VALUES ('ETHUSDT', 1)");
    BOOST_TEST(reader.execAndGet("SELECT count(*) FROM coins").getInt() == 1);
    BOOST_CHECK_THROW(reader.exec("INSERT INTO coins (symbol, added_at) VALUES ('BNBUSDT', 1)"),
                      SQLite::Exception);
}

BOOST_AUTO_TEST_CASE(reader_does_not_block_the_writer) {
    test::temp_database t;
    auto reader = open_reader(t.path);
    reader.exec("BEGIN");
    BOOST_TEST(reader.execAndGet("SELECT count(*) FROM coins").getInt() == 0);
    // The read transaction is still open; a write commits regardless.
    t.db.exec("INSERT INTO coins (symbol, added_at) VALUES ('ETHUSDT', 1)");
    BOOST_TEST(reader.execAndGet("SELECT count(*) FROM coins").getInt() == 0); // its snapshot
    reader.exec("COMMIT");
    BOOST_TEST(reader.execAndGet("SELECT count(*) FROM coins").getInt() == 1);
}

BOOST_AUTO_TEST_CASE(reader_refuses_an_unmigrated_or_missing_file) {
    test::temp_dir dir;
    auto const path = dir.path / "plain.db";
    { SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE); }
    BOOST_CHECK_THROW(open_reader(path), std::runtime_error);
    BOOST_CHECK_THROW(open_reader(dir.path / "missing.db"), SQLite::Exception);
}

BOOST_AUTO_TEST_CASE(check_writable_reports_a_reason) {
    test::temp_database t;
    BOOST_TEST(!check_writable(t.path).has_value());
    auto const missing = check_writable(t.dir.path / "nowhere" / "kryptod.db");
    BOOST_REQUIRE(missing.has_value());
    BOOST_TEST(missing->find("not writable") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
