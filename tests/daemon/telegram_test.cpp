// Telegram through the whole product (SPEC §10): the real kryptod against
// the fake Bot API (tests/notify/telegram_bot_api.py) and the test exchange.
// A user asks for a link, the chat sends "/start <code>", alerts fired by
// trades arrive in that chat as plain text, and "/stop" or DELETE unlinks;
// the update offset survives a kill in the middle of a long poll; a 429
// storm and a burst of 200 fires for one chat are paced and delivered once
// each while another user's message goes past; a fire by telegram and email
// reaches both once; a token the Bot API refuses leaves the rest of the
// daemon serving.
#include "tests/support/daemon_harness.hpp"
#include "tests/support/telegram_fake.hpp"

#include <algorithm>
#include <set>

using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr std::int64_t alice_chat = 1001;

bool contains(std::string const& text, std::string const& part) {
    return text.find(part) != std::string::npos;
}

// Asks for a link as the harness's user; waits out the bot's start-up (503
// until getMe answered).
json::object ask_link(daemon_harness& h) {
    bhttp::response<bhttp::string_body> res;
    BOOST_REQUIRE_MESSAGE(eventually([&] {
                              res = h.call(bhttp::verb::post, "/api/auth/me/telegram");
                              return res.result_int() != 503;
                          }),
                          "the bot never came up: " << h.daemon->output());
    BOOST_REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return json_of(res);
}

// Links `chat` to the harness's user through /start; the reply it got.
std::string link(daemon_harness& h, telegram_fake& bot, std::int64_t chat) {
    auto const code = std::string(ask_link(h).at("code").as_string());
    auto const before = bot.texts_to(chat).size();
    bot.update(chat, "/start " + code);
    BOOST_REQUIRE_MESSAGE(eventually([&] { return bot.texts_to(chat).size() > before; }),
                          "no answer to /start: " << h.daemon->output());
    return bot.texts_to(chat).back();
}

} // namespace

BOOST_AUTO_TEST_SUITE(telegram)

