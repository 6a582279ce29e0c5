// notify::slack_channel: builds the webhook message and reads Slack's
// answer.
#include "daemon/notify/slack_channel.hpp"

#include "daemon/notify/chat_post.hpp"
#include "daemon/notify/chat_text.hpp"
#include "daemon/notify/http_lane.hpp"
#include "daemon/notify/http_outcome.hpp"

#include <boost/json.hpp>

#include <variant>

namespace kryptod::daemon::notify {

namespace {

std::string escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (char c : text) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else
            out.push_back(c);
    }
    return out;
}

// Slack answers a refused message with a bare error code ("no_service",
// "invalid_payload"): that, and only that shape, is worth showing.
bool error_code_shaped(std::string_view body) noexcept {
    if (body.empty() || body.size() > 64) return false;
    for (char c : body)
        if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
    return true;
}

delivery_result judge(http_answer const& a) {
    delivery_result r = judge_http(a);
    if (r.outcome == delivery_outcome::permanent && a.what == http_answer::kind::answered &&
        error_code_shaped(a.body))
        r.summary += ": " + a.body;
    return r;
}

class slack_channel final : public channel {
public:
    explicit slack_channel(http_lane& http)
        : http_(http) {}

    core::channel id() const noexcept override { return core::channel::slack; }

    plan prepare(attempt const& a) override {
        auto target =
            chat_target_of(a, core::channel::slack, a.user ? &a.user->slack_webhook_url : nullptr,
                           "slack_webhook_url");
        if (auto* refused = std::get_if<delivery_result>(&target)) {
            plan p;
            p.refused = std::move(*refused);
            return p;
        }
        auto const& [alert, url] = std::get<chat_target>(target);
        http_request req;
        req.url = *url;
        req.body = slack_body(*alert);
        req.headers = {"Content-Type: application/json"};
        return chat_post(http_, a, std::move(req), "slack", &judge);
    }

private:
    http_lane& http_;
};

} // namespace

std::string slack_body(alert_notice const& n) {
    return boost::json::serialize(boost::json::object{{"text", escaped(chat_text(n))}});
}

std::unique_ptr<channel> make_slack_channel(channel_context const& context) {
    return std::make_unique<slack_channel>(context.http);
}

} // namespace kryptod::daemon::notify
