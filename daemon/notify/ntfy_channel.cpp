// notify::ntfy_channel: builds the push and reads ntfy's answer.
#include "daemon/notify/ntfy_channel.hpp"

#include "daemon/notify/channel_setup.hpp"
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
        plan p;
        auto const* alert = std::get_if<alert_notice>(&a.what);
        if (alert == nullptr) {
            p.refused = {delivery_outcome::permanent, 0, "account messages go by email only",
                         "not an ntfy message"};
            return p;
        }
        if (a.user == nullptr || !a.user->ntfy_url || a.user->ntfy_url->empty()) {
            p.refused = {delivery_outcome::permanent, 0, "the user has no ntfy_url",
                         not_set_up(core::channel::ntfy)};
            return p;
        }
        http_request req;
        req.url = *a.user->ntfy_url;
        req.body = chat_text(*alert);
        req.headers = ntfy_headers(*alert);
        req.headers.push_back("X-Kryptod-Delivery: " + a.row.delivery_id);
        if (a.user->ntfy_token) {
            if (!ntfy_token_usable(*a.user->ntfy_token)) {
                p.refused = {delivery_outcome::permanent, 0, "the user's ntfy_token is unusable",
                             "invalid ntfy_token"};
                return p;
            }
            req.headers.push_back("Authorization: Bearer " + *a.user->ntfy_token);
        }
        p.destination = private_destination("ntfy", req.url);
        p.max_in_flight = 1;
        p.start = [this, req = std::move(req)](completion done) mutable {
            http_.submit(std::move(req), [done = std::move(done)](http_answer answer) {
                done(judge_http(answer));
            });
        };
        return p;
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