BOOST_AUTO_TEST_CASE(a_linked_chat_gets_alerts_as_plain_text_and_unlinks_both_ways) {
    telegram_fake bot;
    daemon_harness h;
    h.start(bot.flags(telegram_fake::token_file(h.dir.path / "bot.token")));

    auto const link_answer = ask_link(h);
    auto const code = std::string(link_answer.at("code").as_string());
    BOOST_TEST(code.size() >= 16u);
    BOOST_TEST(std::string(link_answer.at("link").as_string()) ==
               "https://t.me/kryptod_test_bot?start=" + code);
    BOOST_TEST(link_answer.at("expires_in").as_int64() == 900);

    bot.update(alice_chat, "/start " + code);
    BOOST_REQUIRE(eventually([&] { return !bot.texts_to(alice_chat).empty(); }));
    BOOST_TEST(bot.texts_to(alice_chat).back().starts_with("Linked to alice@example.com"));
    // A code works once: another chat cannot take the link over with it.
    bot.update(2002, "/start " + code);
    BOOST_REQUIRE(eventually([&] { return !bot.texts_to(2002).empty(); }));
    BOOST_TEST(contains(bot.texts_to(2002).back(), "unknown, used or expired"));

    // A name full of Markdown must come through verbatim: plain text.
    auto const id =
        h.create_alert(R"({"symbol":"btcusdt","target_price":"3000",)"
                       R"("direction":"below","name":"*_[x]`","channels":["telegram"]})");
    h.trade("2999.25");
    BOOST_REQUIRE_MESSAGE(eventually([&] { return bot.texts_to(alice_chat).size() == 2; }),
                          h.daemon->output());
    auto const alert_text = bot.texts_to(alice_chat).back();
    BOOST_TEST(alert_text.starts_with("BTCUSDT below 3000: fired at 2999.25\n*_[x]`\nalert " +
                                      std::to_string(id) + ", "));
    BOOST_REQUIRE(eventually([&] { return h.events(id, "notified").size() == 1; }));
    auto const ev = h.events(id, "notified").front();
    BOOST_TEST(ev.at("channel").as_string() == "telegram");
    BOOST_TEST(ev.at("outcome").as_string() == "delivered");

    // DELETE unlinks: a later fire sends nothing to the chat.
    auto const second = h.create_alert(R"({"symbol":"btcusdt","target_price":"2000",)"
                                       R"("direction":"below","channels":["telegram"]})");
    BOOST_TEST(h.call(bhttp::verb::delete_, "/api/auth/me/telegram").result_int() == 204);
    h.trade("1999");
    BOOST_REQUIRE(eventually([&] { return h.alert(second).at("status") == "triggered"; }));
    // Nothing is queued for a channel no longer set up; the history says so.
    BOOST_REQUIRE(eventually([&] { return h.events(second, "notified").size() == 1; }));
    BOOST_TEST(h.events(second, "notified").front().at("outcome").as_string() ==
               "failed: telegram is not set up");
    BOOST_TEST(bot.texts_to(alice_chat).size() == 2u);

    // Linked again, then /stop from the chat unlinks and says so.
    BOOST_TEST(link(h, bot, alice_chat).starts_with("Linked to alice@example.com"));
    auto const third = h.create_alert(R"({"symbol":"btcusdt","target_price":"1000",)"
                                      R"("direction":"below","channels":["telegram"]})");
    auto const before = bot.texts_to(alice_chat).size();
    bot.update(alice_chat, "/stop");
    BOOST_REQUIRE(eventually([&] { return bot.texts_to(alice_chat).size() == before + 1; }));
    BOOST_TEST(bot.texts_to(alice_chat).back().starts_with("Unlinked from alice@example.com"));
    h.trade("999");
    BOOST_REQUIRE(eventually([&] { return h.alert(third).at("status") == "triggered"; }));
    BOOST_REQUIRE(eventually([&] { return h.events(third, "notified").size() == 1; }));
    BOOST_TEST(h.events(third, "notified").front().at("outcome").as_string() ==
               "failed: telegram is not set up");
    BOOST_TEST(bot.texts_to(alice_chat).size() == before + 1);

    // A chat that blocked the bot: the row is given up, the event says why.
    link(h, bot, alice_chat);
    bot.command("block " + std::to_string(alice_chat));
    auto const fourth = h.create_alert(R"({"symbol":"btcusdt","target_price":"500",)"
                                       R"("direction":"below","channels":["telegram"]})");
    h.trade("499");
    BOOST_REQUIRE(eventually([&] { return h.events(fourth, "notified").size() == 1; }));
    BOOST_TEST(std::string(h.events(fourth, "notified").front().at("outcome").as_string()) ==
               "failed: Telegram 403: Forbidden: bot was blocked by the user");
    BOOST_TEST(!contains(h.daemon->output(), telegram_fake::token), "the token is never logged");
    h.terminate();
}

BOOST_AUTO_TEST_CASE(a_restart_in_the_middle_of_long_polling_neither_repeats_nor_loses_updates) {
    telegram_fake bot;
    daemon_harness h;
    auto const flags = bot.flags(telegram_fake::token_file(h.dir.path / "bot.token"));
    h.start(flags);
    link(h, bot, alice_chat);
    // Killed while its getUpdates waits on the fake.
    BOOST_REQUIRE(eventually([&] { return bot.stats().at("waiting").as_int64() == 1; }));
    h.kill();
    bot.update(alice_chat, "/stop"); // sent while kryptod is down
    h.start(flags);
    BOOST_REQUIRE_MESSAGE(eventually([&] { return bot.texts_to(alice_chat).size() == 2; }),
                          h.daemon->output());
    // SIGTERM in the middle of a long poll stops promptly too.
    BOOST_REQUIRE(eventually([&] { return bot.stats().at("waiting").as_int64() == 1; }));
    h.terminate();
    bot.update(alice_chat, "/start nonsense");
    h.start(flags);
    BOOST_REQUIRE(eventually([&] { return bot.texts_to(alice_chat).size() == 3; }));
    BOOST_REQUIRE(eventually([&] { return bot.stats().at("waiting").as_int64() == 1; }));
    auto const texts = bot.texts_to(alice_chat);
    BOOST_REQUIRE_EQUAL(texts.size(), 3u); // one answer per update, none twice
    BOOST_TEST(texts[0].starts_with("Linked to alice@example.com"));
    BOOST_TEST(texts[1].starts_with("Unlinked from alice@example.com"));
    BOOST_TEST(contains(texts[2], "unknown, used or expired"));
    // Never asked again from before an update it had handled.
    auto const offsets = bot.stats().at("offsets").as_array();
    for (std::size_t i = 1; i < offsets.size(); ++i)
        BOOST_TEST(offsets[i].as_int64() >= offsets[i - 1].as_int64());
    BOOST_TEST(offsets.back().as_int64() == 4);
    h.terminate();
}

