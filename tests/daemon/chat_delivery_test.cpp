// Discord, Slack and ntfy through the whole product (SPEC §10): a user sets
// the channels up with PATCH /api/auth/me (validated, write-only, listed by
// name in GET /api/auth/me), alerts naming a channel that is not set up are
// 422, and a trade through the Binance test server fires an alert whose
// notices reach fake Discord, Slack and ntfy receivers
// (tests/notify/chat_server.py) and a real SMTP server exactly once each:
// through a Discord outage (503s), a Slack 429 with Retry-After, with the
// body shapes and headers each service expects, the per-user hourly cap
// counting every channel, and a channel removed after the alert was made
// reported on the alert's history.
#include "tests/support/daemon_harness.hpp"

#include <fstream>
#include <map>
#include <set>

using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::verb;

namespace {

// One fake chat service in its own directory.
struct chat_receiver {
    temp_dir dir;
    piped_process process;
    unsigned short port = 0;

    chat_receiver()
        : process({"/usr/bin/python3",
                   (source_dir() / "tests" / "notify" / "chat_server.py").string(), "--dir",
                   dir.path.string()}) {
        auto const ready = process.read_line(20s);
        BOOST_REQUIRE_MESSAGE(ready && ready->starts_with("READY "), "chat receiver did not start");
        port = static_cast<unsigned short>(std::stoi(ready->substr(6)));
    }

    std::string url(std::string const& path) const {
        return "http://127.0.0.1:" + std::to_string(port) + path;
    }

    // The answers to give, in order (e.g. "503 503" or "429:2"), then 2xx.
    void answer(std::string const& statuses) { std::ofstream(dir.path / "statuses") << statuses; }

    std::vector<json::object> requests() { return records_in(dir.path); }
};

// The mail server of tests/notify/smtp_server.py, for the email channel.
struct mail_receiver {
    temp_dir dir;
    piped_process process;
    std::string url;

    mail_receiver()
        : process({"/usr/bin/python3",
                   (source_dir() / "tests" / "notify" / "smtp_server.py").string(), "--dir",
                   dir.path.string()}) {
        auto const ready = process.read_line(20s);
        BOOST_REQUIRE_MESSAGE(ready && ready->starts_with("READY "),
                              "SMTP server did not start (is python3-aiosmtpd installed?)");
        url = "smtp://127.0.0.1:" + ready->substr(6);
    }

    std::size_t messages() { return records_in(dir.path).size(); }
};

struct chat_fixture : daemon_harness {
    chat_receiver discord, slack, ntfy;
    mail_receiver mail;

    explicit chat_fixture(std::vector<std::string> extra = {}) {
        smtp_url = mail.url;
        extra.insert(extra.end(), {"--notify.webhook_allow_private=true", "--notify.retry_base=1",
                                   "--notify.retry_max=2"});
        start(extra);
    }

    bhttp::response<bhttp::string_body> patch_me(json::object const& body) {
        return call(verb::patch, "/api/auth/me", json::serialize(body));
    }

    void set_up_all() {
        auto res = patch_me({{"discord_webhook_url", discord.url("/discord/api/webhooks/1/abc")},
                             {"slack_webhook_url", slack.url("/slack/services/T0/B0/xyz")},
                             {"ntfy_url", ntfy.url("/ntfy/kryptod-alerts")},
                             {"ntfy_token", "tk_secret0123456789"}});
        BOOST_REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    }

    std::vector<std::string> channels_of_me() {
        std::vector<std::string> out;
        auto const me = get("/api/auth/me");
        for (auto const& c : me.at("channels").as_array())
            out.emplace_back(c.as_string());
        return out;
    }

    // The `notified` events of an alert by channel, oldest first.
    std::map<std::string, std::vector<std::string>> outcomes(std::int64_t id) {
        std::map<std::string, std::vector<std::string>> out;
        for (auto const& e : events(id, "notified"))
            out[std::string(e.at("channel").as_string())].emplace_back(e.at("outcome").as_string());
        return out;
    }
};

std::vector<std::string> problem_fields(bhttp::response<bhttp::string_body> const& res) {
    std::vector<std::string> out;
    auto const body = json::parse(res.body()).as_object();
    if (auto const* errors = body.if_contains("errors"))
        for (auto const& e : errors->as_array())
            out.emplace_back(e.at("field").as_string());
    return out;
}

std::string alert_body(std::string const& channels, std::string const& name = "chat test") {
    return R"({"symbol":"BTCUSDT","target_price":"3000","direction":"below","name":")" + name +
           R"(","channels":)" + channels + "}";
}

