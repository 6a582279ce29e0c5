// GET /api/alerts/export and POST /api/alerts/import through real HTTP on
// 127.0.0.1: 10,000 alerts in one request, all or nothing with the bad
// item or row named, CSV as spreadsheets write it, the per-user limit on
// the result, imported alerts armed at once, and export → import giving
// back every writable field, for one's own alerts only.
#include "alert_server.hpp"
#include "daemon/api/alert_transfer.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod;
using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

bhttp::request<bhttp::string_body> request(bhttp::verb method, std::string target,
                                           std::string const& token) {
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::authorization, token);
    return req;
}

http_response import_json(http_client& c, std::string const& token, std::string body) {
    auto req = request(bhttp::verb::post, "/api/alerts/import", token);
    req.set(bhttp::field::content_type, "application/json");
    req.body() = std::move(body);
    return c.send(std::move(req));
}

http_response import_csv(http_client& c, std::string const& token, std::string body) {
    auto req = request(bhttp::verb::post, "/api/alerts/import", token);
    req.set(bhttp::field::content_type, "text/csv; charset=utf-8");
    req.body() = std::move(body);
    return c.send(std::move(req));
}

http_response export_as(http_client& c, std::string const& token, std::string const& accept) {
    auto req = request(bhttp::verb::get, "/api/alerts/export", token);
    if (!accept.empty()) req.set(bhttp::field::accept, accept);
    return c.send(std::move(req));
}

// How many alerts the user has that are not deleted.
std::int64_t total_of(http_client& c, std::string const& token) {
    return json_of(c.call(bhttp::verb::get, "/api/alerts?limit=1", {}, token))
        .at("total")
        .as_int64();
}

