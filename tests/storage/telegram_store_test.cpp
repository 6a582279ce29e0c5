// Tests storage/telegram_store.hpp: a link code works once and only before
// its expiry, a new code replaces the user's old one, a chat belongs to one
// user at a time, unlinking from either side, and the update offset.
#include "storage/telegram_store.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod;
using namespace kryptod::storage;
namespace tg = kryptod::storage::telegram_store;

BOOST_AUTO_TEST_SUITE(telegram_store)

BOOST_FIXTURE_TEST_CASE(a_code_works_once_before_it_expires, test::store_fixture) {
    tg::insert_code(db, alice, "hash-a", 1000, 2000);
    BOOST_TEST(!tg::consume_code(db, "hash-unknown", 1500).has_value());
    BOOST_TEST((tg::consume_code(db, "hash-a", 1500) == std::optional<std::int64_t>(alice)));
    BOOST_TEST(!tg::consume_code(db, "hash-a", 1500).has_value(), "used up");

    tg::insert_code(db, bob, "hash-b", 1000, 2000);
    BOOST_TEST(!tg::consume_code(db, "hash-b", 2000).has_value(), "expired at its expiry");
    BOOST_TEST(!tg::consume_code(db, "hash-b", 1500).has_value(), "an expired try uses it up");
}

BOOST_FIXTURE_TEST_CASE(a_new_code_replaces_the_users_earlier_one, test::store_fixture) {
    tg::insert_code(db, alice, "first", 1000, 9000);
    tg::insert_code(db, alice, "second", 1100, 9000);
    BOOST_TEST(!tg::consume_code(db, "first", 1200).has_value());
    BOOST_TEST((tg::consume_code(db, "second", 1200) == std::optional<std::int64_t>(alice)));
}

BOOST_FIXTURE_TEST_CASE(a_chat_belongs_to_one_user_and_unlinks_from_either_side,
                        test::store_fixture) {
    BOOST_TEST(!tg::chat_of(db, alice).has_value());
    tg::link(db, alice, 77, 1000);
    BOOST_TEST((tg::chat_of(db, alice) == std::optional<std::int64_t>(77)));
    tg::link(db, alice, 78, 1001); // another chat replaces the first
    BOOST_TEST((tg::chat_of(db, alice) == std::optional<std::int64_t>(78)));
    tg::link(db, bob, 78, 1002); // the chat moves to bob
    BOOST_TEST(!tg::chat_of(db, alice).has_value());
    BOOST_TEST((tg::chat_of(db, bob) == std::optional<std::int64_t>(78)));

    BOOST_TEST((tg::unlink_chat(db, 78) == std::optional<std::int64_t>(bob)));
    BOOST_TEST(!tg::unlink_chat(db, 78).has_value());
    tg::link(db, alice, 79, 1003);
    BOOST_TEST(tg::unlink_user(db, alice));
    BOOST_TEST(!tg::unlink_user(db, alice));
    BOOST_TEST(!tg::chat_of(db, alice).has_value());
}

BOOST_FIXTURE_TEST_CASE(the_offset_starts_at_zero_and_keeps_the_last_value, test::store_fixture) {
    BOOST_TEST(tg::offset(db) == 0);
    tg::set_offset(db, 41);
    tg::set_offset(db, 42);
    BOOST_TEST(tg::offset(db) == 42);
}

BOOST_AUTO_TEST_SUITE_END()