// How many 2xx answers each delivery id got.
std::map<std::string, int> accepted_by_delivery(std::vector<json::object> const& requests) {
    std::map<std::string, int> out;
    for (auto const& r : requests) {
        auto const status = r.at("status").as_int64();
        auto const* id = r.at("headers").as_object().if_contains("x-kryptod-delivery");
        BOOST_TEST_REQUIRE(id != nullptr, "a request without X-Kryptod-Delivery");
        if (status >= 200 && status <= 299)
            ++out[std::string(id->as_string())];
        else
            out.try_emplace(std::string(id->as_string()), 0);
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_delivery)

BOOST_FIXTURE_TEST_CASE(settings_are_checked_never_shown_and_gate_the_alert_channels,
                        chat_fixture) {
    BOOST_TEST(channels_of_me() == std::vector<std::string>{"email"});

    // Bad values, each named.
    for (auto const& [body, field] : std::vector<std::pair<std::string, std::string>>{
             {R"({"discord_webhook_url":"ftp://discord.example/x"})", "discord_webhook_url"},
             {R"({"slack_webhook_url":"not a url"})", "slack_webhook_url"},
             {R"({"ntfy_url":5})", "ntfy_url"},
             {R"({"ntfy_token":"tk with space"})", "ntfy_token"},
             {R"({"ntfy_token":"tk\r\nX-Injected: 1"})", "ntfy_token"},
             {R"({"ntfy_token":""})", "ntfy_token"},
             {R"({"telegram_chat":"1"})", "telegram_chat"},
             {R"({})", "webhook_url"},
         }) {
        BOOST_TEST_INFO("body " << body);
        auto res = call(verb::patch, "/api/auth/me", body);
        BOOST_TEST(res.result_int() == 422);
        auto const fields = problem_fields(res);
        BOOST_TEST((std::find(fields.begin(), fields.end(), field) != fields.end()));
    }
    BOOST_TEST(channels_of_me() == std::vector<std::string>{"email"},
               "a refused PATCH changed nothing");

    // A channel not set up is refused on create, naming `channels`.
    for (auto const* channels : {R"(["discord"])", R"(["email","slack"])", R"(["ntfy"])",
                                 R"(["webhook"])", R"(["telegram"])"}) {
        BOOST_TEST_INFO("channels " << channels);
        auto res = call(verb::post, "/api/alerts", alert_body(channels));
        BOOST_TEST(res.result_int() == 422);
        BOOST_TEST(problem_fields(res) == std::vector<std::string>{"channels"});
    }

    set_up_all();
    auto const me = call(verb::get, "/api/auth/me");
    BOOST_TEST(channels_of_me() == (std::vector<std::string>{"email", "discord", "slack", "ntfy"}));
    // Write-only: neither the URLs nor the token come back, in any answer.
    for (auto const& text : {me.body(), call(verb::get, "/api/auth/me").body()}) {
        BOOST_TEST(text.find("tk_secret") == std::string::npos);
        BOOST_TEST(text.find("/discord/") == std::string::npos);
        BOOST_TEST(text.find("/slack/") == std::string::npos);
        BOOST_TEST(text.find("/ntfy/") == std::string::npos);
    }
    BOOST_TEST(daemon->output().find("tk_secret") == std::string::npos, "the token was logged");

    auto const id = create_alert(alert_body(R"(["ntfy","discord","email","slack"])"));
    auto const alert = this->alert(id);
    json::array const expected{"email", "discord", "slack", "ntfy"};
    BOOST_TEST(alert.at("channels").as_array() == expected);

    // null removes; other settings stay.
    auto res = patch_me({{"slack_webhook_url", nullptr}});
    BOOST_REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    BOOST_TEST(channels_of_me() == (std::vector<std::string>{"email", "discord", "ntfy"}));
    BOOST_TEST(call(verb::post, "/api/alerts", alert_body(R"(["slack"])")).result_int() == 422);
    // A PATCH naming the channel is refused; one that leaves channels alone
    // still works on the alert that has it.
    auto const path = "/api/alerts/" + std::to_string(id);
    res = call(verb::patch, path, R"({"channels":["slack","email"]})");
    BOOST_TEST(res.result_int() == 422);
    BOOST_TEST(problem_fields(res) == std::vector<std::string>{"channels"});
    BOOST_TEST(call(verb::patch, path, R"({"name":"renamed"})").result_int() == 200);
    BOOST_TEST(call(verb::patch, path, R"({"channels":["discord"]})").result_int() == 200);
    // The token without a URL is kept, but ntfy is set up only by its URL.
    res = patch_me({{"ntfy_url", nullptr}});
    BOOST_REQUIRE(res.result_int() == 200);
    BOOST_TEST(channels_of_me() == (std::vector<std::string>{"email", "discord"}));
}

BOOST_FIXTURE_TEST_CASE(a_fire_reaches_each_service_once_through_an_outage_and_a_rate_limit,
                        chat_fixture) {
    set_up_all();
    discord.answer("503 503"); // down for two attempts, then back
    slack.answer("429:2");     // rate limited: come back in 2 s
    auto const name = std::string("buy <the> dip & *now* @everyone");
    auto const id = create_alert(alert_body(R"(["discord","slack","ntfy","email"])", name));

    trade("3100");
    trade("2999.25");
    BOOST_REQUIRE_MESSAGE(eventually(
                              [&] {
                                  return discord.requests().size() >= 3 &&
                                         slack.requests().size() >= 2 &&
                                         ntfy.requests().size() >= 1 && mail.messages() >= 1;
                              },
                              20s),
                          "discord " << discord.requests().size() << ", slack "
                                     << slack.requests().size() << ", ntfy "
                                     << ntfy.requests().size() << ", mail " << mail.messages()
                                     << "; log: " << daemon->output());
    std::this_thread::sleep_for(3s); // a duplicate would come within notify.retry_max

    // Each service accepted the notice once, under one delivery id.
    for (auto* r : {&discord, &slack, &ntfy}) {
        auto const by_id = accepted_by_delivery(r->requests());
        BOOST_TEST(by_id.size() == 1u);
        BOOST_TEST(by_id.begin()->second == 1);
    }
    BOOST_TEST(discord.requests().size() == 3u);
    BOOST_TEST(slack.requests().size() == 2u);
    BOOST_TEST(ntfy.requests().size() == 1u);
    BOOST_TEST(mail.messages() == 1u);

    // Slack's Retry-After was honoured: not sooner (the backoff alone
    // would have retried after about notify.retry_base, 1 s).
    auto const s = slack.requests();
    BOOST_TEST(s[0].at("status").as_int64() == 429);
    BOOST_TEST(s[1].at("time").as_double() - s[0].at("time").as_double() >= 1.95);

    // Discord: {"content", "allowed_mentions"}, markdown escaped.
    auto const d = discord.requests().back();
    BOOST_TEST(d.at("path").as_string() == "/discord/api/webhooks/1/abc");
    BOOST_TEST(std::string(d.at("headers").at("content-type").as_string()) == "application/json");
    auto const dbody = json::parse(d.at("body").as_string()).as_object();
    auto const content = std::string(dbody.at("content").as_string());
    BOOST_TEST(content.starts_with("BTCUSDT below 3000: fired at 2999.25"));
    BOOST_TEST(content.find("buy <the\\> dip & \\*now\\* @everyone") != std::string::npos, content);
    BOOST_TEST(content.find("(alert #" + std::to_string(id) + ")") != std::string::npos);
    BOOST_TEST(dbody.at("allowed_mentions").at("parse").as_array().empty());

    // Slack: {"text"} with &, <, > escaped.
    auto const sbody = json::parse(s[1].at("body").as_string()).as_object();
    auto const text = std::string(sbody.at("text").as_string());
    BOOST_TEST(sbody.size() == 1u);
    BOOST_TEST(text.find("buy &lt;the&gt; dip &amp; *now* @everyone") != std::string::npos, text);

    // ntfy: the text as the body, Title, Priority, Tags, the bearer token.
    auto const n = ntfy.requests().front();
    auto const& h = n.at("headers").as_object();
    BOOST_TEST(n.at("path").as_string() == "/ntfy/kryptod-alerts");
    BOOST_TEST(std::string(n.at("body").as_string())
                   .starts_with("BTCUSDT below 3000: fired at 2999.25 - \"" + name + "\""));
    BOOST_TEST(h.at("title").as_string() == "kryptod: BTCUSDT below 3000");
    BOOST_TEST(h.at("priority").as_string() == "high");
    BOOST_TEST(h.at("tags").as_string() == "chart_with_downwards_trend");
    BOOST_TEST(h.at("authorization").as_string() == "Bearer tk_secret0123456789");
    BOOST_TEST(daemon->output().find("tk_secret") == std::string::npos, "the token was logged");

    // The history names each channel's attempts.
    std::map<std::string, std::vector<std::string>> seen;
    BOOST_TEST(eventually([&] {
        seen = outcomes(id);
        return seen["discord"].size() == 3 && seen["slack"].size() == 2 &&
               seen["ntfy"].size() == 1 && seen["email"].size() == 1;
    }));
    BOOST_TEST(seen["discord"][0] == "retrying: HTTP 503");
    BOOST_TEST(seen["discord"][2] == "delivered");
    BOOST_TEST(seen["slack"][0] == "retrying: HTTP 429");
    BOOST_TEST(seen["slack"][1] == "delivered");
    BOOST_TEST(seen["ntfy"][0] == "delivered");
    BOOST_TEST(seen["email"][0] == "delivered");
}

BOOST_AUTO_TEST_CASE(the_hourly_cap_counts_every_channel_and_a_removed_channel_is_reported) {
    chat_fixture f({"--notify.max_per_user_per_hour=5"});
    f.set_up_all();
    f.slack.answer("404"); // a deleted Slack webhook: given up at once
    auto const both = R"(["email","discord","slack","ntfy"])";
    auto const first = f.create_alert(alert_body(both));
    auto const second = f.create_alert(alert_body(both));
    auto const later = f.create_alert(
        R"({"symbol":"BTCUSDT","target_price":"2000","direction":"below","channels":["discord"]})");

    f.trade("2999");
    // 8 notifications, 5 sent, 3 suppressed, whatever the channel.
    auto sent = [&] {
        return f.discord.requests().size() + f.slack.requests().size() + f.ntfy.requests().size() +
               f.mail.messages();
    };
    BOOST_REQUIRE_MESSAGE(eventually([&] { return sent() >= 5; }, 20s), f.daemon->output());
    std::size_t suppressed = 0;
    BOOST_REQUIRE(eventually([&] {
        suppressed = f.events(first, "suppressed").size() + f.events(second, "suppressed").size();
        return suppressed == 3;
    }));
    std::this_thread::sleep_for(1500ms);
    BOOST_TEST(sent() == 5u);

    // The 404 from Slack is final, with Slack's reason.
    for (auto const id : {first, second}) {
        auto const seen = f.outcomes(id);
        if (auto it = seen.find("slack"); it != seen.end())
            BOOST_TEST(it->second == std::vector<std::string>{"failed: HTTP 404: no_service"});
    }

    // Discord removed after `later` was made: its fire says so, and nothing
    // is sent (the cap is not what stopped it).
    auto res = f.patch_me({{"discord_webhook_url", nullptr}});
    BOOST_REQUIRE(res.result_int() == 200);
    auto const before = f.discord.requests().size();
    f.trade("1999");
    std::vector<json::object> notified;
    BOOST_REQUIRE(eventually([&] {
        notified = f.events(later, "notified");
        return !notified.empty();
    }));
    BOOST_TEST(notified[0].at("channel").as_string() == "discord");
    BOOST_TEST(notified[0].at("outcome").as_string() == "failed: discord is not set up");
    BOOST_TEST(f.events(later, "suppressed").empty());
    BOOST_TEST(f.alert(later).at("status").as_string() == "triggered");
    BOOST_TEST(f.discord.requests().size() == before);
}

BOOST_AUTO_TEST_SUITE_END()
