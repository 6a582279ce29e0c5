// Tests storage/user_store.hpp: accounts with case-insensitive unique email
// and the time their sessions last ended,
// refresh-token rotation and family revocation, single-use email tokens.
#include "storage/result.hpp"
#include "storage/user_store.hpp"
#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod;
using namespace kryptod::storage;
namespace users = kryptod::storage::user_store;

BOOST_AUTO_TEST_SUITE(user_store)

BOOST_FIXTURE_TEST_CASE(users_round_trip_and_emails_are_unique_in_any_case, test::store_fixture) {
    auto const got = users::get(db, alice);
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST(got->email == "alice@example.com");
    BOOST_TEST(got->role == "user");
    BOOST_TEST(!got->verified);
    BOOST_TEST(!got->webhook_url.has_value());

    auto const by_email = users::find_by_email(db, "ALICE@Example.COM");
    BOOST_REQUIRE(by_email.has_value());
    BOOST_TEST(by_email->id == alice);

    users::user_record dup = *got;
    dup.email = "Alice@EXAMPLE.com";
    auto const r = attempt([&] { return users::create(db, dup); });
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.err().code == errc::constraint));
    BOOST_TEST(!users::get(db, 12345).has_value());
    BOOST_TEST(!users::find_by_email(db, "nobody@example.com").has_value());
}

BOOST_FIXTURE_TEST_CASE(update_changes_role_flags_and_webhook, test::store_fixture) {
    auto u = *users::get(db, bob);
    u.role = "admin";
    u.disabled = true;
    u.verified = true;
    u.webhook_url = "https://hooks.example.com/x";
    u.webhook_secret = "s3cret";
    u.updated_at = 2000;
    BOOST_TEST(u.tokens_valid_after == 0);
    u.tokens_valid_after = 3000;
    users::update(db, u);
    auto const got = *users::get(db, bob);
    BOOST_TEST(got.tokens_valid_after == 3000);
    BOOST_TEST(users::find_by_email(db, got.email)->tokens_valid_after == 3000);
    BOOST_TEST(got.role == "admin");
    BOOST_TEST(got.disabled);
    BOOST_TEST(got.verified);
    BOOST_TEST(got.webhook_url.value_or("") == "https://hooks.example.com/x");
    BOOST_TEST(got.webhook_secret.value_or("") == "s3cret");
    BOOST_TEST(got.updated_at == 2000);
    BOOST_TEST(got.created_at == 1000);

    u.webhook_url.reset();
    u.webhook_secret.reset();
    users::update(db, u);
    BOOST_TEST(!users::get(db, bob)->webhook_url.has_value());

    u.role = "root";
    BOOST_CHECK_THROW(users::update(db, u), SQLite::Exception);
    u.role = "user";
    u.id = 999;
    BOOST_CHECK_THROW(users::update(db, u), not_found_error);
}

BOOST_FIXTURE_TEST_CASE(list_pages_newest_first, test::store_fixture) {
    add_user("carol@example.com");
    auto const p = users::list(db, {2, 0});
    BOOST_TEST(p.total == 3);
    BOOST_REQUIRE(p.items.size() == 2u);
    BOOST_TEST(p.items[0].email == "carol@example.com");
    BOOST_TEST(p.items[1].email == "bob@example.com");
    BOOST_TEST(users::list(db, {2, 2}).items.at(0).email == "alice@example.com");
}

BOOST_FIXTURE_TEST_CASE(refresh_tokens_rotate_once_and_families_revoke, test::store_fixture) {
    users::refresh_token_record t;
    t.user_id = alice;
    t.token_hash = "h1";
    t.family = "fam-a";
    t.issued_at = 1000;
    t.expires_at = 5000;
    auto const first = users::insert_refresh_token(db, t);
    t.token_hash = "h2";
    users::insert_refresh_token(db, t);
    t.token_hash = "h3";
    t.family = "fam-b";
    users::insert_refresh_token(db, t);

    auto const found = users::find_refresh_token(db, "h1");
    BOOST_REQUIRE(found.has_value());
    BOOST_TEST(found->usable(4999));
    BOOST_TEST(!found->usable(5000)); // expired at its expiry
    BOOST_TEST(users::rotate_refresh_token(db, first, 2000));
    BOOST_TEST(!users::rotate_refresh_token(db, first, 2001)); // a replay
    BOOST_TEST(!users::find_refresh_token(db, "h1")->usable(2001));

    BOOST_TEST(users::revoke_refresh_family(db, "fam-a", 3000) == 2);
    BOOST_TEST(users::find_refresh_token(db, "h2")->revoked_at.value_or(0) == 3000);
    BOOST_TEST(users::find_refresh_token(db, "h3")->usable(3000)); // other family
    BOOST_TEST(users::revoke_user_refresh_tokens(db, alice, 4000) == 1);
    BOOST_TEST(!users::find_refresh_token(db, "h3")->usable(4000));
    BOOST_TEST(!users::find_refresh_token(db, "unknown").has_value());
}

BOOST_FIXTURE_TEST_CASE(email_tokens_are_single_use_purpose_bound_and_expire, test::store_fixture) {
    users::insert_email_token(db, alice, "e1", "password_reset", 1000, 1000 + 3600000);
    users::insert_email_token(db, bob, "e2", "verify_email", 1000, 2000);
    BOOST_TEST(!users::consume_email_token(db, "e1", "verify_email", 1500).has_value());
    BOOST_TEST(users::consume_email_token(db, "e1", "password_reset", 1500).value_or(0) == alice);
    BOOST_TEST(!users::consume_email_token(db, "e1", "password_reset", 1600).has_value());
    BOOST_TEST(!users::consume_email_token(db, "e2", "verify_email", 2000).has_value()); // expired
    BOOST_TEST(!users::consume_email_token(db, "nope", "verify_email", 1).has_value());
    BOOST_CHECK_THROW(users::insert_email_token(db, bob, "e3", "login", 1, 2), SQLite::Exception);
}

BOOST_AUTO_TEST_SUITE_END()
