// notify::slack_channel: builds the webhook message and reads Slack's
// answer.
#include "daemon/notify/slack_channel.hpp"

#include "daemon/notify/channel_setup.hpp"
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
        plan p;
        auto const* alert = std::get_if<alert_notice>(&a.what);
        if (alert == nullptr) {
            p.refused = {delivery_outcome::permanent, 0, "account messages go by email only",
                         "not a Slack message"};
            return p;
        }
        if (a.user == nullptr || !a.user->slack_webhook_url || a.user->slack_webhook_url->empty()) {
            p.refused = {delivery_outcome::permanent, 0, "the user has no slack_webhook_url",
                         not_set_up(core::channel::slack)};
            return p;
        }
        http_request req;
        req.url = *a.user->slack_webhook_url;
        req.body = slack_body(*alert);
        req.headers = {"Content-Type: application/json",
                       "X-Kryptod-Delivery: " + a.row.delivery_id};
        p.destination = private_destination("slack", req.url);
        p.max_in_flight = 1;
        p.start = [this, req = std::move(req)](completion done) mutable {
            http_.submit(std::move(req),
                         [done = std::move(done)](http_answer answer) { done(judge(answer)); });
        };
        return p;
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