// {"items": [n alerts]}, the i-th with target 100000 + i; `bad`, when in
// range, has a target that is not a price.
std::string many_items(std::size_t n, std::size_t bad = SIZE_MAX) {
    json::array items;
    char const* coins[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
    for (std::size_t i = 0; i < n; ++i)
        items.push_back(json::object{
            {"symbol", coins[i % 3]},
            {"target_price", i == bad ? std::string("12.3.4") : std::to_string(100000 + i)},
            {"direction", "above"},
            {"name", "alert " + std::to_string(i)}});
    return json::serialize(json::object{{"items", std::move(items)}});
}

// Gives the user a webhook, so that alerts may name that channel.
void with_webhook(http_client& c, std::string const& token) {
    auto res = c.call(bhttp::verb::patch, "/api/auth/me",
                      R"({"webhook_url":"https://hooks.example.com/kryptod"})", token);
    BOOST_TEST_REQUIRE(res.result_int() == 200u, res.body());
}

std::vector<std::string> lines_of(std::string const& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find("\r\n", start);
        out.push_back(text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 2;
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(alert_transfer)

BOOST_AUTO_TEST_CASE(ten_thousand_alerts_in_one_request) {
    alert_server s(20'000);
    auto c = s.client();
    auto res = import_json(c, s.alice, many_items(10'000));
    BOOST_TEST_REQUIRE(res.result_int() == 201u, res.body().substr(0, 500));
    auto body = json_of(res);
    BOOST_TEST(body.at("created").as_int64() == 10'000);
    auto const& ids = body.at("ids").as_array();
    BOOST_TEST_REQUIRE(ids.size() == 10'000u);
    // The ids come in the order of the items.
    auto first = json_of(
        c.call(bhttp::verb::get, "/api/alerts/" + std::to_string(ids[0].as_int64()), {}, s.alice));
    BOOST_TEST(text_of(first.at("name")) == "alert 0");
    auto last = json_of(c.call(
        bhttp::verb::get, "/api/alerts/" + std::to_string(ids[9'999].as_int64()), {}, s.alice));
    BOOST_TEST(text_of(last.at("target_price")) == "109999");
    BOOST_TEST(text_of(last.at("status")) == "active");
    BOOST_TEST(total_of(c, s.alice) == 10'000);
    // One more is refused: an import takes at most 10,000.
    auto over = import_json(c, s.bob, many_items(10'001));
    BOOST_TEST(is_problem(over, 422));
    BOOST_TEST(problem_fields(over) == std::vector<std::string>{"items"});
    BOOST_TEST(total_of(c, s.bob) == 0);
}

BOOST_AUTO_TEST_CASE(imported_alerts_are_armed_before_the_answer) {
    alert_server s;
    auto c = s.client();
    auto res = import_json(
        c, s.alice, R"({"items":[{"symbol":"btcusdt","target_price":70000,"direction":"above"}]})");
    BOOST_TEST_REQUIRE(res.result_int() == 201u, res.body());
    auto const id = json_of(res).at("ids").as_array().at(0).as_int64();
    s.tick("BTCUSDT", "70000.5");
    auto fired =
        json_of(c.call(bhttp::verb::get, "/api/alerts/" + std::to_string(id), {}, s.alice));
    for (int i = 0; i < 200 && text_of(fired.at("status")) != "triggered"; ++i) {
        std::this_thread::sleep_for(20ms);
        fired = json_of(c.call(bhttp::verb::get, "/api/alerts/" + std::to_string(id), {}, s.alice));
    }
    BOOST_TEST(text_of(fired.at("status")) == "triggered");
    BOOST_TEST(text_of(fired.at("symbol")) == "BTCUSDT");
}

BOOST_AUTO_TEST_CASE(one_bad_item_refuses_all_naming_it) {
    alert_server s(20'000);
    auto c = s.client();
    auto res = import_json(c, s.alice, many_items(10'000, 5'000));
    BOOST_TEST(is_problem(res, 422), res.body());
    BOOST_TEST(problem_fields(res) == std::vector<std::string>{"items[5000].target_price"});
    BOOST_TEST(total_of(c, s.alice) == 0);

    // What create refuses, import refuses, each problem named.
    res = import_json(c, s.alice, R"({"items":[
        {"symbol":"BTCUSDT","target_price":"1","direction":"above"},
        {"symbol":"BTCUSDT","target_price":"1","direction":"sideways","id":7},
        {"symbol":"DOGEUSDT","target_price":"1","direction":"above"},
        {"symbol":"BTCUSDT","target_price":"1","direction":"above","cooldown_seconds":5},
        {"symbol":"BTCUSDT","target_price":"1","direction":"above","target_price":"2"},
        "BTCUSDT"]})");
    BOOST_TEST(is_problem(res, 422), res.body());
    // A repeated key refuses the body as a whole, named by its path.
    BOOST_TEST(problem_fields(res) == std::vector<std::string>{"items[4].target_price"});
    res = import_json(c, s.alice, R"({"items":[
        {"symbol":"BTCUSDT","target_price":"1","direction":"above"},
        {"symbol":"BTCUSDT","target_price":"1","direction":"sideways"},
        {"symbol":"BTCUSDT","target_price":"1","direction":"above","id":7},
        {"symbol":"DOGEUSDT","target_price":"1","direction":"above"},
        {"symbol":"BTCUSDT","target_price":1.000000001,"direction":"above"},
        {"symbol":"BTCUSDT","target_price":"1","direction":"above","cooldown_seconds":5},
        {"symbol":"ETHUSDT","target_price":"1"},
        "BTCUSDT"]})");
    BOOST_TEST(is_problem(res, 422), res.body());
    BOOST_TEST(problem_fields(res) ==
                   (std::vector<std::string>{"items[1].direction", "items[2].id",
                                             "items[4].target_price", "items[7]", "items[3].symbol",
                                             "items[5].cooldown_seconds", "items[6].direction"}),
               res.body());
    BOOST_TEST(total_of(c, s.alice) == 0);
    // The body itself: JSON, an object, with items only.
    BOOST_TEST(is_problem(import_json(c, s.alice, "{\"items\":["), 400));
    BOOST_TEST(problem_fields(import_json(c, s.alice, R"({"alerts":[]})")) ==
               (std::vector<std::string>{"alerts", "items"}));
    BOOST_TEST(problem_fields(import_json(c, s.alice, R"({"items":{}})")) ==
               std::vector<std::string>{"items"});
}

BOOST_AUTO_TEST_CASE(csv_as_spreadsheets_write_it) {
    alert_server s;
    auto c = s.client();
    with_webhook(c, s.alice);
    // A byte order mark, CRLF, quoted commas, quotes and line breaks, a
    // blank row, columns in any order, empty cells taking the defaults.
    std::string const csv = "\xEF\xBB\xBF"
                            "name,symbol,target_price,direction,channels,repeat\r\n"
                            "\"Smith, \"\"J\"\"\",BTCUSDT,70000.5,above,\"email,webhook\",every\r\n"
                            "\"two\r\nlines\",ETHUSDT,2500,below,,\r\n"
                            "\r\n"
                            ",SOLUSDT,150,above,email,once\r\n";
    auto res = import_csv(c, s.alice, csv);
    BOOST_TEST_REQUIRE(res.result_int() == 201u, res.body());
    auto ids = json_of(res).at("ids").as_array();
    BOOST_TEST_REQUIRE(ids.size() == 3u);
    auto get = [&](std::size_t i) {
        return json_of(c.call(bhttp::verb::get, "/api/alerts/" + std::to_string(ids[i].as_int64()),
                              {}, s.alice));
    };
    auto a = get(0);
    BOOST_TEST(text_of(a.at("name")) == "Smith, \"J\"");
    BOOST_TEST(text_of(a.at("target_price")) == "70000.5");
    BOOST_TEST(text_of(a.at("repeat")) == "every");
    BOOST_TEST(json::serialize(a.at("channels")) == R"(["email","webhook"])");
    auto b = get(1);
    BOOST_TEST(text_of(b.at("name")) == "two\r\nlines");
    BOOST_TEST(text_of(b.at("direction")) == "below");
    BOOST_TEST(text_of(b.at("repeat")) == "once");
    BOOST_TEST(json::serialize(b.at("channels")) == R"(["email"])");
    BOOST_TEST(get(2).at("name").is_null());
}

BOOST_AUTO_TEST_CASE(a_bad_csv_row_is_named_by_its_spreadsheet_number) {
    alert_server s;
    auto c = s.client();
    // The header is row 1; the quoted line break keeps row 3 one row.
    auto res = import_csv(c, s.alice,
                          "symbol,target_price,direction,name\n"
                          "BTCUSDT,70000,above,a\n"
                          "BTCUSDT,70000,above,\"b\nb\"\n"
                          "BTCUSDT,-5,above,c\n"
                          "BTCUSDT,70000,up,d\n"
                          "BTCUSDT,70000,above\n"
                          "BTCUSDT,70000,above,\xff\n");
    BOOST_TEST(is_problem(res, 422), res.body());
    BOOST_TEST(problem_fields(res) ==
                   (std::vector<std::string>{"row 4: target_price", "row 5: direction", "row 6",
                                             "row 7: name"}),
               res.body());
    // Malformed CSV: the row where the unclosed quote opened.
    res = import_csv(c, s.alice, "symbol,target_price\nBTCUSDT,1\n\"ETHUSDT,2\nSOLUSDT,3\n");
    BOOST_TEST(is_problem(res, 422), res.body());
    BOOST_TEST(problem_fields(res) == std::vector<std::string>{"row 3"});
    BOOST_TEST(res.body().find("a quoted field is not closed") != std::string::npos, res.body());
    // The header must name columns of an alert, each once.
    res = import_csv(c, s.alice, "symbol,target_price,price,symbol\nBTCUSDT,1,1,BTCUSDT\n");
    BOOST_TEST(problem_fields(res) == (std::vector<std::string>{"row 1: price", "row 1: symbol"}));
    BOOST_TEST(total_of(c, s.alice) == 0);
}

BOOST_AUTO_TEST_CASE(the_per_user_limit_applies_to_the_result) {
    alert_server s(5);
    auto c = s.client();
    auto three = R"({"items":[
        {"symbol":"BTCUSDT","target_price":"70000","direction":"above"},
        {"symbol":"ETHUSDT","target_price":"3000","direction":"above"},
        {"symbol":"SOLUSDT","target_price":"200","direction":"above"}]})";
    BOOST_TEST(import_json(c, s.alice, three).result_int() == 201u);
    auto res = import_json(c, s.alice, three);
    BOOST_TEST(is_problem(res, 422), res.body());
    BOOST_TEST(problem_fields(res) == std::vector<std::string>{"items"});
    BOOST_TEST(total_of(c, s.alice) == 3);
    BOOST_TEST(import_csv(c, s.alice,
                          "symbol,target_price,direction\r\nBTCUSDT,1,below\r\nBTCUSDT,2,below\r\n")
                   .result_int() == 201u);
    BOOST_TEST(total_of(c, s.alice) == 5);
}

BOOST_AUTO_TEST_CASE(export_then_import_gives_back_every_writable_field) {
    alert_server s;
    auto c = s.client();
    for (auto const* token : {&s.alice, &s.bob, &s.admin})
        with_webhook(c, *token);
    auto const in = R"({"items":[
        {"symbol":"BTCUSDT","target_price":"70000.12345678","direction":"above"},
        {"symbol":"ETHUSDT","target_price":"2500","direction":"below","name":"dip, \"big\"\nbuy",
         "repeat":"every","cooldown_seconds":120,"expires_at":"2099-01-02T03:04:05Z",
         "channels":["email","webhook"]},
        {"symbol":"SOLUSDT","target_price":"0.00000001","direction":"below","channels":["webhook"]},
        {"symbol":"BTCUSDT","kind":"move","percent":"5.25","window_seconds":900,"direction":"up",
         "name":"pump"}
    ]})";
    auto res = import_json(c, s.alice, in);
    BOOST_TEST_REQUIRE(res.result_int() == 201u, res.body());
    // A deleted alert is not exported; a disabled one is.
    auto const ids = json_of(res).at("ids").as_array();
    auto extra =
        c.post("/api/alerts",
               json::object{{"symbol", "BTCUSDT"}, {"target_price", "1"}, {"direction", "below"}},
               s.alice);
    c.call(bhttp::verb::delete_,
           "/api/alerts/" + std::to_string(json_of(extra).at("id").as_int64()), {}, s.alice);
    c.call(bhttp::verb::patch, "/api/alerts/" + std::to_string(ids[2].as_int64()),
           R"({"status":"disabled"})", s.alice);

    auto json_export = export_as(c, s.alice, "");
    BOOST_TEST_REQUIRE(json_export.result_int() == 200u);
    BOOST_TEST(json_export[bhttp::field::content_type] == "application/json");
    auto items = json_of(json_export).at("items").as_array();
    BOOST_TEST_REQUIRE(items.size() == 4u);
    // Writable fields only, oldest first, unset ones left out.
    BOOST_TEST(
        json::serialize(items[0]) ==
        R"({"symbol":"BTCUSDT","kind":"price","target_price":"70000.12345678",)"
        R"("direction":"above","repeat":"once","cooldown_seconds":3600,"channels":["email"]})");
    // A move alert: its percent, window and up or down, no target.
    BOOST_TEST(json::serialize(items[3]) ==
               R"({"symbol":"BTCUSDT","kind":"move","direction":"up","percent":"5.25",)"
               R"("window_seconds":900,"name":"pump","repeat":"once","cooldown_seconds":3600,)"
               R"("channels":["email"]})");
    BOOST_TEST(json::serialize(items[1].at("expires_at")) == R"("2099-01-02T03:04:05Z")");

    auto csv_export = export_as(c, s.alice, "text/csv");
    BOOST_TEST_REQUIRE(csv_export.result_int() == 200u);
    BOOST_TEST(csv_export[bhttp::field::content_type] == "text/csv; charset=utf-8");
    auto const rows = lines_of(csv_export.body());
    BOOST_TEST_REQUIRE(rows.size() >= 5u);
    BOOST_TEST(rows[0] == "symbol,kind,target_price,direction,percent,window_seconds,name,repeat,"
                          "cooldown_seconds,expires_at,channels");
    BOOST_TEST(rows[1] == "BTCUSDT,price,70000.12345678,above,,,,once,3600,,email");
    BOOST_TEST(rows.back() == "BTCUSDT,move,,up,5.25,900,pump,once,3600,,email");

    // Bob imports alice's JSON export, the admin her CSV export: each then
    // exports exactly what she did.
    BOOST_TEST_REQUIRE(import_json(c, s.bob, json_export.body()).result_int() == 201u);
    BOOST_TEST(export_as(c, s.bob, "application/json").body() == json_export.body());
    BOOST_TEST_REQUIRE(import_csv(c, s.admin, csv_export.body()).result_int() == 201u);
    BOOST_TEST(export_as(c, s.admin, "text/csv").body() == csv_export.body());
    BOOST_TEST(export_as(c, s.admin, "").body() == json_export.body());
}

BOOST_AUTO_TEST_CASE(another_users_alerts_are_never_exported) {
    alert_server s;
    auto c = s.client();
    BOOST_TEST_REQUIRE(
        import_json(
            c, s.alice,
            R"({"items":[{"symbol":"BTCUSDT","target_price":"70000","direction":"above"}]})")
            .result_int() == 201u);
    BOOST_TEST(export_as(c, s.bob, "").body() == R"({"items":[]})");
    BOOST_TEST(
        export_as(c, s.bob, "text/csv").body() ==
        "symbol,kind,target_price,direction,percent,window_seconds,name,repeat,cooldown_seconds,"
        "expires_at,channels\r\n");
    // An empty export imports as nothing, and needs a login like every route.
    auto none = import_json(c, s.bob, R"({"items":[]})");
    BOOST_TEST(none.body() == R"({"created":0,"ids":[]})");
    BOOST_TEST(c.call(bhttp::verb::get, "/api/alerts/export").result_int() == 401u);
    BOOST_TEST(c.call(bhttp::verb::post, "/api/alerts/import", "{}").result_int() == 401u);
}

BOOST_AUTO_TEST_SUITE_END()
