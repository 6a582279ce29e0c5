// Tests for daemon/api/authenticator.hpp without a socket: the secret file
// (created 0600 with 64 hex characters, kept across starts, a short one
// refused), the Authorization schemes, and the directory deciding.
#include "account_server.hpp"
#include "daemon/api/authenticator.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sys/stat.h>

using namespace kryptod::daemon::api;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
    fs::path path = kryptod::test::make_temp_dir();
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

kryptod::http::request with_authorization(std::string const& value) {
    kryptod::http::request req{kryptod::http::verb::get, "/api/auth/me", 11};
    req.set(boost::beast::http::field::authorization, value);
    return req;
}

} // namespace

BOOST_AUTO_TEST_SUITE(authenticator)

BOOST_AUTO_TEST_CASE(secret_file_is_created_private_and_reused) {
    temp_dir dir;
    auto path = dir.path / "secret";
    auto secret = load_or_create_secret(path);
    BOOST_TEST(secret.size() == 64u);
    BOOST_TEST(secret.find_first_not_of("0123456789abcdef") == std::string::npos);
    struct stat st {};
    BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    BOOST_TEST(load_or_create_secret(path) == secret);
}

BOOST_AUTO_TEST_CASE(short_secret_is_refused_with_a_clear_error) {
    temp_dir dir;
    auto path = dir.path / "secret";
    std::ofstream(path) << "too-short\n";
    try {
        load_or_create_secret(path);
        BOOST_FAIL("a 9-byte secret was accepted");
    } catch (std::runtime_error const& e) {
        std::string what = e.what();
        BOOST_TEST(what.find("auth.secret_file") != std::string::npos);
        BOOST_TEST(what.find("at least 32 bytes") != std::string::npos);
        BOOST_TEST(what.find(path.string()) != std::string::npos);
    }
    std::ofstream(path) << std::string(32, 'q') << "\n";
    BOOST_TEST(load_or_create_secret(path) == std::string(32, 'q'));
}

BOOST_AUTO_TEST_CASE(unreadable_location_is_an_error) {
    BOOST_CHECK_THROW(load_or_create_secret("/nonexistent-dir/secret"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(schemes) {
    BOOST_TEST(bearer_token("Bearer abc") == "abc");
    BOOST_TEST(bearer_token("JWT abc") == "abc");
    BOOST_TEST(bearer_token("bearer  abc ") == "abc");
    BOOST_TEST(bearer_token("Basic abc").empty());
    BOOST_TEST(bearer_token("Bearer").empty());
    BOOST_TEST(bearer_token("Bearer a b").empty());
    BOOST_TEST(bearer_token("abc").empty());
}

BOOST_AUTO_TEST_CASE(directory_decides_who_is_in) {
    user_directory users;
    kryptod::daemon::api::authenticator auth(std::string(40, 's'), users, std::chrono::seconds(60));
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto token = auth.issue(7, "admin", now);
    // Not in the directory: refused.
    auto r = auth.authenticate(with_authorization("Bearer " + token));
    BOOST_TEST_REQUIRE(std::holds_alternative<kryptod::http::response>(r));
    BOOST_TEST(std::get<kryptod::http::response>(r).result_int() == 401u);

    kryptod::storage::user_store::user_record record;
    record.id = 7;
    record.email = "g@example.com";
    record.role = "user"; // demoted since the token was issued
    users.put(record);
    r = auth.authenticate(with_authorization("JWT " + token));
    BOOST_TEST_REQUIRE(std::holds_alternative<principal>(r));
    BOOST_TEST(!std::get<principal>(r).is_admin());

    record.disabled = true;
    users.put(record);
    r = auth.authenticate(with_authorization("Bearer " + token));
    BOOST_TEST_REQUIRE(std::holds_alternative<kryptod::http::response>(r));
    BOOST_TEST(std::get<kryptod::http::response>(r).result_int() == 401u);
}

BOOST_AUTO_TEST_CASE(tokens_from_before_the_sessions_ended_are_refused) {
    user_directory users;
    kryptod::daemon::api::authenticator auth(std::string(40, 's'), users,
                                             std::chrono::seconds(600));
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    kryptod::storage::user_store::user_record record;
    record.id = 7;
    record.email = "g@example.com";
    users.put(record);
    auto old = auth.issue(7, "user", now - 5);
    BOOST_TEST(
        std::holds_alternative<principal>(auth.authenticate(with_authorization("Bearer " + old))));

    // The sessions end now: the token that was just accepted (and is
    // remembered as verified) is refused.
    record.tokens_valid_after = kryptod::daemon::api::tokens_valid_after(now * 1000 + 400, 0);
    BOOST_TEST(record.tokens_valid_after == (now + 1) * 1000);
    users.put(record);
    auto r = auth.authenticate(with_authorization("Bearer " + old));
    BOOST_TEST_REQUIRE(std::holds_alternative<kryptod::http::response>(r));
    BOOST_TEST(std::get<kryptod::http::response>(r).result_int() == 401u);
    // Even one issued in the same second, before the end, is older.
    auto same_second = auth.issue(7, "user", now);
    auto claims = auth.codec().verify(same_second, now + 1);
    BOOST_TEST_REQUIRE(std::holds_alternative<kryptod::http::jwt_claims>(claims));
    // issue() dates a token no earlier than the end, so it works at once.
    BOOST_TEST(std::get<kryptod::http::jwt_claims>(claims).issued_at == now + 1);
    BOOST_TEST(std::holds_alternative<principal>(
        auth.authenticate(with_authorization("Bearer " + same_second))));

    // Ended again within the same second: the token issued in between,
    // dated at the first end, is older than the second.
    record.tokens_valid_after =
        kryptod::daemon::api::tokens_valid_after(now * 1000 + 600, record.tokens_valid_after);
    BOOST_TEST(record.tokens_valid_after == (now + 2) * 1000);
    users.put(record);
    r = auth.authenticate(with_authorization("Bearer " + same_second));
    BOOST_TEST_REQUIRE(std::holds_alternative<kryptod::http::response>(r));
    BOOST_TEST(std::get<kryptod::http::response>(r).result_int() == 401u);
}

BOOST_AUTO_TEST_SUITE_END()
