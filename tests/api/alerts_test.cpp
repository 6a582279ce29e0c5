// The alert and market API through real HTTP on 127.0.0.1, with the alert
// engine on the server's io_context as in the daemon: CRUD, filters and
// pagination, two users kept apart, mass assignment and bad prices refused,
// the original paths, coins and price history, and a tick firing an alert.
#include "alert_server.hpp"

#include <boost/test/unit_test.hpp>

#include <future>

using namespace kryptod;
using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

json::object create(http_client& c, std::string const& token, json::object body) {
    auto res = c.post("/api/alerts", body, token);
    BOOST_REQUIRE_MESSAGE(res.result_int() == 201, res.body());
    return json_of(res);
}

std::string id_path(json::object const& alert) {
    return "/api/alerts/" + std::to_string(alert.at("id").as_int64());
}

// Polls GET `path` until `pred` holds (fires are recorded asynchronously).
json::object wait_for(http_client& c, std::string const& path, std::string const& token,
                      std::function<bool(json::object const&)> pred) {
    json::object last;
    for (int i = 0; i < 200; ++i) {
        last = json_of(c.call(bhttp::verb::get, path, {}, token));
        if (pred(last)) return last;
        std::this_thread::sleep_for(20ms);
    }
    return last;
}

} // namespace

BOOST_AUTO_TEST_SUITE(alerts)

BOOST_AUTO_TEST_CASE(create_read_list_and_fields) {
    alert_server s;
    auto c = s.client();
    auto a = create(c, s.alice,
                    {{"symbol", "btcusdt"},
                     {"target_price", "65000.50"},
                     {"direction", "above"},
                     {"name", "moon"},
                     {"channels", json::array{"email"}}});
    BOOST_TEST(a.at("symbol").as_string() == "BTCUSDT");
    BOOST_TEST(a.at("target_price").as_string() == "65000.5");
    BOOST_TEST(a.at("direction").as_string() == "above");
    BOOST_TEST(a.at("status").as_string() == "active");
    BOOST_TEST(a.at("repeat").as_string() == "once");
    BOOST_TEST(a.at("cooldown_seconds").as_int64() == 3600);
    BOOST_TEST(a.at("trigger_count").as_int64() == 0);
    BOOST_TEST(a.at("triggered_at").is_null());
    BOOST_TEST(a.at("created_at").as_string().ends_with("Z"));
    auto got = c.call(bhttp::verb::get, id_path(a), {}, s.alice);
    BOOST_TEST(got.result_int() == 200);
    BOOST_TEST(json_of(got) == a);
    auto list = json_of(c.call(bhttp::verb::get, "/api/alerts", {}, s.alice));
    BOOST_TEST(list.at("total").as_int64() == 1);
    BOOST_TEST(list.at("limit").as_int64() == 10);
    BOOST_TEST(list.at("offset").as_int64() == 0);
    BOOST_TEST(list.at("items").as_array().at(0).as_object() == a);
    // A number price keeps its exact decimal text.
    auto n =
        c.call(bhttp::verb::post, "/api/alerts",
               R"({"symbol":"ETHUSDT","target_price":3000.12345678,"direction":"below"})", s.alice);
    BOOST_TEST(n.result_int() == 201);
    BOOST_TEST(json_of(n).at("target_price").as_string() == "3000.12345678");
}

BOOST_AUTO_TEST_CASE(authentication_is_required) {
    alert_server s;
    auto c = s.client();
    BOOST_TEST(is_problem(c.call(bhttp::verb::get, "/api/alerts"), 401));
    BOOST_TEST(is_problem(c.post("/api/alerts", {{"symbol", "BTCUSDT"}}), 401));
    BOOST_TEST(is_problem(c.call(bhttp::verb::get, "/api/alerts", {}, "Bearer nonsense"), 401));
    // The original services' scheme works too.
    auto jwt = "JWT " + s.alice.substr(7);
    BOOST_TEST(c.call(bhttp::verb::get, "/api/alerts/", {}, jwt).result_int() == 200);
}

