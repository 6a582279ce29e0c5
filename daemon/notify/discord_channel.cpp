// notify::discord_channel: builds the webhook message and reads Discord's
// answer.
#include "daemon/notify/discord_channel.hpp"

#include "daemon/notify/chat_post.hpp"
#include "daemon/notify/chat_text.hpp"
#include "daemon/notify/http_lane.hpp"
#include "daemon/notify/http_outcome.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <variant>

namespace kryptod::daemon::notify {

namespace {

namespace json = boost::json;

// A backslash before every character Discord's markdown gives a meaning.
std::string escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (char c : text) {
        if (std::string_view("\\*_~`|>[]").find(c) != std::string_view::npos) out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

// Discord's JSON error body: {"message": "...", "retry_after": 1.5, ...}.
json::object error_body(std::string const& body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return {};
    return std::move(v.as_object());
}

// A short printable-ASCII text, or "" (what a user may be shown of it).
std::string shown(json::value const* v) {
    if (v == nullptr || !v->is_string()) return {};
    std::string_view s = v->get_string();
    if (s.empty() || s.size() > 100) return {};
    for (char c : s)
        if (c < 0x20 || c > 0x7e) return {};
    return std::string(s);
}

delivery_result judge(http_answer const& a) {
    delivery_result r = judge_http(a);
    if (a.what != http_answer::kind::answered || r.delivered()) return r;
    auto const body = error_body(a.body);
    if (a.status == 429) {
        auto const* after = body.if_contains("retry_after");
        if (after != nullptr && after->is_number()) {
            double const seconds = after->to_number<double>();
            if (std::isfinite(seconds) && seconds > 0) {
                auto const ms = std::min<double>(std::ceil(seconds * 1000.0),
                                                 static_cast<double>(max_retry_after.count()));
                r.retry_after =
                    std::max(r.retry_after, std::chrono::milliseconds(static_cast<long>(ms)));
            }
        }
    } else if (r.outcome == delivery_outcome::permanent) {
        if (auto message = shown(body.if_contains("message")); !message.empty())
            r.summary += ": " + message;
    }
    return r;
}

class discord_channel final : public channel {
public:
    explicit discord_channel(http_lane& http)
        : http_(http) {}

    core::channel id() const noexcept override { return core::channel::discord; }

    plan prepare(attempt const& a) override {
        auto target =
            chat_target_of(a, core::channel::discord,
                           a.user ? &a.user->discord_webhook_url : nullptr, "discord_webhook_url");
        if (auto* refused = std::get_if<delivery_result>(&target)) {
            plan p;
            p.refused = std::move(*refused);
            return p;
        }
        auto const& [alert, url] = std::get<chat_target>(target);
        http_request req;
        req.url = *url;
        req.body = discord_body(*alert);
        req.headers = {"Content-Type: application/json"};
        return chat_post(http_, a, std::move(req), "discord", &judge);
    }

private:
    http_lane& http_;
};

} // namespace

std::string discord_body(alert_notice const& n) {
    json::object o;
    o["content"] = truncate_utf8(escaped(chat_text(n)), discord_max_content);
    o["allowed_mentions"] = json::object{{"parse", json::array{}}};
    return json::serialize(o);
}

std::unique_ptr<channel> make_discord_channel(channel_context const& context) {
    return std::make_unique<discord_channel>(context.http);
}

} // namespace kryptod::daemon::notify
