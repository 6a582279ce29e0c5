// Tests of a move alert's notice (SPEC §8): its payload round-trips with the
// reference it was measured from, and the email and webhook name the move
// ("SOLUSDT up 8.2 % in 15 min (142.1 → 153.75)") with reference_price and
// reference_time.
#include "daemon/notify/email_message.hpp"
#include "daemon/notify/notice.hpp"
#include "daemon/notify/webhook_channel.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace kryptod::daemon::notify;
namespace core = kryptod::core;

namespace {

core::price price_of(char const* text) {
    return core::price::parse(text).value;
}

alert_notice sol_pump() {
    alert_notice n;
    n.alert = 42;
    n.symbol = "SOLUSDT";
    n.name = "pump";
    n.kind = core::alert_kind::move;
    n.move_percent = 800;
    n.window_seconds = 900;
    n.move_side = core::move_direction::up;
    n.reference_price = price_of("142.10");
    n.reference_time = 1795442000000;
    n.trigger_price = price_of("153.75");
    n.exchange_time = 1795442400123;
    n.detected_at = 1795442400150;
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(move_notice)

BOOST_AUTO_TEST_CASE(a_move_notice_round_trips_with_its_reference) {
    auto const decoded = decode(encode(sol_pump()));
    BOOST_REQUIRE_MESSAGE(decoded.value, decoded.error);
    BOOST_TEST((std::get<alert_notice>(*decoded.value) == sol_pump()));
}

BOOST_AUTO_TEST_CASE(the_notice_of_a_move_fire_carries_terms_and_reference) {
    core::alert a;
    a.id = 7;
    a.kind = core::alert_kind::move;
    a.move_percent = 300;
    a.window_seconds = 3600;
    a.move_side = core::move_direction::down;
    core::create(a, 1000);
    BOOST_REQUIRE((core::fire(a, price_of("97"), 5000) == core::transition::applied));
    auto const n = notice_of_fire(a, "BTCUSDT", 4990, true, move_reference{price_of("100"), 4000});
    BOOST_TEST((n.kind == core::alert_kind::move));
    BOOST_TEST(n.move_percent == 300);
    BOOST_TEST(n.window_seconds == 3600);
    BOOST_TEST((n.move_side == core::move_direction::down));
    BOOST_TEST(n.reference_price.value().to_string() == "100");
    BOOST_TEST(n.reference_time == 4000);
    BOOST_TEST(move_headline(n) == "BTCUSDT down 3.0 % in 1 h (100 \u2192 97)");
}

BOOST_AUTO_TEST_CASE(the_headline_rounds_the_move_exactly) {
    auto n = sol_pump();
    BOOST_TEST(move_headline(n) == "SOLUSDT up 8.2 % in 15 min (142.1 \u2192 153.75)");
    n.reference_price = price_of("100");
    n.trigger_price = price_of("105");
    n.window_seconds = 60;
    BOOST_TEST(move_headline(n) == "SOLUSDT up 5.0 % in 1 min (100 \u2192 105)");
    n.trigger_price = price_of("100.05"); // 0.05 %: half up to 0.1
    BOOST_TEST(move_headline(n) == "SOLUSDT up 0.1 % in 1 min (100 \u2192 100.05)");
    n.trigger_price = price_of("100.04999999");
    BOOST_TEST(move_headline(n) == "SOLUSDT up 0.0 % in 1 min (100 \u2192 100.04999999)");
    // Prices near the top of the range do not overflow.
    n.reference_price = price_of("90000000000");
    n.trigger_price = price_of("92000000000");
    n.window_seconds = 90;
    BOOST_TEST(move_headline(n) == "SOLUSDT up 2.2 % in 90 s (90000000000 \u2192 92000000000)");
}

BOOST_AUTO_TEST_CASE(the_email_names_the_move) {
    auto const r = render_alert_email(sol_pump(), "alerts@kryptod.test", "ann@example.com",
                                      message_id_for(9, "kryptod-42-7-email"), 1795442400000);
    BOOST_REQUIRE_MESSAGE(r.value, r.error);
    auto const& text = r.value->text;
    // The arrow makes the subject non-ASCII: an RFC 2047 encoded word.
    BOOST_TEST(alert_subject(sol_pump()) == "SOLUSDT up 8.2 % in 15 min (142.1 \u2192 153.75)");
    BOOST_TEST(text.find("Subject: =?UTF-8?") != std::string::npos, text);
    BOOST_TEST(text.find("Condition:      move up 8 % within 15 min\r\n") != std::string::npos,
               text);
    BOOST_TEST(text.find("Measured from:  142.1 (the window's low, traded "
                         "2026-11-23T13:53:20Z)\r\n") != std::string::npos,
               text);
    BOOST_TEST(text.find("Trigger price:  153.75\r\n") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(the_webhook_event_names_the_move_and_its_reference) {
    auto const o = boost::json::parse(webhook_body(sol_pump(), "kryptod-42-1-webhook")).as_object();
    BOOST_TEST(o.at("price").as_string() == "153.75");
    BOOST_TEST(o.at("reference_price").as_string() == "142.1");
    BOOST_TEST(o.at("reference_time").as_string() == "2026-11-23T13:53:20Z");
    BOOST_TEST(o.at("text").as_string() == "SOLUSDT up 8.2 % in 15 min (142.1 \u2192 153.75)");
    auto const& a = o.at("alert").as_object();
    BOOST_TEST(a.at("kind").as_string() == "move");
    BOOST_TEST(a.at("percent").as_string() == "8");
    BOOST_TEST(a.at("window_seconds").as_int64() == 900);
    BOOST_TEST(a.at("direction").as_string() == "up");
    BOOST_TEST(!a.contains("target_price"));
}

BOOST_AUTO_TEST_SUITE_END()
