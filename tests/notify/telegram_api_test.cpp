// Tests daemon/notify/telegram_api.hpp: the token file, Bot API answers
// (ok, errors, 429's retry_after, junk), updates, the chat commands, and an
// alert's plain-text message with Markdown in its name left as written.
#include "daemon/notify/telegram_api.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace kryptod::daemon::notify;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(telegram_api)

BOOST_AUTO_TEST_CASE(a_token_file_holds_one_token_and_its_text_never_shows_in_errors) {
    kryptod::test_support::temp_dir dir{"kryptod-telegram-token"};
    auto const file = dir.path / "bot.token";
    std::ofstream(file) << "  123456:AbC-d_e9\n";
    BOOST_TEST(read_bot_token(file).token == "123456:AbC-d_e9");

    std::ofstream(file) << "not a token at all";
    auto const bad = read_bot_token(file);
    BOOST_TEST(bad.token.empty());
    BOOST_TEST(bad.error.find("not a token") == std::string::npos);
    BOOST_TEST(bad.error.find("does not hold a bot token") != std::string::npos);

    std::ofstream(file) << "\n";
    BOOST_TEST(read_bot_token(file).error.find("is empty") != std::string::npos);
    BOOST_TEST(read_bot_token(dir.path / "missing").error.find("cannot read") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(answers_read_as_ok_error_or_rate_limited) {
    auto const ok = read_answer(200, R"({"ok":true,"result":{"username":"b"}})");
    BOOST_TEST(ok.ok);
    BOOST_TEST(ok.result.at("username").as_string() == "b");

    auto const limited = read_answer(
        429, R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7",)"
             R"("parameters":{"retry_after":7}})");
    BOOST_TEST(!limited.ok);
    BOOST_TEST(limited.error_code == 429);
    BOOST_TEST(limited.retry_after == 7);

    auto const blocked = read_answer(
        403,
        R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})");
    BOOST_TEST(!blocked.ok);
    BOOST_TEST(blocked.description == "Forbidden: bot was blocked by the user");

    auto const junk = read_answer(502, "<html>bad gateway</html>");
    BOOST_TEST(!junk.ok);
    BOOST_TEST(junk.error_code == 502);
    BOOST_TEST(junk.description == "not a Bot API answer (HTTP 502)");
    BOOST_TEST(!read_answer(500, R"({"ok":true})").ok, "a 5xx is never ok");
}

BOOST_AUTO_TEST_CASE(updates_give_their_chat_and_text_and_skip_what_has_no_id) {
    auto const result =
        json::parse(R"([{"update_id":5,"message":{"chat":{"id":-100123},"text":"/start abc"}},)"
                    R"({"update_id":6,"edited_message":{}},{"message":{"chat":{"id":1}}}])");
    auto const updates = read_updates(result);
    BOOST_REQUIRE(updates.size() == 2u);
    BOOST_TEST(updates[0].update_id == 5);
    BOOST_TEST((updates[0].chat == std::optional<std::int64_t>(-100123)));
    BOOST_TEST(updates[0].text == "/start abc");
    BOOST_TEST(updates[1].update_id == 6);
    BOOST_TEST(!updates[1].chat.has_value());
}

BOOST_AUTO_TEST_CASE(chat_commands_are_read_with_or_without_the_bots_name) {
    auto const start = read_chat_request("/start 0123abcd");
    BOOST_TEST((start.command == chat_command::start));
    BOOST_TEST(start.code == "0123abcd");
    BOOST_TEST((read_chat_request("/start@kryptod_bot  xyz ").code == "xyz"));
    BOOST_TEST((read_chat_request("/start").command == chat_command::start));
    BOOST_TEST(read_chat_request("/start").code.empty());
    BOOST_TEST((read_chat_request("/stop@kryptod_bot").command == chat_command::stop));
    BOOST_TEST((read_chat_request("/stopped").command == chat_command::other));
    BOOST_TEST((read_chat_request("hello").command == chat_command::other));
}

BOOST_AUTO_TEST_CASE(an_alert_is_plain_text_with_its_name_as_written) {
    alert_notice n;
    n.alert = 12;
    n.symbol = "BTCUSDT";
    n.name = "*_[x](y)`";
    n.target = kryptod::core::price::parse("3000").value;
    n.side = kryptod::core::direction::below;
    n.trigger_price = kryptod::core::price::parse("2999.25").value;
    n.exchange_time = 1'765'000'000'000;
    BOOST_TEST(
        alert_message_text(n) ==
        "BTCUSDT below 3000: fired at 2999.25\n*_[x](y)`\nalert 12, 2025-12-06 05:46:40 UTC");
    n.name.clear();
    n.backfilled = true;
    BOOST_TEST(alert_message_text(n) == "BTCUSDT below 3000: fired at 2999.25\nalert 12, "
                                        "2025-12-06 05:46:40 UTC (replayed from a feed gap)");
    auto const body = json::parse(send_message_body(-5, "a *b*")).as_object();
    BOOST_TEST(body.at("chat_id").as_int64() == -5);
    BOOST_TEST(body.at("text").as_string() == "a *b*");
    BOOST_TEST(body.if_contains("parse_mode") == nullptr, "plain text: no parse_mode");
}

BOOST_AUTO_TEST_SUITE_END()
