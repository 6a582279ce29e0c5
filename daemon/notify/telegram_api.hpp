// notify::telegram_api: what kryptod says to the Telegram Bot API and how
// it reads the answers, without I/O (the channel and the poller send).
//
// Messages are plain text: sendMessage gets no parse_mode, so nothing a
// user writes (an alert named `*_[x]`, a stray backtick) is markup and no
// escaping can go wrong. Every Bot API answer is a JSON object
// {"ok", "result" | "error_code", "description", "parameters":
// {"retry_after"}}; read_answer() never throws.
//
// The token is a secret: it is part of every method URL (the Bot API wants
// it there), so a URL is never logged, and the settings print without it.
#pragma once

#include "daemon/config.hpp"
#include "daemon/notify/notice.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::daemon::notify {

// The bot as the daemon runs it (telegram.*); an empty token: Telegram off.
struct telegram_settings {
    std::string api_url; // without a trailing slash
    std::string token;
    std::uint32_t chat_messages_per_minute = 0;
    std::uint32_t messages_per_second = 0;

    bool enabled() const noexcept { return !token.empty(); }
};

// The [telegram] section as settings, the token read from
// telegram.bot_token_file. A file that cannot be used is logged as one
// error line and gives settings without a token (Telegram off).
telegram_settings telegram_settings_from(config::telegram_section const& section);

// Reads a bot token file: the token, surrounding white space removed.
// Fails (with a one-line reason that never contains the file's text) when
// the file cannot be read or does not hold one "<digits>:<letters, digits,
// _ or ->" token.
struct token_read {
    std::string token; // set on success
    std::string error; // otherwise
};
token_read read_bot_token(std::filesystem::path const& file);

// "<api_url>/bot<token>/<method>".
std::string method_url(telegram_settings const& bot, std::string_view method);

// One Bot API answer.
struct telegram_answer {
    bool ok = false;
    long error_code = 0;     // the answer's own, or the HTTP status
    std::string description; // the Bot API's words, when not ok
    int retry_after = 0;     // seconds, from a 429's parameters
    boost::json::value result;
};
// Reads an answer body; `status` stands in for a missing error_code. A body
// that is not a Bot API answer is not ok, with a description saying so.
telegram_answer read_answer(long status, std::string_view body);

// A message sent to the bot, as the poller needs it.
struct telegram_update {
    std::int64_t update_id = 0;
    std::optional<std::int64_t> chat; // the chat of a message, if it is one
    std::string text;                 // the message's text, may be empty
};
// The updates of a getUpdates result, in order; entries without an
// update_id are skipped (they cannot be acknowledged anyway).
std::vector<telegram_update> read_updates(boost::json::value const& result);

// The sendMessage body of `text` to `chat`: plain text, no link previews.
std::string send_message_body(std::int64_t chat, std::string_view text);

// The message of an alert notice, for example
//   BTCUSDT below 3000: fired at 2999.25
//   buy the dip
//   alert 12, 2026-12-06 00:31:07 UTC (replayed from a feed gap)
// The name line is left out when the alert has none; the last line is the
// alert's id and when the trade happened.
std::string alert_message_text(alert_notice const& n);

// What the bot answers to a chat. A /start code is the text after
// "/start " (Telegram passes a deep link's parameter that way).
enum class chat_command { start, stop, other };
struct chat_request {
    chat_command command = chat_command::other;
    std::string code; // /start's argument, may be empty
};
chat_request read_chat_request(std::string_view text);

} // namespace kryptod::daemon::notify
