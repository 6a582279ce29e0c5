// Whole-daemon tests of move alerts (SPEC §8): the real kryptod, the test
// exchange and the HTTP API. What a user notices: an `up 5 %` alert over
// 60 s fires on the first trade at exactly the window's low x 1.05 and not
// one price unit before, `down` likewise against the high; its triggered
// event names the reference it was measured from; a move spread across a
// feed cut is found by the backfill, once, `backfilled: true`; a restart
// inside the window does not hide it; and every bad move field is a 422
// naming it.
#include "storage/database.hpp"
#include "storage/feed_state_store.hpp"
#include "tests/support/daemon_harness.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace kryptod::test;
namespace storage = kryptod::storage;

namespace {

std::string move_body(std::string const& percent, std::string const& direction,
                      std::string const& extra = {}) {
    return R"({"symbol":"BTCUSDT","kind":"move","percent":")" + percent +
           R"(","window_seconds":60,"direction":")" + direction + "\"" + extra + "}";
}

std::int64_t trigger_count(daemon_harness& h, std::int64_t id) {
    return h.alert(id).at("trigger_count").as_int64();
}

// The alert's one triggered event, once it is there.
json::object fired_once(daemon_harness& h, std::int64_t id) {
    BOOST_REQUIRE_MESSAGE(eventually([&] { return trigger_count(h, id) == 1; }),
                          h.daemon->output());
    auto const ev = h.events(id, "triggered");
    BOOST_REQUIRE_EQUAL(ev.size(), 1u);
    return ev[0];
}

// A 422 naming `field`.
void refused(daemon_harness& h, bhttp::verb method, std::string const& target,
             std::string const& body, std::string const& field) {
    auto const res = h.call(method, target, body);
    BOOST_TEST(res.result_int() == 422, body << " -> " << res.body());
    bool named = false;
    auto const v = json::parse(res.body());
    if (v.is_object() && v.as_object().contains("errors"))
        for (auto const& e : v.at("errors").as_array())
            named = named || e.at("field").as_string() == field;
    BOOST_TEST(named, body << " should name " << field << ": " << res.body());
}

// The BTCUSDT feed position the daemon persisted (its last trade id).
std::optional<std::int64_t> persisted_position(daemon_harness& h) {
    auto db = storage::open_reader(h.db);
    auto const state = storage::feed_state_store::get(db, "BTCUSDT");
    if (!state) return std::nullopt;
    return state->last_trade_id;
}

} // namespace

BOOST_AUTO_TEST_SUITE(daemon_move_alert)

BOOST_AUTO_TEST_CASE(up_and_down_fire_at_exactly_the_percent_and_not_a_unit_before) {
    daemon_harness h;
    h.start();
    auto const up = h.create_alert(move_body("5", "up"));
    auto const down = h.create_alert(move_body("5", "down"));
    auto const created = h.alert(up);
    BOOST_TEST(created.at("kind").as_string() == "move");
    BOOST_TEST(created.at("percent").as_string() == "5");
    BOOST_TEST(created.at("window_seconds").as_int64() == 60);
    BOOST_TEST(created.at("direction").as_string() == "up");
    BOOST_TEST(!created.contains("target_price"));

    h.trade("100");
    h.trade("104.99999999"); // one unit short of 100 x 1.05
    BOOST_REQUIRE(h.sees_price("104.99999999"));
    BOOST_TEST(trigger_count(h, up) == 0);
    h.trade("105");
    auto const ev = fired_once(h, up);
    BOOST_TEST(ev.at("price").as_string() == "105");
    BOOST_TEST(ev.at("reference_price").as_string() == "100");
    BOOST_TEST(ev.at("reference_time").is_string());
    BOOST_TEST(!ev.at("backfilled").as_bool());
    BOOST_TEST(h.alert(up).at("status").as_string() == "triggered");

    // The high is now 105: down 5 % is 99.75.
    h.trade("99.75000001");
    BOOST_REQUIRE(h.sees_price("99.75000001"));
    BOOST_TEST(trigger_count(h, down) == 0);
    h.trade("99.75");
    auto const dev = fired_once(h, down);
    BOOST_TEST(dev.at("price").as_string() == "99.75");
    BOOST_TEST(dev.at("reference_price").as_string() == "105");

    // Lists filter by kind; a price alert says it is one.
    h.create_alert(R"({"symbol":"BTCUSDT","target_price":"500","direction":"above"})");
    auto const moves = h.get("/api/alerts?kind=move&status=triggered");
    BOOST_TEST(moves.at("total").as_int64() == 2);
    auto const prices = h.get("/api/alerts?kind=price");
    BOOST_TEST(prices.at("total").as_int64() == 1);
    BOOST_TEST(prices.at("items").as_array().at(0).at("kind").as_string() == "price");
    h.terminate();
}

