// Tests storage/outbox_store.hpp: claiming leases due messages, retries back
// off until the attempts run out, the per-user counts and the purge of
// finished messages.
#include "storage/outbox_store.hpp"
#include "storage/result.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod;
using namespace kryptod::storage;
namespace outbox = kryptod::storage::outbox_store;

namespace {

outbox::message account_mail(core::user_id user, std::string id, core::millis due) {
    outbox::message m;
    m.delivery_id = std::move(id);
    m.channel = core::channel::email;
    m.user = user;
    m.payload = "verify your address";
    m.next_attempt_at = due;
    m.created_at = due;
    return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(outbox_store)

BOOST_FIXTURE_TEST_CASE(claim_takes_due_messages_once_per_lease, test::store_fixture) {
    auto const a = outbox::enqueue(db, account_mail(alice, "d-a", 1000));
    auto const b = outbox::enqueue(db, account_mail(bob, "d-b", 2000));
    outbox::enqueue(db, account_mail(bob, "d-c", 9000)); // not due yet

    auto const claimed = outbox::claim_due(db, 2500, 10, 30000);
    BOOST_REQUIRE(claimed.size() == 2u);
    BOOST_TEST(claimed[0].id == a);
    BOOST_TEST(claimed[1].id == b);
    BOOST_TEST(claimed[0].attempts == 1);
    BOOST_TEST(claimed[0].next_attempt_at == 32500);
    BOOST_TEST(claimed[0].payload == "verify your address");
    BOOST_TEST(!claimed[0].alert.has_value());
    BOOST_TEST(outbox::claim_due(db, 3000, 10, 30000).empty()); // leased

    outbox::mark_delivered(db, a, 3100);
    BOOST_TEST((outbox::get(db, a)->state == outbox::delivery_state::delivered));
    // The lease of b ran out without an answer (sender crashed): sent again.
    auto const again = outbox::claim_due(db, 40000, 10, 30000);
    BOOST_REQUIRE(again.size() == 2u);
    BOOST_TEST(again[0].id == b);
    BOOST_TEST(again[0].attempts == 2);
    BOOST_TEST(again[0].delivery_id == "d-b"); // stable across attempts
}

BOOST_FIXTURE_TEST_CASE(failures_retry_until_attempts_run_out, test::store_fixture) {
    auto const id = outbox::enqueue(db, account_mail(alice, "d-x", 0));
    core::millis now = 0;
    for (int attempt = 1; attempt <= 3; ++attempt) {
        auto const claimed = outbox::claim_due(db, now, 1, 1000);
        BOOST_REQUIRE(claimed.size() == 1u);
        auto const state =
            outbox::mark_attempt_failed(db, id, "smtp: 451 try later", now + 5000, 3, now + 10);
        BOOST_TEST((state == (attempt < 3 ? outbox::delivery_state::pending
                                          : outbox::delivery_state::failed)));
        now += 5000;
    }
    auto const m = outbox::get(db, id);
    BOOST_TEST((m->state == outbox::delivery_state::failed));
    BOOST_TEST(m->attempts == 3);
    BOOST_TEST(m->last_error.value_or("") == "smtp: 451 try later");
    BOOST_TEST(outbox::claim_due(db, now + 100000, 10, 1000).empty());
    BOOST_CHECK_THROW(outbox::mark_delivered(db, 4242, 1), not_found_error);
    BOOST_CHECK_THROW(outbox::mark_attempt_failed(db, 4242, "x", 1, 3, 1), not_found_error);
}

BOOST_FIXTURE_TEST_CASE(delivery_ids_are_unique, test::store_fixture) {
    outbox::enqueue(db, account_mail(alice, "same", 0));
    auto const r = attempt([&] { return outbox::enqueue(db, account_mail(bob, "same", 0)); });
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.err().code == errc::constraint));
}

BOOST_FIXTURE_TEST_CASE(only_alert_messages_count_toward_the_hourly_limit, test::store_fixture) {
    outbox::enqueue(db, account_mail(alice, "acct", 1000));
    BOOST_TEST(outbox::count_alert_messages_since(db, alice, 0) == 0);
    db.exec("INSERT INTO alerts (user_id, symbol, target_price, direction, created_at, "
            "updated_at, armed_at) VALUES (" +
            std::to_string(alice) + ", 'BTCUSDT', 1, 'above', 0, 0, 0)");
    auto m = account_mail(alice, "alert-1", 2000);
    m.alert = db.getLastInsertRowid();
    outbox::enqueue(db, m);
    BOOST_TEST(outbox::count_alert_messages_since(db, alice, 0) == 1);
    BOOST_TEST(outbox::count_alert_messages_since(db, alice, 2001) == 0);
    BOOST_TEST(outbox::count_alert_messages_since(db, bob, 0) == 0);
}

BOOST_FIXTURE_TEST_CASE(only_account_emails_count_toward_the_daily_limit, test::store_fixture) {
    outbox::enqueue(db, account_mail(alice, "acct-1", 1000));
    outbox::enqueue(db, account_mail(alice, "acct-2", 5000));
    db.exec("INSERT INTO alerts (user_id, symbol, target_price, direction, created_at, "
            "updated_at, armed_at) VALUES (" +
            std::to_string(alice) + ", 'BTCUSDT', 1, 'above', 0, 0, 0)");
    auto m = account_mail(alice, "alert-1", 2000);
    m.alert = db.getLastInsertRowid();
    outbox::enqueue(db, m);
    BOOST_TEST(outbox::count_account_messages_since(db, alice, 0) == 2);
    BOOST_TEST(outbox::count_account_messages_since(db, alice, 1001) == 1);
    BOOST_TEST(outbox::count_account_messages_since(db, bob, 0) == 0);
}

BOOST_FIXTURE_TEST_CASE(purge_deletes_finished_messages_older_than_the_cutoff_in_batches,
                        test::store_fixture) {
    // Five delivered at 1000..5000, one failed at 2500, one pending since 0.
    std::vector<std::int64_t> delivered;
    for (int i = 1; i <= 5; ++i) {
        auto const id = outbox::enqueue(db, account_mail(alice, "sent-" + std::to_string(i), 0));
        outbox::claim_due(db, 0, 1, 10);
        outbox::mark_delivered(db, id, i * 1000);
        delivered.push_back(id);
    }
    auto const failed = outbox::enqueue(db, account_mail(bob, "failed", 0));
    outbox::claim_due(db, 0, 1, 10);
    BOOST_TEST((outbox::mark_attempt_failed(db, failed, "refused", 0, 1, 2500) ==
                outbox::delivery_state::failed));
    auto const pending = outbox::enqueue(db, account_mail(bob, "pending", 0));

    // Before 4000: sent-1..3 and the failed one, at most two at a time.
    BOOST_TEST(outbox::purge_finished(db, 4000, 2) == 2u);
    BOOST_TEST(outbox::purge_finished(db, 4000, 2) == 2u);
    BOOST_TEST(outbox::purge_finished(db, 4000, 2) == 0u);
    BOOST_TEST(!outbox::get(db, delivered[0]).has_value());
    BOOST_TEST(!outbox::get(db, delivered[2]).has_value());
    BOOST_TEST(!outbox::get(db, failed).has_value());
    BOOST_TEST(outbox::get(db, delivered[3]).has_value()); // kept: changed at 4000
    BOOST_TEST(outbox::get(db, delivered[4]).has_value());
    // A pending message is never purged, however old.
    BOOST_TEST(outbox::purge_finished(db, 1'000'000, 100) == 2u);
    BOOST_TEST(outbox::get(db, pending).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
