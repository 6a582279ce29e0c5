// notify::telegram_api: Bot API requests and answers; see telegram_api.hpp.
#include "daemon/notify/telegram_api.hpp"

#include "core/rfc3339.hpp"
#include "daemon/log.hpp"

#include <fstream>
#include <sstream>

namespace kryptod::daemon::notify {

namespace json = boost::json;

namespace {

std::string_view trimmed(std::string_view s) {
    auto const first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    auto const last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

bool token_shaped(std::string_view t) {
    auto const colon = t.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == t.size()) return false;
    for (char c : t.substr(0, colon))
        if (c < '0' || c > '9') return false;
    for (char c : t.substr(colon + 1)) {
        bool const ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                        (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::optional<std::int64_t> int_at(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    if (v == nullptr || !v->is_int64()) return std::nullopt;
    return v->as_int64();
}

// "2026-12-06 00:31:07 UTC" from RFC 3339's "2026-12-06T00:31:07.123Z".
std::string readable_time(core::millis t) {
    std::string s = core::format_rfc3339(t);
    if (s.size() >= 19) {
        s = s.substr(0, 19);
        s[10] = ' ';
    }
    return s + " UTC";
}

} // namespace

telegram_settings telegram_settings_from(config::telegram_section const& section) {
    telegram_settings s;
    s.api_url = section.api_url;
    while (s.api_url.ends_with('/'))
        s.api_url.pop_back();
    s.chat_messages_per_minute = section.chat_messages_per_minute;
    s.messages_per_second = section.messages_per_second;
    if (section.bot_token_file.empty()) return s;
    auto read = read_bot_token(section.bot_token_file);
    if (read.token.empty())
        log::error("telegram.bot_token_file: ", read.error, "; Telegram is off");
    else
        s.token = std::move(read.token);
    return s;
}

token_read read_bot_token(std::filesystem::path const& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return {{}, "cannot read " + file.string()};
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return {{}, "cannot read " + file.string()};
    std::string const all = text.str();
    auto const token = trimmed(all);
    if (token.empty()) return {{}, file.string() + " is empty"};
    if (!token_shaped(token))
        return {{},
                file.string() + " does not hold a bot token (<digits>:<letters>, as @BotFather "
                                "gives it)"};
    return {std::string(token), {}};
}

std::string method_url(telegram_settings const& bot, std::string_view method) {
    return bot.api_url + "/bot" + bot.token + "/" + std::string(method);
}

telegram_answer read_answer(long status, std::string_view body) {
    telegram_answer a;
    a.error_code = status;
    boost::system::error_code ec;
    auto parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) {
        a.description = "not a Bot API answer (HTTP " + std::to_string(status) + ")";
        return a;
    }
    auto const& o = parsed.as_object();
    auto const* ok = o.if_contains("ok");
    a.ok = ok != nullptr && ok->is_bool() && ok->as_bool() && status >= 200 && status <= 299;
    if (auto code = int_at(o, "error_code")) a.error_code = static_cast<long>(*code);
    if (auto const* d = o.if_contains("description"); d != nullptr && d->is_string())
        a.description = std::string(d->as_string());
    if (auto const* p = o.if_contains("parameters"); p != nullptr && p->is_object())
        if (auto after = int_at(p->as_object(), "retry_after"); after && *after > 0)
            a.retry_after = static_cast<int>(std::min<std::int64_t>(*after, 86400));
    if (auto const* r = o.if_contains("result")) a.result = *r;
    if (!a.ok && a.description.empty()) a.description = "HTTP " + std::to_string(status);
    return a;
}

std::vector<telegram_update> read_updates(json::value const& result) {
    std::vector<telegram_update> out;
    if (!result.is_array()) return out;
    for (auto const& v : result.as_array()) {
        if (!v.is_object()) continue;
        auto const& o = v.as_object();
        auto id = int_at(o, "update_id");
        if (!id) continue;
        telegram_update u;
        u.update_id = *id;
        if (auto const* m = o.if_contains("message"); m != nullptr && m->is_object()) {
            auto const& msg = m->as_object();
            if (auto const* c = msg.if_contains("chat"); c != nullptr && c->is_object())
                u.chat = int_at(c->as_object(), "id");
            if (auto const* t = msg.if_contains("text"); t != nullptr && t->is_string())
                u.text = std::string(t->as_string());
        }
        out.push_back(std::move(u));
    }
    return out;
}

std::string send_message_body(std::int64_t chat, std::string_view text) {
    json::object o;
    o["chat_id"] = chat;
    o["text"] = text;
    o["link_preview_options"] = json::object{{"is_disabled", true}};
    return json::serialize(o);
}

std::string alert_message_text(alert_notice const& n) {
    std::string text = n.symbol + " " + std::string(core::to_string(n.side)) + " " +
                       n.target.to_string() + ": fired at " + n.trigger_price.to_string() + "\n";
    if (!n.name.empty()) text += n.name + "\n";
    text += "alert " + std::to_string(n.alert) + ", " + readable_time(n.exchange_time);
    if (n.backfilled) text += " (replayed from a feed gap)";
    return text;
}

chat_request read_chat_request(std::string_view text) {
    text = trimmed(text);
    auto const space = text.find_first_of(" \t\n");
    std::string_view word = text.substr(0, space);
    // "/start@kryptod_bot" in a group names the bot it is meant for.
    if (auto const at = word.find('@'); at != std::string_view::npos) word = word.substr(0, at);
    chat_request r;
    if (word == "/start") {
        r.command = chat_command::start;
        if (space != std::string_view::npos) r.code = std::string(trimmed(text.substr(space)));
    } else if (word == "/stop") {
        r.command = chat_command::stop;
    }
    return r;
}

} // namespace kryptod::daemon::notify
