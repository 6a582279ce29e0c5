// The one serialiser of an alert: its text is JSON holding every member of
// the documented `Alert` schema in order, strings escaped where they must
// be, and it validates against daemon/api/openapi.json (alone and as the
// items of a list page), checked by the same validator as live answers.
#include "daemon/api/alert_json.hpp"
#include "daemon/api/openapi.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace kryptod;
namespace json = boost::json;
using kryptod::test::run;

namespace {

core::price price_of(char const* text) {
    return core::price::parse(text).value;
}

// Alerts with every optional member both absent and present, and names
// that need escaping or are not ASCII.
std::vector<storage::alert_store::stored_alert> samples() {
    core::alert plain;
    plain.id = 1;
    plain.owner = 7;
    plain.target = price_of("65000.5");
    plain.created_at = plain.updated_at = 1'723'161'600'000;

    core::alert full = plain;
    full.id = 9'007'199'254'740'993; // beyond a double's exact integers
    full.side = core::direction::below;
    full.name = "say \"sell\"\\\n\t\x01 \xF0\x9F\x9A\x80 \xC3\xA9t\xC3\xA9";
    full.repeat = core::repeat_mode::every;
    full.cooldown_seconds = 2'592'000;
    full.expires_at = 1'900'000'000'123;
    full.channels = core::channel::email | core::channel::webhook;
    full.status = core::alert_status::triggered;
    full.updated_at = 1'723'161'660'500;
    full.triggered_at = 1'723'161'660'500;
    full.trigger_price = price_of("0.00000001");
    full.trigger_count = 3;

    core::alert webhook_only = plain;
    webhook_only.id = 2;
    webhook_only.channels = core::channel::webhook;
    webhook_only.status = core::alert_status::deleted;

    core::alert move = plain;
    move.id = 3;
    move.kind = core::alert_kind::move;
    move.target = core::price{};
    move.move_percent = 825;
    move.window_seconds = 900;
    move.move_side = core::move_direction::down;
    move.trigger_price = price_of("142.1");
    move.triggered_at = 1'723'161'660'500;
    move.trigger_count = 1;
    return {{plain, "BTCUSDT", 0},
            {full, "ETHUSDT", 0},
            {webhook_only, "SOLUSDT", 0},
            {move, "SOLUSDT", 0}};
}

void write_file(std::filesystem::path const& path, std::string const& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    BOOST_REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

} // namespace

BOOST_AUTO_TEST_SUITE(alert_json)

BOOST_AUTO_TEST_CASE(members_in_order_with_exact_values) {
    auto const all = samples();
    auto const& full = all[1];
    auto const text = daemon::api::alert_text(full.alert, full.symbol);
    auto const v = json::parse(text).as_object();
    std::vector<std::string> keys;
    for (auto const& m : v)
        keys.emplace_back(m.key());
    std::vector<std::string> const expected = {
        "id",         "symbol",       "kind",          "target_price",
        "direction",  "name",         "repeat",        "cooldown_seconds",
        "expires_at", "channels",     "status",        "created_at",
        "updated_at", "triggered_at", "trigger_price", "trigger_count"};
    BOOST_TEST(keys == expected, boost::test_tools::per_element());
    BOOST_TEST(v.at("id").as_int64() == 9'007'199'254'740'993);
    BOOST_TEST(v.at("kind").as_string() == "price");
    BOOST_TEST(v.at("name").as_string() == full.alert.name);
    BOOST_TEST(v.at("target_price").as_string() == "65000.5");
    BOOST_TEST(v.at("trigger_price").as_string() == "0.00000001");
    BOOST_TEST(v.at("expires_at").as_string() == "2030-03-17T17:46:40.123Z");
    BOOST_TEST(json::serialize(v.at("channels")) == R"(["email","webhook"])");

    auto const plain = json::parse(daemon::api::alert_text(all[0].alert, all[0].symbol));
    for (auto const* null_member : {"name", "expires_at", "triggered_at", "trigger_price"})
        BOOST_TEST(plain.at(null_member).is_null(), null_member);
}

BOOST_AUTO_TEST_CASE(a_move_alert_shows_its_own_members) {
    auto const all = samples();
    auto const& move = all[3];
    auto const v = json::parse(daemon::api::alert_text(move.alert, move.symbol)).as_object();
    std::vector<std::string> keys;
    for (auto const& m : v)
        keys.emplace_back(m.key());
    std::vector<std::string> const expected = {"id",
                                               "symbol",
                                               "kind",
                                               "percent",
                                               "window_seconds",
                                               "direction",
                                               "name",
                                               "repeat",
                                               "cooldown_seconds",
                                               "expires_at",
                                               "channels",
                                               "status",
                                               "created_at",
                                               "updated_at",
                                               "triggered_at",
                                               "trigger_price",
                                               "trigger_count"};
    BOOST_TEST(keys == expected, boost::test_tools::per_element());
    BOOST_TEST(v.at("kind").as_string() == "move");
    BOOST_TEST(v.at("percent").as_string() == "8.25");
    BOOST_TEST(v.at("window_seconds").as_int64() == 900);
    BOOST_TEST(v.at("direction").as_string() == "down");
    BOOST_TEST(v.at("trigger_price").as_string() == "142.1");
}

BOOST_AUTO_TEST_CASE(a_move_fire_event_names_its_reference) {
    storage::alert_store::event_record e;
    e.id = 5;
    e.alert = 3;
    e.type = storage::alert_store::event_type::triggered;
    e.time = 1'723'161'660'500;
    e.price = price_of("153.75");
    e.exchange_time = 1'723'161'660'400;
    e.detected_at = 1'723'161'660'500;
    e.backfilled = true;
    e.reference_price = price_of("142.1");
    e.reference_time = 1'723'161'000'000;
    auto const o = daemon::api::event_json(e);
    BOOST_TEST(o.at("reference_price").as_string() == "142.1");
    BOOST_TEST(o.at("reference_time").as_string() == "2024-08-08T23:50:00Z");
    BOOST_TEST(o.at("backfilled").as_bool());
}

BOOST_AUTO_TEST_CASE(a_page_holds_each_alert_as_its_own_text) {
    storage::page<storage::alert_store::stored_alert> page{samples(), 42};
    auto const text = daemon::api::alert_page_text(page, {3, 6});
    std::string expected = R"({"items":[)";
    for (auto const& s : page.items) {
        if (&s != &page.items.front()) expected += ',';
        expected += daemon::api::alert_text(s.alert, s.symbol);
    }
    expected += R"(],"total":42,"limit":3,"offset":6})";
    BOOST_TEST(text == expected);
}

BOOST_AUTO_TEST_CASE(validates_against_the_openapi_alert_schema) {
    kryptod::test_support::temp_dir dir;
    auto const document = dir.path / "openapi.json";
    auto const exchanges = dir.path / "exchanges.json";
    write_file(document, json::serialize(daemon::api::openapi_document()));
    auto answer = [](char const* method, char const* path, int status, std::string body) {
        return json::object{{"method", method},
                            {"path", path},
                            {"status", status},
                            {"content_type", "application/json"},
                            {"body", std::move(body)}};
    };
    json::array list;
    auto const all = samples();
    for (auto const& s : all) {
        auto const text = daemon::api::alert_text(s.alert, s.symbol);
        list.push_back(answer("GET", "/api/alerts/{id}", 200, text));
        list.push_back(answer("POST", "/api/alerts", 201, text));
        list.push_back(answer("PATCH", "/api/alerts/{id}", 200, text));
    }
    storage::page<storage::alert_store::stored_alert> page{all, 4};
    list.push_back(answer("GET", "/api/alerts", 200, daemon::api::alert_page_text(page, {10, 0})));
    // The check is not vacuous: an alert missing a required member fails.
    auto broken = json::parse(daemon::api::alert_text(all[0].alert, all[0].symbol)).as_object();
    broken.erase("status");
    write_file(exchanges, json::serialize(json::array{
                              answer("GET", "/api/alerts/{id}", 200, json::serialize(broken))}));
    auto const validator = kryptod::test::source_dir() / "tests" / "api" / "openapi_validate.py";
    // Test paths hold no quote.
    std::string command = "/usr/bin/python3";
    for (auto const* arg : {&validator, &document, &exchanges}) {
        command += " '";
        command += arg->string();
        command += '\'';
    }
    auto const [refused, why] = run(command);
    BOOST_TEST(refused == 1, why);
    BOOST_TEST(why.find("'status' is a required property") != std::string::npos, why);
    // Nor may a move alert show a target price.
    auto mixed = json::parse(daemon::api::alert_text(all[3].alert, all[3].symbol)).as_object();
    mixed["target_price"] = "1";
    write_file(exchanges, json::serialize(json::array{
                              answer("GET", "/api/alerts/{id}", 200, json::serialize(mixed))}));
    auto const [mixed_refused, mixed_why] = run(command);
    BOOST_TEST(mixed_refused == 1, mixed_why);

    write_file(exchanges, json::serialize(list));
    auto const [status, output] = run(command);
    BOOST_TEST(status == 0, output);
    BOOST_TEST(output.find("13 answers checked, 0 failures") != std::string::npos, output);
}

BOOST_AUTO_TEST_SUITE_END()