BOOST_AUTO_TEST_CASE(bad_prices_and_fields_are_422_naming_the_field) {
    alert_server s;
    auto c = s.client();
    auto refused = [&](std::string body, std::string field) {
        auto res = c.call(bhttp::verb::post, "/api/alerts", body, s.alice);
        BOOST_TEST(is_problem(res, 422), body << " -> " << res.body());
        auto fields = problem_fields(res);
        BOOST_TEST((std::find(fields.begin(), fields.end(), field) != fields.end()),
                   body << " should name " << field << ": " << res.body());
    };
    std::string const head = R"({"symbol":"BTCUSDT","direction":"above","target_price":)";
    refused(head + "0}", "target_price");
    refused(head + "\"0\"}", "target_price");
    refused(head + "-5}", "target_price");
    refused(head + "\"-5\"}", "target_price");
    refused(head + "\"1.123456789\"}", "target_price");
    refused(head + "1.123456789}", "target_price");
    refused(head + "1e400}", "target_price");
    refused(head + "\"abc\"}", "target_price");
    refused(head + "true}", "target_price");
    refused(R"({"symbol":"NOPEUSDT","target_price":"1","direction":"above"})", "symbol");
    refused(R"({"symbol":"BTC USDT","target_price":"1","direction":"above"})", "symbol");
    refused(R"({"target_price":"1","direction":"above"})", "symbol");
    refused(R"({"symbol":"BTCUSDT","direction":"above"})", "target_price");
    refused(head + R"("1","direction":"sideways"})", "direction");
    refused(head + R"("1","repeat":"often"})", "repeat");
    refused(head + R"("1","repeat":"every","cooldown_seconds":59})", "cooldown_seconds");
    refused(head + R"("1","cooldown_seconds":"60"})", "cooldown_seconds");
    refused(head + R"("1","expires_at":"2001-01-01T00:00:00Z"})", "expires_at");
    refused(head + R"("1","expires_at":"tomorrow"})", "expires_at");
    refused(head + R"("1","channels":["sms"]})", "channels");
    refused(head + R"("1","channels":[]})", "channels");
    refused(head + R"("1","name":")" + std::string(201, 'n') + R"("})", "name");
    // Mass assignment: fields the server owns.
    for (auto field : {"id", "status", "user_id", "owner", "trigger_count", "created_at",
                       "triggered_at", "trigger_price"})
        refused(head + R"("1",")" + field + R"(":1})", field);
    // Malformed JSON is 400, a non-object too.
    BOOST_TEST(is_problem(c.call(bhttp::verb::post, "/api/alerts", "{", s.alice), 400));
    BOOST_TEST(is_problem(c.call(bhttp::verb::post, "/api/alerts", "[1]", s.alice), 400));
}

BOOST_AUTO_TEST_CASE(direction_is_inferred_from_the_last_price) {
    alert_server s;
    auto c = s.client();
    // No price yet: the direction must be given.
    auto res = c.post("/api/alerts", {{"symbol", "SOLUSDT"}, {"target_price", "150"}}, s.alice);
    BOOST_TEST(is_problem(res, 422));
    BOOST_TEST(problem_fields(res) == std::vector<std::string>{"direction"});
    s.tick("SOLUSDT", "140");
    BOOST_TEST(create(c, s.alice, {{"symbol", "SOLUSDT"}, {"target_price", "150"}})
                   .at("direction")
                   .as_string() == "above");
    BOOST_TEST(create(c, s.alice, {{"symbol", "SOLUSDT"}, {"target_price", "130"}})
                   .at("direction")
                   .as_string() == "below");
    res = c.post("/api/alerts", {{"symbol", "SOLUSDT"}, {"target_price", "140"}}, s.alice);
    BOOST_TEST(problem_fields(res) == std::vector<std::string>{"direction"});
}

BOOST_AUTO_TEST_CASE(pagination_edges_and_filters) {
    alert_server s;
    auto c = s.client();
    std::vector<json::object> made;
    for (int i = 0; i < 25; ++i)
        made.push_back(create(c, s.alice,
                              {{"symbol", i % 5 == 0 ? "ETHUSDT" : "BTCUSDT"},
                               {"target_price", std::to_string(1000 + i)},
                               {"direction", "above"}}));
    auto page = [&](std::string query) {
        return c.call(bhttp::verb::get, "/api/alerts" + query, {}, s.alice);
    };
    auto first = json_of(page(""));
    BOOST_TEST(first.at("items").as_array().size() == 10u);
    BOOST_TEST(first.at("total").as_int64() == 25);
    // Newest first.
    BOOST_TEST(first.at("items").as_array().at(0).as_object() == made.back());
    auto last = json_of(page("?limit=10&offset=20"));
    BOOST_TEST(last.at("items").as_array().size() == 5u);
    BOOST_TEST(last.at("items").as_array().at(4).as_object() == made.front());
    BOOST_TEST(json_of(page("?limit=1000")).at("items").as_array().size() == 25u);
    BOOST_TEST(json_of(page("?offset=25")).at("items").as_array().empty());
    BOOST_TEST(json_of(page("?offset=1000")).at("total").as_int64() == 25);
    for (auto bad : {"?limit=0", "?limit=1001", "?limit=-1", "?limit=ten", "?offset=-1"}) {
        auto res = page(bad);
        BOOST_TEST(is_problem(res, 422), bad);
    }
    BOOST_TEST(problem_fields(page("?limit=0")) == std::vector<std::string>{"limit"});
    BOOST_TEST(json_of(page("?symbol=ethusdt")).at("total").as_int64() == 5);
    BOOST_TEST(problem_fields(page("?status=bogus")) == std::vector<std::string>{"status"});
    // Disable one, delete another: filters follow.
    auto d = c.call(bhttp::verb::patch, id_path(made[0]), R"({"status":"disabled"})", s.alice);
    BOOST_TEST(d.result_int() == 200);
    BOOST_TEST(json_of(d).at("status").as_string() == "disabled");
    BOOST_TEST(c.call(bhttp::verb::delete_, id_path(made[1]), {}, s.alice).result_int() == 204);
    BOOST_TEST(json_of(page("?status=disabled")).at("total").as_int64() == 1);
    BOOST_TEST(json_of(page("?status=active")).at("total").as_int64() == 23);
    BOOST_TEST(json_of(page("")).at("total").as_int64() == 24); // deleted hidden
    auto deleted = json_of(page("?status=deleted"));
    BOOST_TEST(deleted.at("total").as_int64() == 1);
    BOOST_TEST(deleted.at("items").as_array().at(0).at("status").as_string() == "deleted");
}

