// Tests what the chat channels send, without a network:
// daemon/notify/chat_text.hpp (the one line, the title, UTF-8 truncation),
// the bodies and headers of discord_channel.hpp, slack_channel.hpp and
// ntfy_channel.hpp, and how http_outcome.hpp reads Retry-After.
#include "daemon/notify/chat_text.hpp"
#include "daemon/notify/discord_channel.hpp"
#include "daemon/notify/http_outcome.hpp"
#include "daemon/notify/ntfy_channel.hpp"
#include "daemon/notify/slack_channel.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace kryptod;
namespace notify = kryptod::daemon::notify;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

notify::alert_notice notice(std::string name, bool backfilled = false) {
    notify::alert_notice n;
    n.alert = 42;
    n.symbol = "BTCUSDT";
    n.name = std::move(name);
    n.target = core::price::parse("65000").value;
    n.side = core::direction::above;
    n.trigger_price = core::price::parse("65010.5").value;
    n.exchange_time = 1'700'000'000'000;
    n.detected_at = 1'700'000'000'005;
    n.backfilled = backfilled;
    return n;
}

std::size_t code_points(std::string const& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xc0) != 0x80) ++n;
    return n;
}

bool valid_utf8(std::string const& s) {
    for (std::size_t i = 0; i < s.size();) {
        unsigned char const c = static_cast<unsigned char>(s[i]);
        std::size_t const len = c < 0x80         ? 1
                                : (c >> 5) == 6  ? 2
                                : (c >> 4) == 14 ? 3
                                : (c >> 3) == 30 ? 4
                                                 : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
        i += len;
    }
    return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_channels)

BOOST_AUTO_TEST_CASE(the_line_names_the_fire_like_the_email_subject) {
    BOOST_TEST(notify::chat_text(notice("buy the dip")) ==
               "BTCUSDT above 65000: fired at 65010.5 - \"buy the dip\" (alert #42)");
    BOOST_TEST(notify::chat_text(notice("", true)) ==
               "BTCUSDT above 65000: fired at 65010.5 (alert #42, backfilled)");
    // A name cannot break the line.
    BOOST_TEST(notify::chat_text(notice("a\r\nb\tc")).find_first_of("\r\n\t") == std::string::npos);
    BOOST_TEST(notify::chat_title(notice("\r\nX-Evil: 1")) == "kryptod: BTCUSDT above 65000");
}

BOOST_AUTO_TEST_CASE(truncation_keeps_whole_code_points) {
    BOOST_TEST(notify::truncate_utf8("short", 10) == "short");
    BOOST_TEST(notify::truncate_utf8("abcdef", 4) == "abc\u2026");
    std::string euros;
    for (int i = 0; i < 3000; ++i)
        euros += "\u20ac"; // three bytes each
    auto const cut = notify::truncate_utf8(euros, notify::discord_max_content);
    BOOST_TEST(code_points(cut) == notify::discord_max_content);
    BOOST_TEST(valid_utf8(cut));
    BOOST_TEST(cut.ends_with("\u2026"));
}

BOOST_AUTO_TEST_CASE(discord_gets_content_without_mentions_or_markdown) {
    auto const body = json::parse(notify::discord_body(notice("@everyone *moon* `x`"))).as_object();
    auto const content = std::string(body.at("content").as_string());
    BOOST_TEST(content.find("@everyone \\*moon\\* \\`x\\`") != std::string::npos, content);
    BOOST_TEST(body.at("allowed_mentions").at("parse").as_array().empty());
    // A name at the API's limit (200 characters), all markup, still fits.
    auto const long_body =
        json::parse(notify::discord_body(notice(std::string(200, '*')))).as_object();
    BOOST_TEST(code_points(std::string(long_body.at("content").as_string())) <=
               notify::discord_max_content);
}

BOOST_AUTO_TEST_CASE(slack_gets_text_with_its_control_characters_escaped) {
    auto const body =
        json::parse(notify::slack_body(notice("<!channel> & <https://x.example|click>")))
            .as_object();
    BOOST_TEST(body.size() == 1u);
    auto const text = std::string(body.at("text").as_string());
    BOOST_TEST(text.find('<') == std::string::npos);
    BOOST_TEST(text.find("&lt;!channel&gt; &amp; &lt;https://x.example|click&gt;") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(ntfy_headers_are_fixed_ascii) {
    auto n = notice("\xe2\x82\xbf\r\nX-Evil: 1");
    auto const headers = notify::ntfy_headers(n);
    std::vector<std::string> const up{"Content-Type: text/plain; charset=utf-8",
                                      "Title: kryptod: BTCUSDT above 65000", "Priority: high",
                                      "Tags: chart_with_upwards_trend"};
    BOOST_TEST(headers == up);
    n.side = core::direction::below;
    BOOST_TEST(notify::ntfy_headers(n).back() == "Tags: chart_with_downwards_trend");
    BOOST_TEST(notify::ntfy_token_usable("tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"));
    for (auto const* bad : {"", "tk x", "tk\r\nX: 1", "tk\x7f", "t\xc3\xa9"})
        BOOST_TEST(!notify::ntfy_token_usable(bad), bad);
    BOOST_TEST(!notify::ntfy_token_usable(std::string(257, 'a')));
}

BOOST_AUTO_TEST_CASE(retry_after_is_read_in_seconds_and_bounded) {
    BOOST_TEST((notify::retry_after_of("2") == std::optional(2000ms)));
    BOOST_TEST((notify::retry_after_of("0.25") == std::optional(250ms)));
    BOOST_TEST((notify::retry_after_of("0") == std::optional(0ms)));
    BOOST_TEST((notify::retry_after_of("99999") == std::optional(notify::max_retry_after)));
    for (auto const* bad :
         {"", "-1", "1e3", "soon", ".5", "1.2.3", "Wed, 21 Oct 2015 07:28:00 GMT"})
        BOOST_TEST(!notify::retry_after_of(bad).has_value(), bad);

    notify::http_answer a;
    a.what = notify::http_answer::kind::answered;
    a.status = 429;
    a.retry_after = "3";
    auto r = notify::judge_http(a);
    BOOST_TEST((r.outcome == notify::delivery_outcome::temporary));
    BOOST_TEST(r.retry_after.count() == 3000);
    a.status = 503;
    BOOST_TEST((notify::judge_http(a).outcome == notify::delivery_outcome::temporary));
    a.status = 404;
    r = notify::judge_http(a);
    BOOST_TEST((r.outcome == notify::delivery_outcome::permanent));
    BOOST_TEST(r.retry_after.count() == 0);
    a.status = 204;
    BOOST_TEST(notify::judge_http(a).delivered());
}

BOOST_AUTO_TEST_CASE(destinations_do_not_reveal_the_url) {
    auto const url = std::string("https://discord.com/api/webhooks/123/s3cr3t-token");
    auto const d = notify::private_destination("discord", url);
    BOOST_TEST(d.starts_with("discord https://discord.com:443 #"));
    BOOST_TEST(d.find("s3cr3t") == std::string::npos);
    BOOST_TEST(d != notify::private_destination("discord", url + "2"));
}

BOOST_AUTO_TEST_SUITE_END()
