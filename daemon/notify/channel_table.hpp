// notify::channel_table: the one list of kryptod's delivery channels. A new
// channel is one file behind notify::channel plus one row here.
#pragma once

#include "daemon/notify/channel.hpp"

#include <memory>
#include <vector>

namespace kryptod::daemon::notify {

// Every channel, built from `context`; throws std::runtime_error when one
// cannot start (libcurl). Indexed by nothing: find a channel by id().
std::vector<std::unique_ptr<channel>> make_channels(channel_context const& context);

} // namespace kryptod::daemon::notify
