// Tests the account emails' two protections, through HTTP and the outbox:
// at most notify.account_emails_per_day emails go to one address (a reset
// request past it is answered as before, 202, and queues nothing), and the
// token an email carries never reaches the database files, where only its
// hash is.
#include "account_server.hpp"
#include "daemon/api/api_context.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>

using namespace kryptod::test;

namespace {

constexpr char const* password = "correct horse battery";

kryptod::daemon::api::api_settings per_day(std::uint32_t n) {
    auto s = test_settings();
    s.account_emails_per_day = n;
    // A reset's account work runs after its answer, on a worker: with one
    // worker (and the writer's one queue) requests are handled in order, so
    // a later request's email proves the earlier ones were handled.
    s.worker_threads = 1;
    return s;
}

// A server allowing 3 account emails per address per day, with two users.
struct capped_server : account_server {
    http_client c = client();
    capped_server()
        : account_server(per_day(3)) {
        for (auto const* email : {"ann@example.com", "bob@example.com"}) {
            auto res = c.post("/api/auth/register", {{"email", email}, {"password", password}});
            BOOST_TEST_REQUIRE(res.result_int() == 201);
        }
    }

    int ask_reset(std::string const& email) {
        return c.post("/api/auth/password-reset", {{"email", email}}).result_int();
    }
};

std::string file_bytes(std::filesystem::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(account_emails)

BOOST_FIXTURE_TEST_CASE(reset_emails_to_one_address_stop_at_the_daily_cap, capped_server) {
    BOOST_TEST(emails_to("ann@example.com").size() == 1u); // the verification email
    for (int i = 0; i < 6; ++i)
        BOOST_TEST(ask_reset("ann@example.com") == 202); // answered alike, every time
    // Another address has its own count; its email comes after every
    // request above was handled.
    BOOST_TEST(ask_reset("bob@example.com") == 202);
    BOOST_TEST(await_emails_to("bob@example.com", 2).size() == 2u);
    auto const mails = emails_to("ann@example.com");
    BOOST_TEST(mails.size() == 3u); // verification + 2 resets
    BOOST_TEST(text_of(mails.back().at("subject")).find("Reset") != std::string::npos);
    // The last token emailed still works: the capped requests issued none.
    auto const token = token_in_last_email("ann@example.com");
    auto done = c.post("/api/auth/password-reset/confirm",
                       {{"token", token}, {"password", "brand-new-pass"}});
    BOOST_TEST(done.result_int() == 204);
}

BOOST_FIXTURE_TEST_CASE(tokens_never_reach_the_database_files, capped_server) {
    BOOST_TEST(ask_reset("ann@example.com") == 202);
    auto const verify = [&] {
        auto mails = await_emails_to("ann@example.com", 2);
        BOOST_TEST_REQUIRE(mails.size() == 2u);
        std::string body(mails.front().at("body").as_string());
        auto const at = body.find("\n\n", body.find("verify-email"));
        return body.substr(at + 2, 64);
    }();
    auto const reset = token_in_last_email("ann@example.com");
    BOOST_TEST_REQUIRE(verify.size() == 64u);
    BOOST_TEST(verify != reset);
    for (auto const* suffix : {"", "-wal"}) {
        auto path = db_path;
        path += suffix;
        auto const bytes = file_bytes(path);
        BOOST_TEST(bytes.find(verify) == std::string::npos, path);
        BOOST_TEST(bytes.find(reset) == std::string::npos, path);
    }
    BOOST_TEST(file_bytes(db_path.string() + "-wal").size() > 0u); // the rows are there
    // And yet the emailed tokens work, checked against their stored hashes.
    BOOST_TEST(c.post("/api/auth/verify-email", {{"token", verify}}).result_int() == 204);
    BOOST_TEST(c.post("/api/auth/password-reset/confirm",
                      {{"token", reset}, {"password", "brand-new-pass"}})
                   .result_int() == 204);
}

BOOST_AUTO_TEST_SUITE_END()