// The list writes its JSON by hand; every kind of alert must read back in a
// list exactly as GET /api/alerts/{id} shows it, names with quotes,
// backslashes, control characters and non-ASCII text included.
BOOST_AUTO_TEST_CASE(a_listed_alert_reads_exactly_as_its_own_answer) {
    alert_server s;
    auto c = s.client();
    // The webhook channel needs a webhook URL (SPEC §10).
    BOOST_REQUIRE(c.call(bhttp::verb::patch, "/api/auth/me",
                         R"({"webhook_url":"https://hooks.example.com/alice"})", s.alice)
                      .result_int() == 200);
    std::vector<json::object> made;
    made.push_back(
        create(c, s.alice,
               {{"symbol", "BTCUSDT"},
                {"target_price", "65000.12345678"},
                {"direction", "above"},
                {"name", "say \"moon\" \\ now\n\ttab \x01 \xc3\xa9t\xc3\xa9 \xe2\x82\xbf"},
                {"repeat", "every"},
                {"cooldown_seconds", 120},
                {"expires_at", "2999-01-02T03:04:05Z"},
                {"channels", json::array{"webhook", "email"}}}));
    made.push_back(create(c, s.alice,
                          {{"symbol", "ethusdt"},
                           {"target_price", 0.5},
                           {"direction", "below"},
                           {"channels", json::array{"webhook"}}}));
    made.push_back(create(c, s.alice,
                          {{"symbol", "SOLUSDT"},
                           {"target_price", "150"},
                           {"direction", "above"},
                           {"name", std::string(200, 'x')}}));
    // One fired (trigger fields set) and one disabled.
    s.tick("SOLUSDT", "151");
    auto const fired = wait_for(c, id_path(made[2]), s.alice, [](json::object const& a) {
        return a.at("status").as_string() == "triggered";
    });
    BOOST_REQUIRE(fired.at("trigger_price").as_string() == "151");
    BOOST_REQUIRE(c.call(bhttp::verb::patch, id_path(made[1]), R"({"status":"disabled"})", s.alice)
                      .result_int() == 200);

    auto res = c.call(bhttp::verb::get, "/api/alerts?limit=50", {}, s.alice);
    BOOST_TEST(res.result_int() == 200);
    BOOST_TEST(res[bhttp::field::content_type] == "application/json");
    auto const list = json_of(res);
    auto const& items = list.at("items").as_array();
    BOOST_REQUIRE(items.size() == made.size());
    BOOST_TEST(list.at("total").as_int64() == 3);
    BOOST_TEST(list.at("limit").as_int64() == 50);
    BOOST_TEST(list.at("offset").as_int64() == 0);
    for (std::size_t i = 0; i < made.size(); ++i) {
        auto const own = c.call(bhttp::verb::get, id_path(made[i]), {}, s.alice);
        BOOST_TEST(items[made.size() - 1 - i].as_object() == json_of(own), "alert " << i);
        // Same text too, member order included.
        BOOST_TEST(json::serialize(items[made.size() - 1 - i]) == own.body(), "alert " << i);
    }
    BOOST_TEST(items[2].at("name").as_string() ==
               "say \"moon\" \\ now\n\ttab \x01 \xc3\xa9t\xc3\xa9 \xe2\x82\xbf");
}

BOOST_AUTO_TEST_CASE(one_user_cannot_see_or_touch_another_users_alerts) {
    alert_server s;
    auto c = s.client();
    auto a =
        create(c, s.alice, {{"symbol", "BTCUSDT"}, {"target_price", "1"}, {"direction", "below"}});
    auto const path = id_path(a);
    auto missing = c.call(bhttp::verb::get, "/api/alerts/999999", {}, s.bob);
    auto theirs = c.call(bhttp::verb::get, path, {}, s.bob);
    BOOST_TEST(is_problem(theirs, 404));
    BOOST_TEST(theirs.body() == missing.body()); // indistinguishable from a missing one
    BOOST_TEST(is_problem(c.call(bhttp::verb::patch, path, R"({"name":"x"})", s.bob), 404));
    BOOST_TEST(is_problem(c.call(bhttp::verb::delete_, path, {}, s.bob), 404));
    BOOST_TEST(is_problem(c.call(bhttp::verb::get, path + "/events", {}, s.bob), 404));
    BOOST_TEST(json_of(c.call(bhttp::verb::get, "/api/alerts", {}, s.bob)).at("total").as_int64() ==
               0);
    BOOST_TEST(json_of(c.call(bhttp::verb::get, "/api/alerts?symbol=BTCUSDT", {}, s.bob))
                   .at("total")
                   .as_int64() == 0);
    // Alice's alert is untouched.
    auto still = json_of(c.call(bhttp::verb::get, path, {}, s.alice));
    BOOST_TEST(still.at("status").as_string() == "active");
    BOOST_TEST(still.at("name").is_null());
}

BOOST_AUTO_TEST_CASE(original_paths_and_price_field) {
    alert_server s;
    auto c = s.client();
    auto res = c.call(bhttp::verb::post, "/api/alerts/create/",
                      R"({"symbol":"BTCUSDT","price":"70000","direction":"above"})", s.alice);
    BOOST_TEST(res.result_int() == 201, res.body());
    auto a = json_of(res);
    BOOST_TEST(a.at("target_price").as_string() == "70000");
    auto const id = std::to_string(a.at("id").as_int64());
    BOOST_TEST(
        c.call(bhttp::verb::delete_, "/api/alerts/delete/" + id + "/", {}, s.alice).result_int() ==
        204);
    BOOST_TEST(json_of(c.call(bhttp::verb::get, "/api/alerts/" + id, {}, s.alice))
                   .at("status")
                   .as_string() == "deleted");
    // `price` is only the original path's name.
    BOOST_TEST(
        is_problem(c.call(bhttp::verb::post, "/api/alerts",
                          R"({"symbol":"BTCUSDT","price":"1","direction":"above"})", s.alice),
                   422));
}

BOOST_AUTO_TEST_CASE(a_tick_fires_it_rearm_fires_again) {
    alert_server s;
    auto c = s.client();
    s.tick("BTCUSDT", "99000");
    auto a = create(c, s.alice, {{"symbol", "BTCUSDT"}, {"target_price", "100000"}});
    BOOST_TEST(a.at("direction").as_string() == "above");
    auto const path = id_path(a);
    s.tick("BTCUSDT", "99999.99999999"); // not reached
    s.tick("BTCUSDT", "100000.5");
    auto fired = wait_for(c, path, s.alice,
                          [](auto const& o) { return o.at("status").as_string() == "triggered"; });
    BOOST_TEST(fired.at("status").as_string() == "triggered");
    BOOST_TEST(fired.at("trigger_price").as_string() == "100000.5");
    BOOST_TEST(fired.at("trigger_count").as_int64() == 1);
    auto events = json_of(c.call(bhttp::verb::get, path + "/events", {}, s.alice));
    auto const& items = events.at("items").as_array();
    BOOST_REQUIRE(items.size() == 2u);
    auto const& trig = items.at(0).as_object(); // newest first
    BOOST_TEST(trig.at("type").as_string() == "triggered");
    BOOST_TEST(trig.at("price").as_string() == "100000.5");
    BOOST_TEST(trig.at("backfilled").as_bool() == false);
    BOOST_TEST(trig.contains("exchange_time"));
    BOOST_TEST(items.at(1).at("type").as_string() == "created");
    // Triggered alerts stay out until re-armed; then the next reaching tick fires it.
    s.tick("BTCUSDT", "100001");
    auto rearmed = c.call(bhttp::verb::patch, path, R"({"status":"active"})", s.alice);
    BOOST_TEST(json_of(rearmed).at("status").as_string() == "active");
    s.tick("BTCUSDT", "100002");
    auto again = wait_for(c, path, s.alice,
                          [](auto const& o) { return o.at("trigger_count").as_int64() == 2; });
    BOOST_TEST(again.at("trigger_count").as_int64() == 2);
    BOOST_TEST(again.at("status").as_string() == "triggered");
    auto types = json_of(c.call(bhttp::verb::get, path + "/events?limit=100", {}, s.alice));
    BOOST_TEST(types.at("total").as_int64() == 4); // created, triggered, armed, triggered
}

// Lists are answered from memory when nothing of the user's changed since
// the same page was read: every change (create, PATCH, DELETE, a fire)
// shows in the very next list, whichever page or filter, and another
// user's changes leave one's pages alone.
BOOST_AUTO_TEST_CASE(the_list_follows_every_change_and_repeats_come_from_memory) {
    alert_server s;
    auto c = s.client();
    auto& pages = s.services->alert_pages();
    auto list = [&](std::string const& token, std::string const& query = {}) {
        auto res = c.call(bhttp::verb::get, "/api/alerts" + query, {}, token);
        BOOST_REQUIRE_EQUAL(res.result_int(), 200);
        return json_of(res);
    };
    auto names = [](json::object const& page) {
        std::vector<std::string> out;
        for (auto const& a : page.at("items").as_array())
            out.emplace_back(a.at("name").is_string() ? a.at("name").as_string().c_str() : "-");
        return out;
    };
    using v = std::vector<std::string>;
    s.tick("BTCUSDT", "99000");
    auto btc =
        create(c, s.alice, {{"symbol", "BTCUSDT"}, {"target_price", "100000"}, {"name", "btc"}});
    create(
        c, s.alice,
        {{"symbol", "ETHUSDT"}, {"target_price", "5000"}, {"direction", "above"}, {"name", "eth"}});
    create(
        c, s.bob,
        {{"symbol", "ETHUSDT"}, {"target_price", "5000"}, {"direction", "above"}, {"name", "b"}});

    BOOST_TEST(names(list(s.alice)) == (v{"eth", "btc"}));
    BOOST_TEST(names(list(s.alice, "?status=active")) == (v{"eth", "btc"}));
    BOOST_TEST(names(list(s.bob)) == (v{"b"}));
    auto const before = pages.stats();
    BOOST_TEST(names(list(s.alice)) == (v{"eth", "btc"})); // from memory
    BOOST_TEST(names(list(s.bob)) == (v{"b"}));
    BOOST_TEST(pages.stats().hits == before.hits + 2);
    BOOST_TEST(pages.stats().misses == before.misses);

    // Alice's create drops her pages only.
    auto sol =
        create(c, s.alice, {{"symbol", "SOLUSDT"}, {"target_price", "1"}, {"direction", "below"}});
    BOOST_TEST(names(list(s.alice)) == (v{"-", "eth", "btc"}));
    auto const after_create = pages.stats();
    BOOST_TEST(names(list(s.bob)) == (v{"b"}));
    BOOST_TEST(pages.stats().hits == after_create.hits + 1);

    auto patched = c.call(bhttp::verb::patch, id_path(sol), R"({"name":"sol"})", s.alice);
    BOOST_REQUIRE_EQUAL(patched.result_int(), 200);
    BOOST_TEST(names(list(s.alice)) == (v{"sol", "eth", "btc"}));
    BOOST_REQUIRE_EQUAL(c.call(bhttp::verb::delete_, id_path(sol), {}, s.alice).result_int(), 204);
    BOOST_TEST(names(list(s.alice)) == (v{"eth", "btc"}));
    BOOST_TEST(list(s.alice).at("total").as_int64() == 2);
    BOOST_TEST(names(list(s.alice, "?status=deleted")) == (v{"sol"}));

    // A fire: once the triggered list shows it, the active list no longer does.
    BOOST_TEST(names(list(s.alice, "?status=active")) == (v{"eth", "btc"}));
    s.tick("BTCUSDT", "100000.5");
    auto triggered = wait_for(c, "/api/alerts?status=triggered", s.alice,
                              [](auto const& o) { return o.at("total").as_int64() == 1; });
    BOOST_TEST(names(triggered) == (v{"btc"}));
    BOOST_TEST(names(list(s.alice, "?status=active")) == (v{"eth"}));
    auto const all = list(s.alice);
    BOOST_TEST(all.at("items").as_array().at(1).at("status").as_string() == "triggered");
    BOOST_TEST(all.at("items").as_array().at(1).at("id").as_int64() == btc.at("id").as_int64());
}

BOOST_AUTO_TEST_CASE(active_alerts_per_user_are_limited) {
    alert_server s(3);
    auto c = s.client();
    std::vector<json::object> made;
    for (int i = 0; i < 3; ++i)
        made.push_back(create(
            c, s.alice, {{"symbol", "BTCUSDT"}, {"target_price", "5"}, {"direction", "below"}}));
    auto res =
        c.post("/api/alerts",
               {{"symbol", "BTCUSDT"}, {"target_price", "5"}, {"direction", "below"}}, s.alice);
    BOOST_TEST(is_problem(res, 422));
    // Bob has his own allowance; a disabled alert frees a place, re-arming needs one.
    BOOST_TEST(c.post("/api/alerts",
                      {{"symbol", "BTCUSDT"}, {"target_price", "5"}, {"direction", "below"}}, s.bob)
                   .result_int() == 201);
    BOOST_TEST(c.call(bhttp::verb::patch, id_path(made[0]), R"({"status":"disabled"})", s.alice)
                   .result_int() == 200);
    BOOST_TEST(c.post("/api/alerts",
                      {{"symbol", "BTCUSDT"}, {"target_price", "5"}, {"direction", "below"}},
                      s.alice)
                   .result_int() == 201);
    BOOST_TEST(is_problem(
        c.call(bhttp::verb::patch, id_path(made[0]), R"({"status":"active"})", s.alice), 422));
}

BOOST_AUTO_TEST_CASE(coins_and_admin_coin_list) {
    alert_server s;
    auto c = s.client();
    s.tick("BTCUSDT", "60600");
    auto coins = json_of(c.call(bhttp::verb::get, "/api/coins"));
    auto const& items = coins.at("items").as_array();
    BOOST_TEST(items.size() == 3u);
    json::object btc;
    for (auto const& i : items)
        if (i.at("symbol").as_string() == "BTCUSDT") btc = i.as_object();
    BOOST_TEST(btc.at("price").as_string() == "60600");
    BOOST_TEST(btc.at("time").is_string());
    // Admin only.
    BOOST_TEST(is_problem(c.post("/api/coins", {{"symbol", "ADAUSDT"}}, s.alice), 403));
    BOOST_TEST(is_problem(c.post("/api/coins", {{"symbol", "ADAUSDT"}}), 401));
    auto added = c.post("/api/coins", {{"symbol", "adausdt"}}, s.admin);
    BOOST_TEST(added.result_int() == 201);
    BOOST_TEST(json_of(added).at("symbol").as_string() == "ADAUSDT");
    BOOST_TEST(is_problem(c.post("/api/coins", {{"symbol", "A D A"}}, s.admin), 422));
    BOOST_TEST(json_of(c.call(bhttp::verb::get, "/api/coins")).at("items").as_array().size() == 4u);
    // Alerts may now use it; while one is active the coin cannot go.
    create(c, s.alice, {{"symbol", "ADAUSDT"}, {"target_price", "1"}, {"direction", "above"}});
    BOOST_TEST(is_problem(c.call(bhttp::verb::delete_, "/api/coins/ADAUSDT", {}, s.admin), 409));
    BOOST_TEST(c.call(bhttp::verb::delete_, "/api/coins/SOLUSDT", {}, s.admin).result_int() == 204);
    BOOST_TEST(is_problem(c.call(bhttp::verb::delete_, "/api/coins/SOLUSDT", {}, s.admin), 404));
    BOOST_TEST(is_problem(
        c.post("/api/alerts",
               {{"symbol", "SOLUSDT"}, {"target_price", "1"}, {"direction", "above"}}, s.alice),
        422));
}

BOOST_AUTO_TEST_CASE(price_history_pages_and_filters) {
    alert_server s;
    auto c = s.client();
    auto get = [&](std::string q) { return c.call(bhttp::verb::get, "/api/prices" + q); };
    auto all = json_of(get("?symbol=BTCUSDT"));
    BOOST_TEST(all.at("total").as_int64() == 3);
    auto const& items = all.at("items").as_array();
    BOOST_TEST(items.at(0).at("time").as_string() == "2024-08-09T00:01:00Z"); // newest first
    BOOST_TEST(items.at(0).at("price").as_string() == "60010.5");
    BOOST_TEST(items.at(0).at("symbol").as_string() == "BTCUSDT");
    for (auto f : {"open", "high", "low"})
        BOOST_TEST(items.at(0).as_object().contains(f));
    // symbol defaults to BTCUSDT; the trailing slash works.
    BOOST_TEST(json_of(get("/")).at("total").as_int64() == 3);
    BOOST_TEST(json_of(get("?date=2024-08-09")).at("total").as_int64() == 2);
    BOOST_TEST(json_of(get("?date=08-08-2024")).at("total").as_int64() == 1);
    BOOST_TEST(json_of(get("?from=2024-08-09T00:01:00Z")).at("total").as_int64() == 1);
    BOOST_TEST(json_of(get("?to=2024-08-09T00:00:00Z")).at("total").as_int64() == 1);
    BOOST_TEST(
        json_of(get("?limit=1&offset=1")).at("items").as_array().at(0).at("time").as_string() ==
        "2024-08-09T00:00:00Z");
    BOOST_TEST(json_of(get("?symbol=ETHUSDT")).at("total").as_int64() == 0);
    BOOST_TEST(problem_fields(get("?date=2024-13-01")) == std::vector<std::string>{"date"});
    BOOST_TEST(problem_fields(get("?from=yesterday")) == std::vector<std::string>{"from"});
    BOOST_TEST(problem_fields(get("?limit=1001")) == std::vector<std::string>{"limit"});
}

// Candles of an interval fold the same stored minutes: an hour's open is
// its first minute's, its price the last minute's close; a bad interval
// names the field and the accepted ones.
BOOST_AUTO_TEST_CASE(price_history_as_candles_of_an_interval) {
    alert_server s;
    auto c = s.client();
    auto get = [&](std::string q) { return c.call(bhttp::verb::get, "/api/prices" + q); };
    auto hours = json_of(get("?interval=1h"));
    BOOST_TEST(hours.at("total").as_int64() == 2);
    auto const& newest = hours.at("items").as_array().at(0);
    BOOST_TEST(newest.at("time").as_string() == "2024-08-09T00:00:00Z");
    BOOST_TEST(newest.at("open").as_string() == "60000");
    BOOST_TEST(newest.at("price").as_string() == "60010.5");
    BOOST_TEST(newest.at("high").as_string() == "60010.5");
    BOOST_TEST(newest.at("low").as_string() == "60000");
    BOOST_TEST(json_of(get("?interval=1d")).at("total").as_int64() == 2);
    BOOST_TEST(json_of(get("?interval=1d&date=2024-08-09")).at("total").as_int64() == 1);
    BOOST_TEST(json_of(get("?interval=15m&from=2024-08-08T23:50:00Z")).at("total").as_int64() == 1);
    auto past_the_end = json_of(get("?interval=5m&offset=5"));
    BOOST_TEST(past_the_end.at("total").as_int64() == 2);
    BOOST_TEST(past_the_end.at("items").as_array().empty());
    auto bad = get("?interval=2h");
    BOOST_TEST(is_problem(bad, 422));
    BOOST_TEST(problem_fields(bad) == std::vector<std::string>{"interval"});
    BOOST_TEST(bad.body().find("1m, 5m, 15m, 1h, 4h, 1d") != std::string::npos, bad.body());
    BOOST_TEST(problem_fields(get("?interval=1h&offset=-1")) == std::vector<std::string>{"offset"});
}

// Two readers of one body could each take a different copy of a repeated
// key (once the price parser took the first, the rest the last): a body
// naming a key twice is refused, the key named, nothing created or changed.
BOOST_AUTO_TEST_CASE(a_repeated_key_is_refused_naming_it) {
    alert_server s;
    auto c = s.client();
    auto refused = [&](bhttp::verb method, std::string const& path, std::string const& body,
                       std::string const& token, std::string const& field) {
        auto res = c.call(method, path, body, token);
        BOOST_TEST(is_problem(res, 422), body << " -> " << res.body());
        BOOST_TEST(problem_fields(res) == std::vector<std::string>{field},
                   body << " -> " << res.body());
    };
    refused(bhttp::verb::post, "/api/alerts",
            R"({"symbol":"BTCUSDT","target_price":"70000","direction":"above","target_price":1})",
            s.alice, "target_price");
    refused(bhttp::verb::post, "/api/alerts",
            R"({"symbol":"BTCUSDT","target_price":1,"target_price":1,"direction":"above"})",
            s.alice, "target_price");
    refused(bhttp::verb::post, "/api/alerts/create/",
            R"({"symbol":"BTCUSDT","price":"70000","direction":"above","price":"1"})", s.alice,
            "price");
    refused(bhttp::verb::post, "/api/alerts",
            R"({"symbol":"BTCUSDT","target_price":"1","direction":"above","x":{"a":1,"a":2}})",
            s.alice, "x.a");
    BOOST_TEST(
        json_of(c.call(bhttp::verb::get, "/api/alerts", {}, s.alice)).at("total").as_int64() == 0);

    auto made = create(c, s.alice,
                       {{"symbol", "BTCUSDT"}, {"target_price", "70000"}, {"direction", "above"}});
    refused(bhttp::verb::patch, id_path(made), R"({"status":"disabled","status":"active"})",
            s.alice, "status");
    BOOST_TEST(json_of(c.call(bhttp::verb::get, id_path(made), {}, s.alice)) == made);
    // Every JSON body goes through the same parser.
    refused(bhttp::verb::post, "/api/auth/login",
            R"({"email":"alice@example.com","password":"x","password":"correct horse battery"})",
            "", "password");
}

// SPEC §2 counts a name's length in characters: 200 emoji are a valid name,
// 201 are not, and a name that is not UTF-8 text is refused.
BOOST_AUTO_TEST_CASE(a_name_is_counted_in_characters) {
    alert_server s;
    auto c = s.client();
    auto with_name = [](std::string const& json_name) {
        return R"({"symbol":"BTCUSDT","target_price":"70000","direction":"above","name":)" +
               json_name + "}";
    };
    std::string rockets;
    for (int i = 0; i < 200; ++i)
        rockets += "\xF0\x9F\x9A\x80";
    auto res = c.call(bhttp::verb::post, "/api/alerts", with_name('"' + rockets + '"'), s.alice);
    BOOST_TEST_REQUIRE(res.result_int() == 201, res.body());
    auto const made = json_of(res);
    BOOST_TEST(made.at("name").as_string() == rockets);
    BOOST_TEST(json_of(c.call(bhttp::verb::get, id_path(made), {}, s.alice)) == made);
    std::string accents;
    for (int i = 0; i < 200; ++i)
        accents += "\xC3\xA9";
    BOOST_TEST(c.call(bhttp::verb::post, "/api/alerts", with_name('"' + accents + '"'), s.alice)
                   .result_int() == 201);

    auto refused = [&](bhttp::verb method, std::string const& path, std::string const& body) {
        auto r = c.call(method, path, body, s.alice);
        BOOST_TEST(is_problem(r, 422), r.body());
        BOOST_TEST(problem_fields(r) == std::vector<std::string>{"name"}, r.body());
    };
    refused(bhttp::verb::post, "/api/alerts", with_name("\"\xF0\x9F\x9A\x80" + rockets + '"'));
    refused(bhttp::verb::post, "/api/alerts", with_name("\"bad \xC3( text\""));
    refused(bhttp::verb::post, "/api/alerts", with_name("\"\xED\xA0\x80\"")); // a surrogate
    // An escaped lone surrogate cannot be decoded at all: malformed JSON.
    BOOST_TEST(is_problem(
        c.call(bhttp::verb::post, "/api/alerts", with_name(R"("lone \ud800 half")"), s.alice),
        400));
    refused(bhttp::verb::patch, id_path(made), R"({"name":")" + rockets + "!\"}");
    BOOST_TEST(json_of(c.call(bhttp::verb::get, id_path(made), {}, s.alice)) == made);
}

