// notify::ntfy_channel: builds the push and reads ntfy's answer.
#include "daemon/notify/ntfy_channel.hpp"

#include "daemon/notify/chat_post.hpp"
#include "daemon/notify/chat_text.hpp"
#include "daemon/notify/http_lane.hpp"
#include "daemon/notify/http_outcome.hpp"

#include <variant>

namespace kryptod::daemon::notify {

namespace {

class ntfy_channel final : public channel {
public:
    explicit ntfy_channel(http_lane& http)
        : http_(http) {}

    core::channel id() const noexcept override { return core::channel::ntfy; }

    plan prepare(attempt const& a) override {
        auto target = chat_target_of(a, core::channel::ntfy, a.user ? &a.user->ntfy_url : nullptr,
                                     "ntfy_url");
        plan refusal;
        if (auto* refused = std::get_if<delivery_result>(&target)) {
            refusal.refused = std::move(*refused);
            return refusal;
        }
        auto const& [alert, url] = std::get<chat_target>(target);
        http_request req;
        req.url = *url;
        req.body = chat_text(*alert);
        req.headers = ntfy_headers(*alert);
        if (a.user->ntfy_token) {
            if (!ntfy_token_usable(*a.user->ntfy_token)) {
                refusal.refused = {delivery_outcome::permanent, 0,
                                   "the user's ntfy_token is unusable", "invalid ntfy_token"};
                return refusal;
            }
            req.headers.push_back("Authorization: Bearer " + *a.user->ntfy_token);
        }
        return chat_post(http_, a, std::move(req), "ntfy", &judge_http);
    }

private:
    http_lane& http_;
};

} // namespace

bool ntfy_token_usable(std::string_view token) noexcept {
    if (token.empty() || token.size() > 256) return false;
    for (char c : token)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

std::vector<std::string> ntfy_headers(alert_notice const& n) {
    return {"Content-Type: text/plain; charset=utf-8", "Title: " + chat_title(n), "Priority: high",
            std::string("Tags: ") + (n.side == core::direction::above
                                         ? "chart_with_upwards_trend"
                                         : "chart_with_downwards_trend")};
}

std::unique_ptr<channel> make_ntfy_channel(channel_context const& context) {
    return std::make_unique<ntfy_channel>(context.http);
}

} // namespace kryptod::daemon::notify
