// Tests of notify::notice: the outbox payload round-trips, an account email's
// secret never reaches the payload, and a bad payload is refused with its
// reason.
#include "daemon/clock.hpp"
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

BOOST_AUTO_TEST_CASE(an_account_emails_secret_stays_out_of_its_payload) {
    std::string const token(64, 'f');
    account_email const e{"a@example.com", "Your token " + token,
                          "send\n" + token + "\nor " + token};
    auto const payload = encode(e, email_secret{token, kryptod::daemon::wall_clock_now() + 60'000});
    BOOST_TEST(payload.find(token) == std::string::npos);
    BOOST_TEST(payload.find(token.substr(0, 16)) == std::string::npos);
    auto const decoded = decode(payload);
    BOOST_REQUIRE_MESSAGE(decoded.value, decoded.error);
    BOOST_TEST((std::get<account_email>(*decoded.value) == e));
    BOOST_TEST(decode(payload).value.has_value()); // every attempt reads it again
}

BOOST_AUTO_TEST_CASE(an_email_whose_secret_is_gone_is_refused_with_a_reason) {
    std::string const token(64, 'e');
    account_email const e{"a@example.com", "Reset", "token: " + token + "\n"};
    // Expired: the token itself is no longer valid.
    auto const expired = encode(e, email_secret{token, kryptod::daemon::wall_clock_now() - 1});
    auto const d = decode(expired);
    BOOST_TEST(!d.value);
    BOOST_TEST(d.error.find("ask for a new email") != std::string::npos, d.error);
    // Held by another process (an earlier run): this one never had it.
    auto const d2 = decode(
        R"({"kind":"account","to":"a@b.cd","subject":"s","body":"{{kryptod-secret}}","secret_ref":"00ff"})");
    BOOST_TEST(!d2.value);
    BOOST_TEST(d2.error.find("ask for a new email") != std::string::npos, d2.error);
    BOOST_CHECK_THROW(encode(e, email_secret{"", 0}), std::invalid_argument);
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