BOOST_AUTO_TEST_CASE(a_burst_and_a_429_storm_are_paced_delivered_once_and_block_nobody_else) {
    telegram_fake bot;
    daemon_harness h;
    add_user(h.db, "bob@example.com", "correct horse battery", h.dir.path / "add-bob.log");
    auto flags = bot.flags(telegram_fake::token_file(h.dir.path / "bot.token"));
    // 50 ms between two messages to one chat, so the burst takes ~10 s.
    flags.insert(flags.end(),
                 {"--telegram.chat_messages_per_minute=1200", "--notify.max_per_user_per_hour=1000",
                  "--notify.retry_base=1", "--notify.retry_max=2"});
    h.start(flags);
    link(h, bot, alice_chat);
    std::vector<std::int64_t> alerts;
    for (int i = 0; i < 200; ++i)
        alerts.push_back(h.create_alert(R"({"symbol":"btcusdt","target_price":"3000",)"
                                        R"("direction":"below","channels":["telegram"]})"));
    // Bob, linked to his own chat, with one alert of his own.
    std::string const alice_token = h.token;
    http_client c(h.http_port);
    auto login = c.call(bhttp::verb::post, "/api/auth/login",
                        R"({"email":"bob@example.com","password":"correct horse battery"})");
    BOOST_REQUIRE_EQUAL(login.result_int(), 200);
    h.token = std::string(json_of(login).at("access").as_string());
    constexpr std::int64_t bob_chat = 3003;
    link(h, bot, bob_chat);
    auto const bob_alert = h.create_alert(R"({"symbol":"btcusdt","target_price":"3000",)"
                                          R"("direction":"below","channels":["telegram"]})");
    h.token = alice_token;

    // Sends to one chat closer than 25 ms apart are counted as violations;
    // the first 8 sends are refused with retry_after 1.
    bot.command("gap 25");
    bot.command("ratelimit 8 1");
    h.trade("2999");
    BOOST_REQUIRE_MESSAGE(eventually([&] { return bot.texts_to(alice_chat).size() >= 201; }, 90s),
                          "delivered " << bot.texts_to(alice_chat).size() << " of 201");
    BOOST_REQUIRE(eventually([&] { return bot.texts_to(bob_chat).size() >= 2; }));

    auto const messages = bot.messages();
    std::set<std::int64_t> seen;
    std::size_t alice_last = 0, bob_fire = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        auto const chat = messages[i].at("chat_id").as_int64();
        std::string const text(messages[i].at("text").as_string());
        if (!text.starts_with("BTCUSDT")) continue;
        auto const at = text.rfind("alert ");
        auto const id = std::stoll(text.substr(at + 6));
        BOOST_TEST(seen.insert(id).second, "alert " << id << " delivered twice");
        if (chat == alice_chat) alice_last = i;
        if (chat == bob_chat) bob_fire = i;
        BOOST_TEST((chat == alice_chat) == (id != bob_alert));
    }
    BOOST_TEST(seen.size() == 201u);
    BOOST_TEST(bob_fire < alice_last, "bob's message waited behind alice's burst");
    auto const stats = bot.stats();
    BOOST_TEST(stats.at("rate_limited").as_int64() == 8);
    BOOST_TEST(stats.at("gap_violations").as_int64() == 0);
    for (auto const id : {alerts.front(), alerts.back()}) {
        auto const events = h.events(id, "notified");
        BOOST_REQUIRE(!events.empty());
        BOOST_TEST(events.back().at("outcome").as_string() == "delivered");
    }
    h.terminate();
}

