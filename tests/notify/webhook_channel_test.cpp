// Tests of notify::webhook_channel without a receiver: the signature a
// receiver recomputes and the event body. Delivery and refusals go through
// the sender in outbox_sender_test.cpp and the lane in http_lane_test.cpp.
#include "daemon/notify/webhook_channel.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace kryptod::daemon::notify;
namespace core = kryptod::core;

BOOST_AUTO_TEST_SUITE(webhook_channel)

BOOST_AUTO_TEST_CASE(the_signature_is_hmac_sha256_of_timestamp_dot_body) {
    // Python: hmac.new(b"secret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    BOOST_TEST(webhook_signature("secret", 1700000000, R"({"a":1})") ==
               "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686");
    BOOST_TEST(webhook_signature("other", 1700000000, R"({"a":1})") !=
               webhook_signature("secret", 1700000000, R"({"a":1})"));
    BOOST_TEST(webhook_signature("secret", 1700000001, R"({"a":1})") !=
               webhook_signature("secret", 1700000000, R"({"a":1})"));
}

BOOST_AUTO_TEST_CASE(the_event_body_describes_the_fire) {
    alert_notice n;
    n.alert = 42;
    n.symbol = "BTCUSDT";
    n.name.push_back('x');
    n.target = core::price::parse("65000").value;
    n.trigger_price = core::price::parse("65000.01").value;
    n.exchange_time = 1795442400123;
    n.detected_at = 1795442400150;
    auto const o = boost::json::parse(webhook_body(n, "kryptod-42-1-webhook")).as_object();
    BOOST_TEST(o.at("type").as_string() == "alert.triggered");
    BOOST_TEST(o.at("delivery_id").as_string() == "kryptod-42-1-webhook");
    BOOST_TEST(o.at("price").as_string() == "65000.01");
    BOOST_TEST(o.at("exchange_time").as_string() == "2026-11-23T14:00:00.123Z");
    BOOST_TEST(o.at("backfilled").as_bool() == false);
    auto const& a = o.at("alert").as_object();
    BOOST_TEST(a.at("id").as_int64() == 42);
    BOOST_TEST(a.at("direction").as_string() == "above");
    BOOST_TEST(a.at("target_price").as_string() == "65000");
}

BOOST_AUTO_TEST_SUITE_END()
