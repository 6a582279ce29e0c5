// notify::channel_table: one row per channel.
#include "daemon/notify/channel_table.hpp"

#include "daemon/notify/discord_channel.hpp"
#include "daemon/notify/email_channel.hpp"
#include "daemon/notify/ntfy_channel.hpp"
#include "daemon/notify/slack_channel.hpp"
#include "daemon/notify/telegram_channel.hpp"
#include "daemon/notify/webhook_channel.hpp"

namespace kryptod::daemon::notify {

namespace {

using factory = std::unique_ptr<channel> (*)(channel_context const&);

constexpr factory table[] = {
    &make_email_channel,   &make_webhook_channel, &make_telegram_channel,
    &make_discord_channel, &make_slack_channel,   &make_ntfy_channel,
};

} // namespace

std::vector<std::unique_ptr<channel>> make_channels(channel_context const& context) {
    std::vector<std::unique_ptr<channel>> out;
    for (factory make : table)
        out.push_back(make(context));
    return out;
}

} // namespace kryptod::daemon::notify
