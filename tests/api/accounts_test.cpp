// Tests for daemon/api/accounts.hpp over real HTTP on 127.0.0.1: register,
// login, me, refresh rotation and reuse, logout, email verification,
// password reset, and the problem answers to bad input.
#include "account_server.hpp"
#include "daemon/api/accounts.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace kryptod::test;
using verb = boost::beast::http::verb;
namespace json = boost::json;

namespace {

constexpr char const* password = "s3cret-pass";

struct registered : account_server {
    http_client c = client();
    std::int64_t id = 0;
    registered() {
        auto res =
            c.post("/api/auth/register", {{"email", "ann@example.com"}, {"password", password}});
        BOOST_TEST_REQUIRE(res.result_int() == 201);
        id = json_of(res).at("id").as_int64();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(accounts)

BOOST_FIXTURE_TEST_CASE(register_answers_the_user_without_secrets, account_server) {
    auto c = client();
    auto res = c.post("/api/auth/register", {{"email", "Bob@Example.com"}, {"password", password}});
    BOOST_TEST(res.result_int() == 201);
    BOOST_TEST(res[boost::beast::http::field::content_type] == "application/json");
    auto body = json_of(res);
    BOOST_TEST(text_of(body.at("email")) == "Bob@Example.com");
    BOOST_TEST(text_of(body.at("role")) == "user");
    BOOST_TEST(body.at("verified").as_bool() == false);
    BOOST_TEST(body.at("disabled").as_bool() == false);
    BOOST_TEST(body.at("webhook_url").is_null());
    BOOST_TEST(text_of(body.at("created_at")).back() == 'Z');
    BOOST_TEST(res.body().find("argon2") == std::string::npos);
    BOOST_TEST(res.body().find(password) == std::string::npos);
    BOOST_TEST(!body.contains("password_hash"));
    BOOST_TEST(!body.contains("webhook_secret"));
}

BOOST_FIXTURE_TEST_CASE(duplicate_email_is_409_in_any_case, registered) {
    auto res = c.post("/api/auth/register", {{"email", "ANN@example.com"}, {"password", password}});
    BOOST_TEST(is_problem(res, 409));
}

BOOST_FIXTURE_TEST_CASE(register_validates_its_fields, account_server) {
    auto c = client();
    auto shortpw =
        c.post("/api/auth/register", {{"email", "a@example.com"}, {"password", "1234567"}});
    BOOST_TEST(is_problem(shortpw, 422));
    BOOST_TEST(problem_fields(shortpw) == std::vector<std::string>{"password"});
    auto bad_email =
        c.post("/api/auth/register", {{"email", "not-an-email"}, {"password", password}});
    BOOST_TEST(is_problem(bad_email, 422));
    BOOST_TEST(problem_fields(bad_email) == std::vector<std::string>{"email"});
    auto unknown = c.post("/api/auth/register",
                          {{"email", "a@example.com"}, {"password", password}, {"admin", true}});
    BOOST_TEST(is_problem(unknown, 422));
    BOOST_TEST(problem_fields(unknown) == std::vector<std::string>{"admin"});
    auto typed = c.post("/api/auth/register", {{"email", 5}, {"password", password}});
    BOOST_TEST(is_problem(typed, 422));
    BOOST_TEST(problem_fields(typed) == std::vector<std::string>{"email"});
    auto missing = c.post("/api/auth/register", {{"email", "a@example.com"}});
    BOOST_TEST(is_problem(missing, 422));
    BOOST_TEST(problem_fields(missing) == std::vector<std::string>{"password"});
    auto malformed = c.call(verb::post, "/api/auth/register", "{\"email\": ");
    BOOST_TEST(is_problem(malformed, 400));
    auto array = c.call(verb::post, "/api/auth/register", "[]");
    BOOST_TEST(is_problem(array, 400));
    // Nothing was created by any of these.
    auto ok = c.post("/api/auth/register", {{"email", "a@example.com"}, {"password", password}});
    BOOST_TEST(ok.result_int() == 201);
}

BOOST_FIXTURE_TEST_CASE(login_issues_a_token_pair_that_works, registered) {
    auto res = c.post("/api/auth/login", {{"email", "ann@example.com"}, {"password", password}});
    BOOST_TEST_REQUIRE(res.result_int() == 200);
    auto body = json_of(res);
    BOOST_TEST(text_of(body.at("token_type")) == "Bearer");
    BOOST_TEST(body.at("expires_in").as_int64() == 900);
    BOOST_TEST(text_of(body.at("refresh")).size() == 64u);
    auto access = text_of(body.at("access"));
    auto me = c.call(verb::get, "/api/auth/me", {}, bearer(access));
    BOOST_TEST_REQUIRE(me.result_int() == 200);
    BOOST_TEST(json_of(me).at("id").as_int64() == id);
    BOOST_TEST(text_of(json_of(me).at("email")) == "ann@example.com");
    // The JWT scheme of the original services, and a trailing slash.
    auto jwt_scheme = c.call(verb::get, "/api/auth/me/", {}, "JWT " + access);
    BOOST_TEST(jwt_scheme.result_int() == 200);
    auto lower = c.call(verb::get, "/api/auth/me", {}, "bearer " + access);
    BOOST_TEST(lower.result_int() == 200);
}

BOOST_FIXTURE_TEST_CASE(wrong_password_and_unknown_email_answer_alike, registered) {
    auto wrong =
        c.post("/api/auth/login", {{"email", "ann@example.com"}, {"password", "nope-nope"}});
    auto unknown =
        c.post("/api/auth/login", {{"email", "nobody@example.com"}, {"password", "nope-nope"}});
    BOOST_TEST(is_problem(wrong, 401));
    BOOST_TEST(is_problem(unknown, 401));
    BOOST_TEST(wrong.body() == unknown.body());
    BOOST_TEST(wrong[boost::beast::http::field::www_authenticate] ==
               unknown[boost::beast::http::field::www_authenticate]);
    // Not an address at all: that is no secret, and says so.
    auto invalid = c.post("/api/auth/login", {{"email", "garbage"}, {"password", "nope-nope"}});
    BOOST_TEST(is_problem(invalid, 422));
    BOOST_TEST(problem_fields(invalid) == std::vector<std::string>{"email"});
}

BOOST_FIXTURE_TEST_CASE(an_email_that_is_not_an_address_is_422_everywhere, registered) {
    // 64 KiB of it fits the body limit; it is refused before any lookup or
    // rate limiter sees it.
    auto const huge = std::string(64 * 1000, 'a') + "@example.com";
    for (auto const* target : {"/api/auth/login", "/api/auth/register"}) {
        auto res = c.post(target, {{"email", huge}, {"password", password}});
        BOOST_TEST(is_problem(res, 422), target);
        BOOST_TEST(problem_fields(res) == std::vector<std::string>{"email"}, target);
    }
    auto reset = c.post("/api/auth/password-reset", {{"email", huge}});
    BOOST_TEST(is_problem(reset, 422));
    BOOST_TEST(problem_fields(reset) == std::vector<std::string>{"email"});
    auto longest_local = std::string(65, 'a') + "@example.com";
    BOOST_TEST(is_problem(
        c.post("/api/auth/login", {{"email", longest_local}, {"password", password}}), 422));
}

BOOST_FIXTURE_TEST_CASE(me_needs_a_token, registered) {
    auto none = c.call(verb::get, "/api/auth/me");
    BOOST_TEST(is_problem(none, 401));
    BOOST_TEST(none[boost::beast::http::field::www_authenticate].starts_with("Bearer"));
    auto basic = c.call(verb::get, "/api/auth/me", {}, "Basic YTpi");
    BOOST_TEST(is_problem(basic, 401));
    auto empty = c.call(verb::get, "/api/auth/me", {}, "Bearer ");
    BOOST_TEST(is_problem(empty, 401));
}

BOOST_FIXTURE_TEST_CASE(chat_urls_must_be_https_and_are_never_shown, registered) {
    auto tokens = login(c, "ann@example.com", password);
    // Without notify.webhook_allow_private, plain http is refused (a chat
    // webhook URL carries its secret in its path).
    auto plain = c.call(verb::patch, "/api/auth/me",
                        R"({"discord_webhook_url":"http://discord.example/api/webhooks/1/x",)"
                        R"("ntfy_url":"https://ntfy.example/topic"})",
                        bearer(tokens.access));
    BOOST_TEST(is_problem(plain, 422));
    BOOST_TEST(problem_fields(plain) == std::vector<std::string>{"discord_webhook_url"});
    auto set = c.call(verb::patch, "/api/auth/me",
                      R"({"slack_webhook_url":"https://hooks.slack.example/services/T/B/x",)"
                      R"("ntfy_url":"https://ntfy.example/topic","ntfy_token":"tk_abc"})",
                      bearer(tokens.access));
    BOOST_TEST_REQUIRE(set.result_int() == 200);
    auto const body = json_of(set);
    BOOST_TEST(set.body().find("hooks.slack.example") == std::string::npos);
    BOOST_TEST(set.body().find("tk_abc") == std::string::npos);
    BOOST_TEST(!body.contains("webhook_secret"), "no webhook URL was set by this request");
    json::array const expected{"email", "slack", "ntfy"};
    BOOST_TEST(body.at("channels").as_array() == expected);
}

BOOST_FIXTURE_TEST_CASE(patch_me_sets_and_clears_the_webhook, registered) {
    auto tokens = login(c, "ann@example.com", password);
    auto set = c.call(verb::patch, "/api/auth/me",
                      R"({"webhook_url":"https://hooks.example.com/k"})", bearer(tokens.access));
    BOOST_TEST_REQUIRE(set.result_int() == 200);
    auto body = json_of(set);
    BOOST_TEST(text_of(body.at("webhook_url")) == "https://hooks.example.com/k");
    BOOST_TEST(text_of(body.at("webhook_secret")).size() == 64u);
    auto me = c.call(verb::get, "/api/auth/me", {}, bearer(tokens.access));
    BOOST_TEST(text_of(json_of(me).at("webhook_url")) == "https://hooks.example.com/k");
    BOOST_TEST(!json_of(me).contains("webhook_secret"));

    auto clear =
        c.call(verb::patch, "/api/auth/me", R"({"webhook_url":null})", bearer(tokens.access));
    BOOST_TEST_REQUIRE(clear.result_int() == 200);
    BOOST_TEST(json_of(clear).at("webhook_url").is_null());
    BOOST_TEST(!json_of(clear).contains("webhook_secret"));

    for (auto bad :
         {R"({"webhook_url":"ftp://x.example.com/"})", R"({"webhook_url":"not a url"})",
          R"({"webhook_url":5})", R"({"webhook_url":"https://x.example.com","x":1})", R"({})"}) {
        BOOST_TEST_INFO("body " << bad);
        auto res = c.call(verb::patch, "/api/auth/me", bad, bearer(tokens.access));
        BOOST_TEST(is_problem(res, 422));
        BOOST_TEST(!problem_fields(res).empty());
    }
    auto unauth = c.call(verb::patch, "/api/auth/me", R"({"webhook_url":null})");
    BOOST_TEST(is_problem(unauth, 401));
}

BOOST_FIXTURE_TEST_CASE(refresh_rotates_and_reuse_revokes_the_family, registered) {
    auto first = login(c, "ann@example.com", password);
    auto res = c.post("/api/auth/refresh", {{"refresh", first.refresh}});
    BOOST_TEST_REQUIRE(res.result_int() == 200);
    auto second_refresh = text_of(json_of(res).at("refresh"));
    auto second_access = text_of(json_of(res).at("access"));
    BOOST_TEST(second_refresh != first.refresh);
    BOOST_TEST(c.call(verb::get, "/api/auth/me", {}, bearer(second_access)).result_int() == 200);

    // The rotated token is refused, and presenting it revokes its successor.
    auto replay = c.post("/api/auth/refresh", {{"refresh", first.refresh}});
    BOOST_TEST(is_problem(replay, 401));
    auto successor = c.post("/api/auth/refresh", {{"refresh", second_refresh}});
    BOOST_TEST(is_problem(successor, 401));

    // Another session (another family) is untouched.
    auto other = login(c, "ann@example.com", password);
    BOOST_TEST(c.post("/api/auth/refresh", {{"refresh", other.refresh}}).result_int() == 200);
}

BOOST_FIXTURE_TEST_CASE(refresh_refuses_unknown_and_malformed_tokens, registered) {
    BOOST_TEST(is_problem(c.post("/api/auth/refresh", {{"refresh", std::string(64, 'a')}}), 401));
    BOOST_TEST(is_problem(c.post("/api/auth/refresh", {{"refresh", "short"}}), 401));
    BOOST_TEST(is_problem(c.post("/api/auth/refresh", {{"refresh", 7}}), 422));
    BOOST_TEST(is_problem(c.post("/api/auth/refresh", json::object{}), 422));
    // An access token is not a refresh token.
    auto tokens = login(c, "ann@example.com", password);
    BOOST_TEST(is_problem(c.post("/api/auth/refresh", {{"refresh", tokens.access}}), 401));
}

BOOST_FIXTURE_TEST_CASE(logout_revokes_the_family, registered) {
    auto tokens = login(c, "ann@example.com", password);
    auto rotated = json_of(c.post("/api/auth/refresh", {{"refresh", tokens.refresh}}));
    auto current = text_of(rotated.at("refresh"));
    auto out = c.post("/api/auth/logout", {{"refresh", current}});
    BOOST_TEST(out.result_int() == 204);
    BOOST_TEST(out.body().empty());
    BOOST_TEST(is_problem(c.post("/api/auth/refresh", {{"refresh", current}}), 401));
    BOOST_TEST(is_problem(c.post("/api/auth/logout", {{"refresh", current}}), 401));
    BOOST_TEST(is_problem(c.post("/api/auth/logout", {{"refresh", std::string(64, 'f')}}), 401));
}

BOOST_FIXTURE_TEST_CASE(verification_token_is_emailed_and_works_once, registered) {
    auto mails = emails_to("ann@example.com");
    BOOST_TEST_REQUIRE(mails.size() == 1u);
    BOOST_TEST(text_of(mails[0].at("subject")).find("Confirm") != std::string::npos);
    auto token = token_in_last_email("ann@example.com");
    auto bad = c.post("/api/auth/verify-email", {{"token", std::string(64, '0')}});
    BOOST_TEST(is_problem(bad, 422));
    BOOST_TEST(problem_fields(bad) == std::vector<std::string>{"token"});
    auto ok = c.post("/api/auth/verify-email", {{"token", token}});
    BOOST_TEST(ok.result_int() == 204);
    auto tokens = login(c, "ann@example.com", password);
    auto me = json_of(c.call(verb::get, "/api/auth/me", {}, bearer(tokens.access)));
    BOOST_TEST(me.at("verified").as_bool());
    BOOST_TEST(is_problem(c.post("/api/auth/verify-email", {{"token", token}}), 422));
}

BOOST_FIXTURE_TEST_CASE(password_reset_changes_the_password_and_ends_sessions, registered) {
    auto session = login(c, "ann@example.com", password);
    BOOST_TEST(c.call(verb::get, "/api/auth/me", {}, bearer(session.access)).result_int() == 200);
    auto asked = c.post("/api/auth/password-reset", {{"email", "ANN@example.com"}});
    BOOST_TEST(asked.result_int() == 202);
    auto mails = await_emails_to("ann@example.com", 2);
    BOOST_TEST_REQUIRE(mails.size() == 2u);
    BOOST_TEST(text_of(mails[1].at("subject")).find("Reset") != std::string::npos);
    auto token = token_in_last_email("ann@example.com");

    auto weak =
        c.post("/api/auth/password-reset/confirm", {{"token", token}, {"password", "short"}});
    BOOST_TEST(is_problem(weak, 422));
    BOOST_TEST(problem_fields(weak) == std::vector<std::string>{"password"});
    auto done = c.post("/api/auth/password-reset/confirm",
                       {{"token", token}, {"password", "brand-new-pass"}});
    BOOST_TEST(done.result_int() == 204);

    BOOST_TEST(is_problem(c.post("/api/auth/refresh", {{"refresh", session.refresh}}), 401));
    // The access token from before the reset is refused too.
    BOOST_TEST(is_problem(c.call(verb::get, "/api/auth/me", {}, bearer(session.access)), 401));
    BOOST_TEST(is_problem(
        c.post("/api/auth/login", {{"email", "ann@example.com"}, {"password", password}}), 401));
    // A token issued right after the reset works.
    auto fresh = login(c, "ann@example.com", "brand-new-pass");
    BOOST_TEST(c.call(verb::get, "/api/auth/me", {}, bearer(fresh.access)).result_int() == 200);
    // Single use.
    auto again = c.post("/api/auth/password-reset/confirm",
                        {{"token", token}, {"password", "another-pass"}});
    BOOST_TEST(is_problem(again, 422));
}

BOOST_FIXTURE_TEST_CASE(password_reset_does_not_tell_who_has_an_account, registered) {
    auto known = c.post("/api/auth/password-reset", {{"email", "ann@example.com"}});
    auto unknown = c.post("/api/auth/password-reset", {{"email", "ghost@example.com"}});
    BOOST_TEST(known.result_int() == 202);
    BOOST_TEST(unknown.result_int() == 202);
    BOOST_TEST(known.body() == unknown.body());
    BOOST_TEST(await_emails_to("ann@example.com", 2).size() == 2u);
    BOOST_TEST(emails_to("ghost@example.com").empty());
    BOOST_TEST(is_problem(c.post("/api/auth/password-reset", {{"email", 1}}), 422));
    BOOST_TEST(is_problem(c.post("/api/auth/password-reset", {{"email", "garbage"}}), 422));
}

// The answer to a reset request is made before anything that depends on the
// account runs: with every worker and the writer held busy, a known and an
// unknown email both get their 202, byte for byte alike; the token for the
// known one is stored once the work is let go.
BOOST_FIXTURE_TEST_CASE(password_reset_answers_before_any_account_work, registered) {
    std::promise<void> release;
    auto const released = release.get_future().share();
    std::atomic<int> held{0};
    std::atomic<bool> gave_up{false};
    // Bounded: should the answer wait for this work (the flaw this test
    // catches), the hold ends by itself and the test fails instead of hanging.
    auto const hold = [released, &held, &gave_up] {
        held.fetch_add(1);
        if (released.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
            gave_up = true;
    };
    for (std::size_t i = 0; i < test_settings().worker_threads; ++i)
        services->workers().post(hold);
    BOOST_TEST_REQUIRE(
        writer->submit([hold](SQLite::Database&) { hold(); }, [](kryptod::storage::status) {})
            .ok());
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (held.load() < 3 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    BOOST_TEST_REQUIRE(held.load() == 3);

    auto known = c.post("/api/auth/password-reset", {{"email", "ann@example.com"}});
    auto unknown = c.post("/api/auth/password-reset", {{"email", "ghost@example.com"}});
    bool const answered_while_held = !gave_up.load();
    release.set_value();
    BOOST_TEST(answered_while_held);
    BOOST_TEST(known.result_int() == 202);
    BOOST_TEST(unknown.result_int() == 202);
    BOOST_TEST(known.body() == unknown.body());
    BOOST_TEST(known[boost::beast::http::field::content_type] ==
               unknown[boost::beast::http::field::content_type]);
    BOOST_TEST(known[boost::beast::http::field::content_length] ==
               unknown[boost::beast::http::field::content_length]);
    // The work still happens, after the answer.
    BOOST_TEST(await_emails_to("ann@example.com", 2).size() == 2u);
    BOOST_TEST(emails_to("ghost@example.com").empty());
}

BOOST_FIXTURE_TEST_CASE(wrong_methods_are_405, registered) {
    auto res = c.call(verb::get, "/api/auth/login");
    BOOST_TEST(res.result_int() == 405);
    BOOST_TEST(std::string(res[boost::beast::http::field::allow]).find("POST") !=
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
