// Tests for http/router.hpp: matching, parameters, 404 and 405.
#include "http/router.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::http;

namespace {

struct routed_fixture {
    router r;
    std::string last;
    path_params last_params;

    routed_fixture() {
        auto record = [this](std::string name) {
            return [this, name](incoming in, responder respond) {
                last = name;
                last_params = in.params;
                respond(empty_response(status::no_content));
            };
        };
        r.add(verb::get, "/api/alerts", record("list"));
        r.add(verb::post, "/api/alerts", record("create"));
        r.add(verb::get, "/api/alerts/{id}", record("get"));
        r.add(verb::delete_, "/api/alerts/{id}", record("delete"));
        r.add(verb::get, "/api/alerts/{id}/events", record("events"));
    }

    response call(verb method, std::string target) {
        incoming in;
        in.req = request{method, target, 11};
        response out;
        r(std::move(in), [&](response res) { out = std::move(res); });
        return out;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_FIXTURE_TEST_CASE(routes_by_method_and_path, routed_fixture) {
    BOOST_TEST(call(verb::get, "/api/alerts").result() == status::no_content);
    BOOST_TEST(last == "list");
    BOOST_TEST(call(verb::post, "/api/alerts").result() == status::no_content);
    BOOST_TEST(last == "create");
}

BOOST_FIXTURE_TEST_CASE(captures_path_parameters, routed_fixture) {
    call(verb::get, "/api/alerts/42/events");
    BOOST_TEST(last == "events");
    BOOST_TEST(last_params == path_params{"42"});
    call(verb::delete_, "/api/alerts/7");
    BOOST_TEST(last == "delete");
    BOOST_TEST(last_params == path_params{"7"});
}

BOOST_FIXTURE_TEST_CASE(ignores_trailing_slash_and_query, routed_fixture) {
    BOOST_TEST(call(verb::get, "/api/alerts/?limit=5&status=active").result() ==
               status::no_content);
    BOOST_TEST(last == "list");
    BOOST_TEST(call(verb::get, "/api/alerts/9/").result() == status::no_content);
    BOOST_TEST(last_params == path_params{"9"});
}

BOOST_FIXTURE_TEST_CASE(unknown_path_is_404_problem, routed_fixture) {
    auto res = call(verb::get, "/api/nothing");
    BOOST_TEST(res.result() == status::not_found);
    BOOST_TEST(res[bhttp::field::content_type] == "application/problem+json");
    auto body = boost::json::parse(res.body()).as_object();
    BOOST_TEST(body.at("status").as_int64() == 404);
    BOOST_TEST(body.contains("title"));
    BOOST_TEST(body.contains("detail"));
    BOOST_TEST(call(verb::get, "/api/alerts/1/events/2").result() == status::not_found);
}

BOOST_FIXTURE_TEST_CASE(wrong_method_is_405_with_allow, routed_fixture) {
    auto res = call(verb::put, "/api/alerts/3");
    BOOST_TEST(res.result() == status::method_not_allowed);
    BOOST_TEST(res[bhttp::field::allow] == "GET, DELETE");
    BOOST_TEST(res[bhttp::field::content_type] == "application/problem+json");
}

BOOST_AUTO_TEST_CASE(target_path_strips_query_and_slash) {
    BOOST_TEST(target_path("/") == "/");
    BOOST_TEST(target_path("/healthz/") == "/healthz");
    BOOST_TEST(target_path("/api/prices/?symbol=BTCUSDT") == "/api/prices");
}

BOOST_FIXTURE_TEST_CASE(a_fallback_answers_what_no_route_matches, routed_fixture) {
    r.fallback([this](incoming, responder respond) {
        last = "fallback";
        respond(empty_response(status::no_content));
    });
    BOOST_TEST(call(verb::get, "/alerts/7").result() == status::no_content);
    BOOST_TEST(last == "fallback");
    // Routes still win, and a known path with another method is still 405.
    call(verb::get, "/api/alerts/7");
    BOOST_TEST(last == "get");
    BOOST_TEST(call(verb::put, "/api/alerts/3").result() == status::method_not_allowed);
}

BOOST_AUTO_TEST_SUITE_END()