BOOST_AUTO_TEST_CASE(a_move_across_a_feed_cut_is_found_by_the_backfill_once) {
    daemon_harness h;
    h.start({"--feed.backfill_hold=2"});
    auto const id = h.create_alert(move_body("5", "up"));
    h.trade("100");
    BOOST_REQUIRE(h.sees_price("100"));

    h.exchange.send("rest down");
    h.exchange.send("cut");
    h.trade("103"); // in the gap
    h.trade("105"); // in the gap: 5 % over the live low
    h.trade("104"); // in the gap
    BOOST_REQUIRE_MESSAGE(eventually([&] {
                              return h.metric("kryptod_feed_reconnects_total") >= 1 &&
                                     h.metric("kryptod_feed_up") == 1;
                          }),
                          h.daemon->output());
    BOOST_TEST(trigger_count(h, id) == 0);
    h.exchange.send("rest up");
    auto const ev = fired_once(h, id);
    BOOST_TEST(ev.at("backfilled").as_bool());
    BOOST_TEST(ev.at("price").as_string() == "105");
    BOOST_TEST(ev.at("reference_price").as_string() == "100");
    // Let a duplicate that a replay could cause reach the database.
    BOOST_REQUIRE(h.sees_price("104"));
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(h.events(id, "triggered").size() == 1u);
    h.terminate();
}

BOOST_AUTO_TEST_CASE(a_restart_inside_the_window_does_not_hide_the_move) {
    daemon_harness h;
    h.start();
    auto const up = h.create_alert(move_body("5", "up"));
    auto const down = h.create_alert(move_body("5", "down"));
    auto const first = h.trade("100");
    BOOST_REQUIRE(h.sees_price("100"));
    // The minute's sample and the position are written once a second.
    BOOST_REQUIRE(eventually([&] { return persisted_position(h) == std::optional(first); }, 5s));

    h.terminate();
    h.start();
    h.trade("104");
    BOOST_REQUIRE(h.sees_price("104"));
    BOOST_TEST(trigger_count(h, up) == 0);
    h.trade("105");
    auto const ev = fired_once(h, up);
    BOOST_TEST(ev.at("price").as_string() == "105");
    BOOST_TEST(ev.at("reference_price").as_string() == "100");
    BOOST_TEST(!ev.at("backfilled").as_bool());
    BOOST_TEST(trigger_count(h, down) == 0); // the high came after the restart
    h.terminate();
}