BOOST_AUTO_TEST_CASE(a_fire_by_telegram_and_email_reaches_both_once) {
    telegram_fake bot;
    daemon_harness h;
    auto const mail_dir = h.dir.path / "mail";
    std::filesystem::create_directories(mail_dir);
    piped_process smtp({"/usr/bin/python3",
                        (source_dir() / "tests" / "notify" / "smtp_server.py").string(), "--dir",
                        mail_dir.string()});
    auto const ready = smtp.read_line(20s);
    BOOST_REQUIRE_MESSAGE(ready && ready->starts_with("READY "), "SMTP server did not start");
    h.smtp_url = "smtp://127.0.0.1:" + ready->substr(6);
    h.start(bot.flags(telegram_fake::token_file(h.dir.path / "bot.token")));
    link(h, bot, alice_chat);
    auto const id = h.create_alert(R"({"symbol":"btcusdt","target_price":"3000",)"
                                   R"("direction":"below","channels":["telegram","email"]})");
    h.trade("2999.5");
    BOOST_REQUIRE_MESSAGE(eventually([&] { return h.events(id, "notified").size() == 2; }),
                          h.daemon->output());
    std::set<std::string> channels;
    for (auto const& e : h.events(id, "notified")) {
        channels.insert(std::string(e.at("channel").as_string()));
        BOOST_TEST(e.at("outcome").as_string() == "delivered");
    }
    BOOST_TEST((channels == std::set<std::string>{"email", "telegram"}));
    BOOST_TEST(bot.texts_to(alice_chat).size() == 2u); // "Linked to", then the alert
    BOOST_TEST(bot.texts_to(alice_chat).back().starts_with("BTCUSDT below 3000: fired at 2999.5"));
    BOOST_TEST(records_in(mail_dir).size() == 1u);
    h.terminate();
}

BOOST_AUTO_TEST_CASE(a_refused_or_unreadable_token_is_one_error_and_the_api_still_serves) {
    telegram_fake bot;
    daemon_harness h;
    std::string const wrong = "654321:not-the-fakes-token";
    h.start(bot.flags(telegram_fake::token_file(h.dir.path / "bot.token", wrong)));
    BOOST_REQUIRE(eventually([&] {
        return contains(h.daemon->output(), "refused the token in telegram.bot_token_file");
    }));
    auto const res = h.call(bhttp::verb::post, "/api/auth/me/telegram");
    BOOST_TEST(res.result_int() == 503);
    BOOST_TEST(contains(res.body(), "refused this kryptod's bot token"));
    BOOST_TEST(h.call(bhttp::verb::get, "/api/alerts").result_int() == 200);
    BOOST_TEST(h.call(bhttp::verb::delete_, "/api/auth/me/telegram").result_int() == 204);
    BOOST_TEST(!contains(h.daemon->output(), wrong), "the token is never logged");
    h.terminate();

    h.start({"--telegram.bot_token_file=" + (h.dir.path / "missing.token").string()});
    BOOST_TEST(contains(h.daemon->output(), "telegram.bot_token_file: cannot read"));
    auto const off = h.call(bhttp::verb::post, "/api/auth/me/telegram");
    BOOST_TEST(off.result_int() == 503);
    BOOST_TEST(contains(off.body(), "not set up"));
    BOOST_TEST(h.call(bhttp::verb::get, "/api/alerts").result_int() == 200);
    h.terminate();
}

BOOST_AUTO_TEST_SUITE_END()
