// A sender started on a database where a dead process left a row claimed
// but never marked (killed between the SMTP server's acceptance and the
// mark): it sends that row at once, under its Message-ID, instead of waiting
// out the dead process's lease (five minutes by default); a retry scheduled
// beyond one lease still waits for its time.
#include "daemon/notify/email_message.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/options.hpp"
#include "notify_fixture.hpp"
#include "tests/support/default_config.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

namespace kryptod::notify_test {

namespace notify = daemon::notify;
using storage::outbox_store::delivery_state;

BOOST_AUTO_TEST_SUITE(takeover)

BOOST_FIXTURE_TEST_CASE(a_restarted_sender_takes_over_a_dead_senders_lease_at_once,
                        database_fixture) {
    smtp_server server;
    auto const user = add_user("erin@example.com");
    auto const orphan =
        enqueue_account_email(user, {"erin@example.com", "claimed by the dead", "x\n"}, "orphan");
    auto options = kryptod::daemon::sender_options_from(kryptod::test::default_config());
    options.idle_poll = 100ms;
    // The dead sender's claim, with the lease a running daemon uses.
    auto const claimed = write<std::size_t>([&](SQLite::Database& db) {
        return storage::outbox_store::claim_due(db, wall_now(), 10, options.lease.count()).size();
    });
    BOOST_REQUIRE_EQUAL(claimed, 1u);
    auto const fresh = enqueue_account_email(user, {"erin@example.com", "fresh", "y\n"}, "fresh");
    auto const later = write<std::int64_t>([&](SQLite::Database& db) {
        storage::outbox_store::message m;
        m.delivery_id = "later";
        m.user = user;
        m.payload = notify::encode(notify::account_email{"erin@example.com", "later", "z\n"});
        m.created_at = wall_now();
        m.next_attempt_at = m.created_at + 2 * options.lease.count();
        return storage::outbox_store::enqueue(db, m);
    });

    notify::smtp_settings settings;
    settings.url = server.url();
    settings.tls = daemon::smtp_tls::off;
    settings.from = "alerts@kryptod.test";
    notify::outbox_sender sender(path, writer, settings, options);
    sender.start();
    BOOST_TEST_REQUIRE(eventually(
        [&] {
            return row(orphan)->state == delivery_state::delivered &&
                   row(fresh)->state == delivery_state::delivered;
        },
        5000ms));
    std::this_thread::sleep_for(300ms);
    sender.stop();

    BOOST_TEST(row(orphan)->attempts == 2); // the dead process's and ours
    auto const later_row = row(later).value();
    BOOST_TEST((later_row.state == delivery_state::pending));
    BOOST_TEST(later_row.attempts == 0);
    auto const mails = server.messages();
    BOOST_TEST_REQUIRE(mails.size() == 2u);
    std::set<std::string> ids;
    for (auto const& m : mails)
        ids.insert(m.header("Message-ID"));
    BOOST_TEST(ids.count(notify::message_id_for(orphan, "orphan")) == 1u);
    BOOST_TEST(ids.count(notify::message_id_for(fresh, "fresh")) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace kryptod::notify_test
