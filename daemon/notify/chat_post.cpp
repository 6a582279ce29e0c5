// notify::chat_post: see chat_post.hpp.
#include "daemon/notify/chat_post.hpp"

#include "daemon/notify/channel_setup.hpp"
#include "daemon/notify/http_outcome.hpp"

namespace kryptod::daemon::notify {

std::variant<chat_target, delivery_result> chat_target_of(attempt const& a, core::channel ch,
                                                          std::optional<std::string> const* url,
                                                          std::string_view setting) {
    auto const* alert = std::get_if<alert_notice>(&a.what);
    if (alert == nullptr)
        return delivery_result{delivery_outcome::permanent, 0, "account messages go by email only",
                               "not a " + std::string(core::to_string(ch)) + " message"};
    if (a.user == nullptr || url == nullptr || !*url || (*url)->empty())
        return delivery_result{delivery_outcome::permanent, 0,
                               "the user has no " + std::string(setting), not_set_up(ch)};
    return chat_target{alert, &**url};
}

plan chat_post(http_lane& lane, attempt const& a, http_request req, std::string_view label,
               delivery_result (*judge)(http_answer const&)) {
    plan p;
    req.headers.push_back("X-Kryptod-Delivery: " + a.row.delivery_id);
    p.destination = private_destination(label, req.url);
    // Discord and Slack limit each webhook, ntfy each topic: one at a time.
    p.max_in_flight = 1;
    p.start = [&lane, judge, req = std::move(req)](completion done) mutable {
        lane.submit(std::move(req),
                    [judge, done = std::move(done)](http_answer answer) { done(judge(answer)); });
    };
    return p;
}

} // namespace kryptod::daemon::notify
