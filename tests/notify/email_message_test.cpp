// Tests of notify::email_message: the headers and body a recipient sees,
// and that nothing a user typed can add a header or a recipient.
#include "daemon/notify/email_message.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::daemon::notify;
namespace core = kryptod::core;

namespace {

alert_notice sample() {
    alert_notice n;
    n.alert = 42;
    n.symbol = "BTCUSDT";
    n.name = "breakout";
    n.target = core::price::parse("65000").value;
    n.side = core::direction::above;
    n.trigger_price = core::price::parse("65010.5").value;
    n.exchange_time = 1795442400123;
    n.detected_at = 1795442400150;
    return n;
}

constexpr core::millis sent_at = 1795442400000; // Mon, 23 Nov 2026 14:00:00 UTC

std::string head_of(std::string const& text) {
    return text.substr(0, text.find("\r\n\r\n") + 2);
}
std::string body_of(std::string const& text) {
    return text.substr(text.find("\r\n\r\n") + 4);
}

} // namespace

BOOST_AUTO_TEST_SUITE(email_message)

BOOST_AUTO_TEST_CASE(an_alert_email_names_coin_direction_target_and_price) {
    auto const r = render_alert_email(sample(), "alerts@kryptod.test", "ann@example.com",
                                      message_id_for(9, "kryptod-42-7-email"), sent_at);
    BOOST_REQUIRE_MESSAGE(r.value, r.error);
    auto const& m = *r.value;
    BOOST_TEST(m.from == "alerts@kryptod.test");
    BOOST_TEST(m.to == "ann@example.com");
    BOOST_TEST(m.message_id == "<outbox-9-kryptod-42-7-email@kryptod>");
    std::string const head = head_of(m.text);
    BOOST_TEST(head.find("From: kryptod <alerts@kryptod.test>\r\n") != std::string::npos);
    BOOST_TEST(head.find("To: <ann@example.com>\r\n") != std::string::npos);
    BOOST_TEST(head.find("Date: Mon, 23 Nov 2026 14:00:00 +0000\r\n") != std::string::npos);
    BOOST_TEST(head.find("Subject: BTCUSDT above 65000: fired at 65010.5\r\n") !=
               std::string::npos);
    BOOST_TEST(head.find("Message-ID: <outbox-9-kryptod-42-7-email@kryptod>\r\n") !=
               std::string::npos);
    BOOST_TEST(head.find("Content-Transfer-Encoding: 7bit\r\n") != std::string::npos);
    std::string const body = body_of(m.text);
    BOOST_TEST(body.find("Alert:          breakout\r\n") != std::string::npos);
    BOOST_TEST(body.find("Condition:      price above 65000\r\n") != std::string::npos);
    BOOST_TEST(body.find("Trigger price:  65010.5\r\n") != std::string::npos);
    BOOST_TEST(body.find("Exchange time:  2026-11-23T14:00:00.123Z\r\n") != std::string::npos);
    BOOST_TEST(body.find("Detected at:    2026-11-23T14:00:00.150Z\r\n") != std::string::npos);
    BOOST_TEST(body.find("Backfilled:     no\r\n") != std::string::npos);
    auto n = sample();
    n.backfilled = true;
    n.side = core::direction::below;
    auto const b = render_alert_email(n, "a@b.cd", "c@d.ef", "<x@kryptod>", sent_at);
    BOOST_TEST(b.value->text.find("Subject: BTCUSDT below 65000") != std::string::npos);
    BOOST_TEST(b.value->text.find("Backfilled:     yes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(message_ids_are_stable_and_safe) {
    BOOST_TEST(message_id_for(5, "kryptod-1-2-email") == message_id_for(5, "kryptod-1-2-email"));
    BOOST_TEST(message_id_for(5, "a b>\r\n<c") == "<outbox-5-a_b____c@kryptod>");
}

BOOST_AUTO_TEST_CASE(no_line_break_from_user_text_reaches_a_header) {
    auto n = sample();
    n.name = "x\r\nBcc: evil@example.com";
    auto const r = render_alert_email(n, "a@b.cd", "c@d.ef", "<x@kryptod>", sent_at);
    BOOST_REQUIRE(r.value);
    BOOST_TEST(head_of(r.value->text).find("Bcc") == std::string::npos);
    BOOST_TEST(body_of(r.value->text).find("x Bcc: evil@example.com") != std::string::npos);

    account_email e{"c@d.ef", "Reset\r\nBcc: evil@example.com\n\tX-Evil: 1", "body\n"};
    auto const a = render_account_email(e, "a@b.cd", "<y@kryptod>", sent_at);
    BOOST_REQUIRE(a.value);
    std::string const head = head_of(a.value->text);
    BOOST_TEST(head.find("Subject: Reset Bcc: evil@example.com X-Evil: 1\r\n") !=
               std::string::npos);
    BOOST_TEST(head.find("\r\nBcc") == std::string::npos);
    BOOST_TEST(head.find("\r\nX-Evil") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(addresses_with_syntax_or_line_breaks_are_refused) {
    for (char const* bad :
         {"c@d.ef\r\nRCPT TO:<x@y.z>", "<c@d.ef>", "c@d.ef, x@y.z", "", "c d@e.f"}) {
        BOOST_TEST(!render_alert_email(sample(), "a@b.cd", bad, "<x@kryptod>", sent_at).value);
        BOOST_TEST(!render_account_email({bad, "s", "b"}, "a@b.cd", "<x@kryptod>", sent_at).value);
        BOOST_TEST(!plain_address(bad));
    }
    auto const r = render_alert_email(sample(), "a@b.cd\r\nX: y", "c@d.ef", "<x@kryptod>", sent_at);
    BOOST_TEST(!r.value);
    BOOST_TEST(r.error.find("smtp.from") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(non_ascii_subjects_are_encoded_words) {
    std::string const subject = "Kurs \xc3\xbc"
                                "ber 65000 \xe2\x82\xac";
    BOOST_TEST(header_text(subject, 9) == "=?UTF-8?B?S3VycyDDvGJlciA2NTAwMCDigqw=?=");
    std::string const long_subject(200, 'a');
    auto const folded = header_text(long_subject + " \xc3\xbc", 9);
    for (std::size_t start = 0, end; start < folded.size(); start = end + 2) {
        end = folded.find("\r\n", start);
        if (end == std::string::npos) end = folded.size();
        BOOST_TEST(end - start <= 78u);
        if (start > 0) BOOST_TEST(folded[start] == ' ');
    }
}

BOOST_AUTO_TEST_CASE(bodies_are_crlf_and_non_ascii_goes_quoted_printable) {
    account_email e{"c@d.ef", "s", "one\ntwo\r\n.\n"};
    auto const plain = render_account_email(e, "a@b.cd", "<x@kryptod>", sent_at);
    BOOST_TEST(body_of(plain.value->text) == "one\r\ntwo\r\n.\r\n");

    e.body = "caf\xc3\xa9 = ok\n" + std::string(1200, 'x') + "\n";
    auto const qp = render_account_email(e, "a@b.cd", "<x@kryptod>", sent_at);
    std::string const text = qp.value->text;
    BOOST_TEST(head_of(text).find("Content-Transfer-Encoding: quoted-printable") !=
               std::string::npos);
    std::string const body = body_of(text);
    BOOST_TEST(body.rfind("caf=C3=A9 =3D ok\r\n", 0) == 0);
    for (std::size_t start = 0, end; start < body.size(); start = end + 2) {
        end = body.find("\r\n", start);
        BOOST_TEST(end - start <= 76u);
    }
}

BOOST_AUTO_TEST_CASE(dates_are_rfc5322) {
    BOOST_TEST(rfc5322_date(sent_at) == "Mon, 23 Nov 2026 14:00:00 +0000");
    BOOST_TEST(rfc5322_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
}

BOOST_AUTO_TEST_SUITE_END()
