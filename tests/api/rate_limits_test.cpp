// Tests for the rate limits of login, register and password reset (SPEC §3):
// 429 with Retry-After past auth.rate_limit attempts a minute, counted per
// client address and per account.
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
    BOOST_TEST(emails_to("ann@example.com").size() == 3u);
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
