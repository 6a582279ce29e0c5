// A sender killed with SIGKILL mid-stream (a forked child, killed at a
// moment it is busy sending): after a fresh sender takes over, every message
// has arrived, and none more than twice, each duplicate under the same
// Message-ID, because rows are marked right after the server's acceptance
// and a claimed-but-unmarked row comes back after its lease.
#include "daemon/log.hpp"
#include "daemon/notify/email_message.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/options.hpp"
#include "notify_fixture.hpp"
#include "tests/support/default_config.hpp"

#include <SQLiteCpp/Transaction.h>
#include <boost/test/unit_test.hpp>

#include <map>

namespace kryptod::notify_test {

namespace notify = daemon::notify;

BOOST_AUTO_TEST_SUITE(crash)

BOOST_AUTO_TEST_CASE(a_killed_sender_loses_nothing_and_duplicates_at_most_once) {
    constexpr int total = 400;
    smtp_server server;
    temp_dir dir("kryptod-notify-crash");
    fs::path const path = dir.path / "kryptod.db";
    {
        // No writer thread yet: the child below is forked from a process
        // with a single thread.
        SQLite::Database db = storage::open_database(path);
        storage::user_store::user_record u;
        u.email = "crash@example.com";
        u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
        auto const user = storage::user_store::create(db, u);
        core::millis const now = wall_now();
        SQLite::Transaction tx(db);
        for (int i = 0; i < total; ++i) {
            storage::outbox_store::message m;
            m.delivery_id = "crash-" + std::to_string(i);
            m.user = user;
            m.payload = notify::encode(
                notify::account_email{"crash@example.com", "message " + std::to_string(i), "x\n"});
            m.next_attempt_at = m.created_at = now;
            storage::outbox_store::enqueue(db, m);
        }
        tx.commit();
    }
    notify::smtp_settings settings;
    settings.url = server.url();
    settings.tls = daemon::smtp_tls::off;
    settings.from = "alerts@kryptod.test";
    auto options = kryptod::daemon::sender_options_from(kryptod::test::default_config());
    options.lease = 300ms; // how soon the survivor may take over the dead sender's rows
    options.batch = 16;

    pid_t const child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        daemon::log::set_level(daemon::log_level::error);
        storage::writer writer(storage::open_database(path), [](std::function<void()> f) { f(); });
        notify::outbox_sender sender(path, writer, settings, options);
        sender.start();
        for (;;)
            ::pause();
    }
    bool const busy = eventually([&] { return server.messages().size() >= 60; }, 20000ms);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    BOOST_REQUIRE(busy);
    auto const at_kill = server.messages().size();
    BOOST_TEST_MESSAGE("killed the sender after " << at_kill << " messages");
    BOOST_REQUIRE_MESSAGE(at_kill < static_cast<std::size_t>(total),
                          "the sender finished before it could be killed");

    storage::writer writer(storage::open_database(path), [](std::function<void()> f) { f(); });
    SQLite::Database reader = storage::open_reader(path);
    notify::outbox_sender sender(path, writer, settings, options);
    sender.start();
    BOOST_REQUIRE(eventually(
        [&] {
            for (std::int64_t id = 1; id <= total; ++id)
                if (storage::outbox_store::get(reader, id).value().state !=
                    storage::outbox_store::delivery_state::delivered)
                    return false;
            return true;
        },
        30000ms));
    sender.stop();

    std::map<std::string, int> seen;
    for (auto const& m : server.messages())
        ++seen[m.header("Message-ID")];
    BOOST_TEST(seen.size() == static_cast<std::size_t>(total));
    int duplicates = 0;
    for (std::int64_t id = 1; id <= total; ++id) {
        auto const row = storage::outbox_store::get(reader, id).value();
        auto const n = seen[notify::message_id_for(id, row.delivery_id)];
        BOOST_TEST(n >= 1, "message " << id << " never arrived");
        BOOST_TEST(n <= 2, "message " << id << " arrived " << n << " times");
        duplicates += n - 1;
    }
    BOOST_TEST_MESSAGE(duplicates << " duplicates after the kill");
    // Only rows in the dead sender's hands can come twice: its batch.
    BOOST_TEST(duplicates <= options.batch);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace kryptod::notify_test
