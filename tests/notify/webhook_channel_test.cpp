// Tests of notify::webhook_client without a receiver: the signature a
// receiver recomputes, the event body, and the targets refused before any
// connection (private, loopback, non-HTTP).
#include "daemon/notify/webhook_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace kryptod::daemon::notify;
namespace core = kryptod::core;

BOOST_AUTO_TEST_SUITE(webhook_client)

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

BOOST_AUTO_TEST_CASE(private_ranges_are_recognised) {
    for (char const* p :
         {"127.0.0.1", "127.255.1.2", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
          "169.254.169.254", "0.0.0.0", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1",
          "febf::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3"})
        BOOST_TEST(is_private_address(p), p);
    for (char const* p : {"8.8.8.8", "172.15.255.255", "172.32.0.0", "192.169.0.1", "169.255.0.1",
                          "1.1.1.1", "2606:4700::1111", "fec0::1", "::ffff:8.8.8.8"})
        BOOST_TEST(!is_private_address(p), p);
}

BOOST_AUTO_TEST_CASE(private_and_non_http_targets_are_refused_for_good) {
    kryptod::daemon::notify::webhook_client client(webhook_options{});
    webhook_request req{std::string(), std::string("secret"), std::string("delivery"), 1,
                        std::string("{}")};
    for (char const* url :
         {"http://127.0.0.1:9/hook", "http://[::1]:9/", "http://localhost:9/", "http://10.0.0.1/",
          "http://2130706433/", "ftp://example.com/x", "file:///etc/passwd", "not a url"}) {
        req.url = url;
        auto const r = client.post(req);
        BOOST_TEST((r.outcome == delivery_outcome::permanent), url << ": " << r.detail);
    }
}

BOOST_AUTO_TEST_SUITE_END()
