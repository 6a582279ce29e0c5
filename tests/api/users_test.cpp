// Tests for daemon/api/users.hpp and daemon/api/user_add.hpp: the admin
// endpoints over real HTTP (403 for non-admins, paging bounds, create,
// role change, disabling), and `kryptod user add`.
#include "account_server.hpp"
#include "daemon/api/users.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::test;
using verb = boost::beast::http::verb;
namespace json = boost::json;

namespace {

struct with_admin : account_server {
    http_client c = client();
    std::string admin;
    with_admin() {
        add_user("root@example.com", "root-password", true);
        admin = bearer(login(c, "root@example.com", "root-password").access);
    }
    std::int64_t create(std::string const& email, std::string const& role = "user") {
        auto res = c.post("/api/users",
                          {{"email", email}, {"password", "pass-word"}, {"role", role}}, admin);
        BOOST_TEST_REQUIRE(res.result_int() == 201);
        return json_of(res).at("id").as_int64();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(users)

BOOST_FIXTURE_TEST_CASE(admin_creates_users, with_admin) {
    auto res =
        c.post("/api/users",
               {{"email", "ops@example.com"}, {"password", "pass-word"}, {"role", "admin"}}, admin);
    BOOST_TEST_REQUIRE(res.result_int() == 201);
    auto body = json_of(res);
    BOOST_TEST(text_of(body.at("role")) == "admin");
    BOOST_TEST(body.at("verified").as_bool());
    BOOST_TEST(res.body().find("argon2") == std::string::npos);
    auto plain =
        c.post("/api/users", {{"email", "joe@example.com"}, {"password", "pass-word"}}, admin);
    BOOST_TEST(text_of(json_of(plain).at("role")) == "user");
    auto dup =
        c.post("/api/users", {{"email", "JOE@example.com"}, {"password", "pass-word"}}, admin);
    BOOST_TEST(is_problem(dup, 409));
    auto bad =
        c.post("/api/users", {{"email", "x"}, {"password", "short"}, {"role", "root"}}, admin);
    BOOST_TEST(is_problem(bad, 422));
    BOOST_TEST((problem_fields(bad) == std::vector<std::string>{"email", "password", "role"}));
    BOOST_TEST(login(c, "joe@example.com", "pass-word").access.size() > 0u);
}

BOOST_FIXTURE_TEST_CASE(non_admins_get_403_and_strangers_401, with_admin) {
    create("joe@example.com");
    auto joe = bearer(login(c, "joe@example.com", "pass-word").access);
    BOOST_TEST(is_problem(c.call(verb::get, "/api/users", {}, joe), 403));
    BOOST_TEST(is_problem(
        c.post("/api/users", {{"email", "x@example.com"}, {"password", "pass-word"}}, joe), 403));
    BOOST_TEST(is_problem(c.call(verb::patch, "/api/users/1", R"({"role":"user"})", joe), 403));
    BOOST_TEST(is_problem(c.call(verb::get, "/api/users"), 401));
    BOOST_TEST(is_problem(c.call(verb::patch, "/api/users/1", R"({"role":"user"})"), 401));
}

BOOST_FIXTURE_TEST_CASE(list_pages_newest_first, with_admin) {
    for (int i = 0; i < 12; ++i) {
        std::string email = "u";
        email.append(std::to_string(i)).append("@example.com");
        create(email);
    }
    auto first = c.call(verb::get, "/api/users", {}, admin);
    BOOST_TEST_REQUIRE(first.result_int() == 200);
    auto body = json_of(first);
    BOOST_TEST(body.at("total").as_int64() == 13);
    BOOST_TEST(body.at("limit").as_int64() == 10);
    BOOST_TEST(body.at("offset").as_int64() == 0);
    BOOST_TEST(body.at("items").as_array().size() == 10u);
    BOOST_TEST(text_of(body.at("items").as_array()[0].as_object().at("email")) ==
               "u11@example.com");
    auto last = json_of(c.call(verb::get, "/api/users/?limit=5&offset=10", {}, admin));
    BOOST_TEST(last.at("items").as_array().size() == 3u);
    BOOST_TEST(text_of(last.at("items").as_array()[2].as_object().at("email")) ==
               "root@example.com");
    BOOST_TEST(last.at("limit").as_int64() == 5);
    BOOST_TEST(last.at("offset").as_int64() == 10);
    BOOST_TEST(c.call(verb::get, "/api/users?limit=1000", {}, admin).result_int() == 200);
    for (auto q : {"limit=0", "limit=1001", "limit=abc", "limit=", "offset=-1", "offset=1.5"}) {
        BOOST_TEST_INFO("query " << q);
        auto res = c.call(verb::get, std::string("/api/users?") + q, {}, admin);
        BOOST_TEST(is_problem(res, 422));
        BOOST_TEST(problem_fields(res).size() == 1u);
    }
    auto unknown = c.call(verb::get, "/api/users?sort=email", {}, admin);
    BOOST_TEST(problem_fields(unknown) == std::vector<std::string>{"sort"});
}

BOOST_FIXTURE_TEST_CASE(patch_changes_role_at_once, with_admin) {
    auto id = create("joe@example.com");
    auto joe = bearer(login(c, "joe@example.com", "pass-word").access);
    auto promote =
        c.call(verb::patch, "/api/users/" + std::to_string(id), R"({"role":"admin"})", admin);
    BOOST_TEST_REQUIRE(promote.result_int() == 200);
    BOOST_TEST(text_of(json_of(promote).at("role")) == "admin");
    // A role change ends Joe's sessions: the token from before is refused,
    // and one issued now carries admin rights.
    BOOST_TEST(is_problem(c.call(verb::get, "/api/users", {}, joe), 401));
    BOOST_TEST(is_problem(c.call(verb::get, "/api/auth/me", {}, joe), 401));
    auto promoted = bearer(login(c, "joe@example.com", "pass-word").access);
    BOOST_TEST(c.call(verb::get, "/api/users", {}, promoted).result_int() == 200);
    c.call(verb::patch, "/api/users/" + std::to_string(id) + "/", R"({"role":"user"})", admin);
    // Demoted: the admin token is refused at once.
    BOOST_TEST(is_problem(c.call(verb::get, "/api/users", {}, promoted), 401));
    auto demoted = bearer(login(c, "joe@example.com", "pass-word").access);
    BOOST_TEST(is_problem(c.call(verb::get, "/api/users", {}, demoted), 403));
}

BOOST_FIXTURE_TEST_CASE(patch_that_changes_nothing_keeps_sessions, with_admin) {
    auto id = create("joe@example.com");
    auto joe = login(c, "joe@example.com", "pass-word");
    auto target = "/api/users/" + std::to_string(id);
    BOOST_TEST(
        c.call(verb::patch, target, R"({"role":"user","disabled":false})", admin).result_int() ==
        200);
    BOOST_TEST(c.call(verb::get, "/api/auth/me", {}, bearer(joe.access)).result_int() == 200);
    BOOST_TEST(c.post("/api/auth/refresh", {{"refresh", joe.refresh}}).result_int() == 200);
}

BOOST_FIXTURE_TEST_CASE(disabled_user_is_locked_out_at_once, with_admin) {
    auto id = create("joe@example.com");
    auto session = login(c, "joe@example.com", "pass-word");
    auto target = "/api/users/" + std::to_string(id);
    auto off = c.call(verb::patch, target, R"({"disabled":true})", admin);
    BOOST_TEST_REQUIRE(off.result_int() == 200);
    BOOST_TEST(json_of(off).at("disabled").as_bool());
    BOOST_TEST(is_problem(c.call(verb::get, "/api/auth/me", {}, bearer(session.access)), 401));
    BOOST_TEST(is_problem(c.post("/api/auth/refresh", {{"refresh", session.refresh}}), 401));
    auto again =
        c.post("/api/auth/login", {{"email", "joe@example.com"}, {"password", "pass-word"}});
    BOOST_TEST(is_problem(again, 403));
    // Wrong password for a disabled account is still just 401.
    auto wrong =
        c.post("/api/auth/login", {{"email", "joe@example.com"}, {"password", "wrong-pass"}});
    BOOST_TEST(is_problem(wrong, 401));

    auto on = c.call(verb::patch, target, R"({"disabled":false})", admin);
    BOOST_TEST(on.result_int() == 200);
    // Re-enabled: the access token from before the lock-out stays refused.
    BOOST_TEST(is_problem(c.call(verb::get, "/api/auth/me", {}, bearer(session.access)), 401));
    auto back = login(c, "joe@example.com", "pass-word");
    BOOST_TEST(c.call(verb::get, "/api/auth/me", {}, bearer(back.access)).result_int() == 200);
    // The refresh token from before the lock-out stays revoked.
    BOOST_TEST(is_problem(c.post("/api/auth/refresh", {{"refresh", session.refresh}}), 401));
}

BOOST_FIXTURE_TEST_CASE(patch_validates, with_admin) {
    auto id = std::to_string(create("joe@example.com"));
    BOOST_TEST(is_problem(c.call(verb::patch, "/api/users/999", R"({"role":"user"})", admin), 404));
    BOOST_TEST(is_problem(c.call(verb::patch, "/api/users/abc", R"({"role":"user"})", admin), 404));
    auto role = c.call(verb::patch, "/api/users/" + id, R"({"role":"root"})", admin);
    BOOST_TEST(is_problem(role, 422));
    BOOST_TEST(problem_fields(role) == std::vector<std::string>{"role"});
    auto typed = c.call(verb::patch, "/api/users/" + id, R"({"disabled":"yes"})", admin);
    BOOST_TEST(problem_fields(typed) == std::vector<std::string>{"disabled"});
    auto unknown = c.call(verb::patch, "/api/users/" + id, R"({"email":"a@b.c"})", admin);
    BOOST_TEST(problem_fields(unknown) == std::vector<std::string>{"email"});
    BOOST_TEST(is_problem(c.call(verb::patch, "/api/users/" + id, "{}", admin), 422));
    BOOST_TEST(is_problem(c.call(verb::patch, "/api/users/" + id, "{", admin), 400));
}

BOOST_FIXTURE_TEST_CASE(user_add_command, account_server) {
    kryptod::daemon::config cfg;
    cfg.storage.path = db_path;
    auto const cheap = kryptod::http::password_cost::minimal();
    std::istringstream pw("first-password\r\n");
    auto made = kryptod::daemon::api::user_add(cfg, "Admin@example.com", true, pw, cheap);
    BOOST_TEST(made.exit_status == 0);
    BOOST_TEST(made.message.find("admin") != std::string::npos);
    std::istringstream again("other-password\n");
    auto dup = kryptod::daemon::api::user_add(cfg, "admin@EXAMPLE.com", false, again, cheap);
    BOOST_TEST(dup.exit_status == 1);
    BOOST_TEST(dup.message.find("already exists") != std::string::npos);
    std::istringstream shortpw("short\n");
    BOOST_TEST(
        kryptod::daemon::api::user_add(cfg, "b@example.com", false, shortpw, cheap).exit_status ==
        1);
    std::istringstream empty("");
    auto none = kryptod::daemon::api::user_add(cfg, "b@example.com", false, empty, cheap);
    BOOST_TEST(none.exit_status == 1);
    std::istringstream any("long-enough\n");
    BOOST_TEST(kryptod::daemon::api::user_add(cfg, "no-at-sign", false, any, cheap).exit_status ==
               1);
    // The running API sees the account: it logs in (CR stripped) and is admin.
    auto c = client();
    auto tokens = login(c, "admin@example.com", "first-password");
    BOOST_TEST(c.call(verb::get, "/api/users", {}, bearer(tokens.access)).result_int() == 200);
}

BOOST_AUTO_TEST_SUITE_END()
