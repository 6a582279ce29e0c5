// Tests for the rate limits of login, register and password reset (SPEC §3):
// 429 with Retry-After past auth.rate_limit attempts a minute, counted per
// client address and per account; for login, only failures count against
// the account, and a spent account refuses only the addresses that failed
// on it (daemon/api/attempt_limits.hpp). Clients on 127.0.0.2, ... stand
// for other addresses.
#include "account_server.hpp"
#include "daemon/api/api_context.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::test;
namespace json = boost::json;

namespace {

kryptod::daemon::api::api_settings limited(std::uint32_t per_minute) {
    auto s = test_settings();
    s.rate_limit = per_minute;
    return s;
}

// Server whose limit is 3 attempts a minute.
struct limited_server : account_server {
    http_client c = client();
    limited_server()
        : account_server(limited(3)) {}
};

void check_429(http_response const& res) {
    BOOST_TEST(is_problem(res, 429));
    auto retry = std::stoi(std::string(res[boost::beast::http::field::retry_after]));
    BOOST_TEST(retry >= 1);
    BOOST_TEST(retry <= 60);
}

} // namespace

BOOST_AUTO_TEST_SUITE(rate_limits)

BOOST_FIXTURE_TEST_CASE(login_is_limited_per_account, limited_server) {
    add_user("ann@example.com", "pass-word", false);
    for (int i = 0; i < 3; ++i) {
        auto res =
            c.post("/api/auth/login", {{"email", "ann@example.com"}, {"password", "wrong-pw"}});
        BOOST_TEST(res.result_int() == 401);
    }
    // Even the right password now waits: guessing is what is being limited.
    check_429(c.post("/api/auth/login", {{"email", "ANN@example.com"}, {"password", "pass-word"}}));
}

BOOST_FIXTURE_TEST_CASE(login_is_limited_per_address, limited_server) {
    for (int i = 0; i < 3; ++i) {
        std::string email = "user";
        email.append(std::to_string(i)).append("@example.com");
        auto res = c.post("/api/auth/login", {{"email", email}, {"password", "wrong-pw"}});
        BOOST_TEST(res.result_int() == 401);
    }
    check_429(
        c.post("/api/auth/login", {{"email", "fresh@example.com"}, {"password", "wrong-pw"}}));
}

BOOST_FIXTURE_TEST_CASE(register_is_limited, limited_server) {
    for (int i = 0; i < 3; ++i) {
        std::string email = "new";
        email.append(std::to_string(i)).append("@example.com");
        auto res = c.post("/api/auth/register", {{"email", email}, {"password", "pass-word"}});
        BOOST_TEST(res.result_int() == 201);
    }
    check_429(
        c.post("/api/auth/register", {{"email", "new9@example.com"}, {"password", "pass-word"}}));
    // The refused registration created nothing; login is limited separately.
    auto res =
        c.post("/api/auth/login", {{"email", "new9@example.com"}, {"password", "pass-word"}});
    BOOST_TEST(res.result_int() == 401);
}

BOOST_FIXTURE_TEST_CASE(password_reset_is_limited_per_account_without_enumeration, limited_server) {
    add_user("ann@example.com", "pass-word", false);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(
            c.post("/api/auth/password-reset", {{"email", "ann@example.com"}}).result_int() == 202);
    check_429(c.post("/api/auth/password-reset", {{"email", "ann@example.com"}}));
    BOOST_TEST(await_emails_to("ann@example.com", 3).size() == 3u);
    // From another address, the account's limit still holds, in any case.
    auto other = client_from("127.0.0.2");
    check_429(other.post("/api/auth/password-reset", {{"email", "Ann@Example.com"}}));
}

BOOST_FIXTURE_TEST_CASE(failed_logins_do_not_lock_the_owner_out, limited_server) {
    add_user("ann@example.com", "pass-word", false);
    // A guesser spends the account's whole failure budget...
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(
            c.post("/api/auth/login", {{"email", "ann@example.com"}, {"password", "wrong-pw"}})
                .result_int() == 401);
    // ...and is refused from then on, right password or not.
    check_429(c.post("/api/auth/login", {{"email", "ann@example.com"}, {"password", "pass-word"}}));
    // The owner, from an address that has not failed on the account, gets in.
    auto owner = client_from("127.0.0.2");
    BOOST_TEST(login(owner, "ANN@example.com", "pass-word").access.size() > 0u);
    // A second guesser gets one wrong guess at a spent account, then 429.
    auto guesser = client_from("127.0.0.3");
    BOOST_TEST(is_problem(
        guesser.post("/api/auth/login", {{"email", "ann@example.com"}, {"password", "guess-1"}}),
        401));
    check_429(
        guesser.post("/api/auth/login", {{"email", "ann@example.com"}, {"password", "pass-word"}}));
    // Other accounts are not affected by ann's guessers.
    add_user("bob@example.com", "pass-word", false);
    BOOST_TEST(login(guesser, "bob@example.com", "pass-word").access.size() > 0u);
}

BOOST_FIXTURE_TEST_CASE(successful_logins_do_not_count_against_the_account, limited_server) {
    add_user("ann@example.com", "pass-word", false);
    // Nine good logins from three addresses: each address at its limit,
    // the account at no failure at all.
    for (auto const* from : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
        auto client = client_from(from);
        for (int i = 0; i < 3; ++i)
            BOOST_TEST(login(client, "ann@example.com", "pass-word").access.size() > 0u);
        check_429(client.post("/api/auth/login",
                              {{"email", "ann@example.com"}, {"password", "pass-word"}}));
    }
    BOOST_TEST(c.post("/api/auth/login", {{"email", "ann@example.com"}, {"password", "pass-word"}})
                   .result_int() == 200);
}

BOOST_FIXTURE_TEST_CASE(unknown_accounts_fail_alike, limited_server) {
    // Unknown or not, an account's failures are counted the same way, so a
    // 429 tells nothing about whether it exists.
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(
            c.post("/api/auth/login", {{"email", "ghost@example.com"}, {"password", "wrong-pw"}})
                .result_int() == 401);
    auto other = client_from("127.0.0.2");
    BOOST_TEST(
        other.post("/api/auth/login", {{"email", "ghost@example.com"}, {"password", "wrong-pw"}})
            .result_int() == 401);
    check_429(
        other.post("/api/auth/login", {{"email", "ghost@example.com"}, {"password", "wrong-pw"}}));
}

BOOST_AUTO_TEST_CASE(address_limit_does_not_leak_to_other_endpoints) {
    account_server srv(limited(2));
    auto c = srv.client();
    for (int i = 0; i < 2; ++i)
        c.post("/api/auth/login", {{"email", "x@example.com"}, {"password", "wrong-pw"}});
    check_429(c.post("/api/auth/login", {{"email", "x@example.com"}, {"password", "wrong-pw"}}));
    BOOST_TEST(c.post("/api/auth/register", {{"email", "y@example.com"}, {"password", "pass-word"}})
                   .result_int() == 201);
}

BOOST_AUTO_TEST_SUITE_END()