BOOST_AUTO_TEST_CASE(bad_move_fields_are_422_naming_the_field) {
    daemon_harness h;
    h.start();
    using bhttp::verb;
    auto const head = std::string(R"({"symbol":"BTCUSDT","kind":"move","direction":"up",)");
    refused(h, verb::post, "/api/alerts",
            head + R"("percent":"5","window_seconds":60,)" + R"("target_price":"100"})",
            "target_price");
    for (auto const* bad : {R"("0")", R"("0.00")", R"("1000.01")", R"("5.255")", R"("1e1")",
                            R"("-5")", R"("+5")", R"("five")", "0", "1000.01", "5.255"})
        refused(h, verb::post, "/api/alerts",
                head + R"("percent":)" + bad + R"(,"window_seconds":60})", "percent");
    for (auto const* bad : {"59", "86401", "60.5", R"("60")"})
        refused(h, verb::post, "/api/alerts",
                head + R"("percent":"5","window_seconds":)" + bad + "}", "window_seconds");
    refused(h, verb::post, "/api/alerts", head + R"("window_seconds":60})", "percent");
    refused(h, verb::post, "/api/alerts",
            R"({"symbol":"BTCUSDT","kind":"move","percent":"5","window_seconds":60})", "direction");
    refused(h, verb::post, "/api/alerts",
            R"({"symbol":"BTCUSDT","kind":"move","percent":"5","window_seconds":60,)"
            R"("direction":"above"})",
            "direction");
    refused(h, verb::post, "/api/alerts",
            R"({"symbol":"BTCUSDT","kind":"shape","target_price":"5"})", "kind");
    // A price alert takes no move field.
    refused(h, verb::post, "/api/alerts",
            R"({"symbol":"BTCUSDT","target_price":"100","direction":"above","percent":"5"})",
            "percent");
    refused(h, verb::post, "/api/alerts",
            R"({"symbol":"BTCUSDT","target_price":"100","direction":"above",)"
            R"("window_seconds":60})",
            "window_seconds");
    refused(h, verb::post, "/api/alerts",
            R"({"symbol":"BTCUSDT","target_price":"100","direction":"up"})", "direction");

    // The edges are fine.
    auto const id = h.create_alert(head + R"("percent":"1000","window_seconds":86400})");
    BOOST_TEST(h.alert(id).at("percent").as_string() == "1000");
    auto const low = h.create_alert(head + R"("percent":0.01,"window_seconds":60})");
    BOOST_TEST(h.alert(low).at("percent").as_string() == "0.01");

    // PATCH changes the terms but never the kind.
    auto const path = "/api/alerts/" + std::to_string(id);
    auto const patched =
        h.call(verb::patch, path, R"({"percent":"2.5","window_seconds":900,"direction":"down"})");
    BOOST_REQUIRE_MESSAGE(patched.result_int() == 200, patched.body());
    auto const changed = json::parse(patched.body());
    BOOST_TEST(changed.at("percent").as_string() == "2.5");
    BOOST_TEST(changed.at("window_seconds").as_int64() == 900);
    BOOST_TEST(changed.at("direction").as_string() == "down");
    refused(h, verb::patch, path, R"({"kind":"price"})", "kind");
    refused(h, verb::patch, path, R"({"target_price":"100"})", "target_price");
    refused(h, verb::patch, path, R"({"percent":"0"})", "percent");
    refused(h, verb::patch, path, R"({"window_seconds":59})", "window_seconds");
    refused(h, verb::patch, path, R"({"direction":"below"})", "direction");
    BOOST_TEST(h.call(verb::patch, path, R"({"kind":"move","name":"same kind"})").result_int() ==
               200);
    auto const price = h.create_alert(R"({"symbol":"BTCUSDT","target_price":"100",)"
                                      R"("direction":"above"})");
    auto const price_path = "/api/alerts/" + std::to_string(price);
    refused(h, verb::patch, price_path, R"({"kind":"move"})", "kind");
    refused(h, verb::patch, price_path, R"({"percent":"5"})", "percent");
    refused(h, verb::patch, price_path, R"({"window_seconds":60})", "window_seconds");
    BOOST_TEST(h.alert(price).at("kind").as_string() == "price");

    // Delete and events as for price alerts.
    BOOST_TEST(h.call(verb::delete_, path).result_int() == 204);
    BOOST_TEST(h.events(id, "deleted").size() == 1u);
    refused(h, verb::get, "/api/alerts?kind=shape", "", "kind");
    h.terminate();
}

BOOST_AUTO_TEST_SUITE_END()
