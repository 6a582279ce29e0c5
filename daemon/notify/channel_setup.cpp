// notify::channel_setup: the settings each channel needs.
#include "daemon/notify/channel_setup.hpp"

namespace kryptod::daemon::notify {

namespace {

bool set(std::optional<std::string> const& value) noexcept {
    return value && !value->empty();
}

} // namespace

core::channel channels_set_up(storage::user_store::user_record const& user) noexcept {
    core::channel out = core::channel::email;
    if (set(user.webhook_url)) out = out | core::channel::webhook;
    if (set(user.discord_webhook_url)) out = out | core::channel::discord;
    if (set(user.slack_webhook_url)) out = out | core::channel::slack;
    if (set(user.ntfy_url)) out = out | core::channel::ntfy;
    if (user.telegram_linked) out = out | core::channel::telegram;
    return out;
}

std::string not_set_up(core::channel single) {
    return std::string(core::to_string(single)) + " is not set up";
}

} // namespace kryptod::daemon::notify