// A misspelt filter must not answer an unfiltered list.
BOOST_AUTO_TEST_CASE(unknown_query_parameters_are_422_naming_them) {
    alert_server s;
    auto c = s.client();
    auto made = create(c, s.alice,
                       {{"symbol", "BTCUSDT"}, {"target_price", "70000"}, {"direction", "above"}});
    auto names = [&](std::string const& target, std::string const& token) {
        auto res = c.call(bhttp::verb::get, target, {}, token);
        BOOST_TEST(is_problem(res, 422), target << " -> " << res.body());
        return problem_fields(res);
    };
    using fields = std::vector<std::string>;
    BOOST_TEST(names("/api/alerts?stauts=active", s.alice) == fields{"stauts"});
    BOOST_TEST(names("/api/alerts?limit=5&sort=asc&page=2", s.alice) == (fields{"sort", "page"}));
    BOOST_TEST(names("/api/alerts?limit=0&x=1", s.alice) == (fields{"x", "limit"}));
    BOOST_TEST(names("/api/alerts?%FF%FE=1", s.alice) == fields{"%FF%FE"});
    BOOST_TEST(names(id_path(made) + "/events?type=armed", s.alice) == fields{"type"});
    BOOST_TEST(names("/api/prices?sym=ETHUSDT", "") == fields{"sym"});
    // What the lists take still works, a trailing '&' included.
    for (auto target :
         {"/api/alerts?limit=5&", "/api/alerts?status=active&symbol=BTCUSDT&offset=0"})
        BOOST_TEST(c.call(bhttp::verb::get, target, {}, s.alice).result_int() == 200, target);
    BOOST_TEST(c.call(bhttp::verb::get, id_path(made) + "/events?limit=1&offset=0", {}, s.alice)
                   .result_int() == 200);
    BOOST_TEST(c.call(bhttp::verb::get, "/api/prices?symbol=BTCUSDT&date=2024-08-09&from="
                                        "2024-08-09T00:00:00Z&to=2024-08-10T00:00:00Z&limit=2")
                   .result_int() == 200);
}

BOOST_AUTO_TEST_SUITE_END()
