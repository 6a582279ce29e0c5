// Tests of notify::notice: the outbox payload round-trips, the fire path's
// own JSON is understood, and a bad payload is refused with its reason.
#include "daemon/notify/notice.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::daemon::notify;
namespace core = kryptod::core;

namespace {

alert_notice sample() {
    alert_notice n;
    n.alert = 42;
    n.symbol = "BTCUSDT";
    n.name = "breakout \"quoted\"\nline";
    n.target = core::price::parse("65000.5").value;
    n.side = core::direction::below;
    n.trigger_price = core::price::parse("64999.99999999").value;
    n.exchange_time = 1795442400123;
    n.detected_at = 1795442400150;
    n.backfilled = true;
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(notice)

BOOST_AUTO_TEST_CASE(alert_notices_round_trip_exactly) {
    auto const decoded = decode(encode(sample()));
    BOOST_REQUIRE_MESSAGE(decoded.value, decoded.error);
    BOOST_TEST((std::get<alert_notice>(*decoded.value) == sample()));
}

BOOST_AUTO_TEST_CASE(account_emails_round_trip) {
    account_email const e{"a@example.com", "Reset your password", "token: x\n.\n"};
    auto const decoded = decode(encode(e));
    BOOST_REQUIRE(decoded.value);
    BOOST_TEST((std::get<account_email>(*decoded.value) == e));
}

BOOST_AUTO_TEST_CASE(the_notice_of_a_fire_comes_from_the_fired_alert) {
    core::alert a;
    a.id = 7;
    a.target = core::price::parse("100").value;
    a.side = core::direction::above;
    a.name.push_back('n');
    core::create(a, 1000);
    BOOST_REQUIRE(
        (core::fire(a, core::price::parse("101").value, 5000) == core::transition::applied));
    auto const n = notice_of_fire(a, "ETHUSDT", 4990, false);
    BOOST_TEST(n.alert == 7);
    BOOST_TEST(n.symbol == "ETHUSDT");
    BOOST_TEST(n.trigger_price.to_string() == "101");
    BOOST_TEST(n.detected_at == 5000);
    BOOST_TEST(n.exchange_time == 4990);
}

BOOST_AUTO_TEST_CASE(the_fire_paths_rfc3339_form_is_read) {
    auto const decoded = decode(
        R"({"type":"alert.triggered","alert_id":3,"user_id":1,"email":"x@y.z","symbol":"BTCUSDT",)"
        R"("direction":"above","target_price":"10","price":"10.5","name":"","repeat":"once",)"
        R"("trigger_count":1,"exchange_time":"2026-11-23T14:00:00.123Z",)"
        R"("detected_at":"2026-11-23T14:00:00.150Z","backfilled":false})");
    BOOST_REQUIRE_MESSAGE(decoded.value, decoded.error);
    auto const& n = std::get<alert_notice>(*decoded.value);
    BOOST_TEST(n.alert == 3);
    BOOST_TEST(n.exchange_time == 1795442400123);
    BOOST_TEST(n.detected_at == 1795442400150);
    BOOST_TEST(n.trigger_price.to_string() == "10.5");
}

BOOST_AUTO_TEST_CASE(the_accounts_codes_form_is_read) {
    auto const decoded = decode(R"({"to":"a@b.cd","subject":"Verify","body":"token\n"})");
    BOOST_REQUIRE_MESSAGE(decoded.value, decoded.error);
    BOOST_TEST(
        (std::get<account_email>(*decoded.value) == account_email{"a@b.cd", "Verify", "token\n"}));
}

BOOST_AUTO_TEST_CASE(bad_payloads_are_refused_with_a_reason) {
    struct {
        char const* payload;
        char const* reason;
    } const cases[] = {
        {"not json", "not JSON"},
        {"[1]", "not a JSON object"},
        {R"({"kind":"sms"})", "unknown payload kind"},
        {R"({"to":"a@b.cd"})", "missing field 'kind'"},
        {R"({"kind":"account","to":"a@b.c","subject":"s"})", "missing field 'body'"},
        {R"({"kind":"account","to":"","subject":"s","body":""})", "'to' is empty"},
        {R"({"kind":"alert","alert_id":"1"})", "'alert_id' must be an integer"},
    };
    for (auto const& c : cases) {
        auto const d = decode(c.payload);
        BOOST_TEST(!d.value);
        BOOST_TEST(d.error.find(c.reason) != std::string::npos, c.payload << " -> " << d.error);
    }
    std::string broken = encode(sample());
    broken.replace(broken.find("65000.5"), 7, "-1");
    auto const d = decode(broken);
    BOOST_TEST(!d.value);
    BOOST_TEST(d.error.find("target_price") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
