// notify::email_channel: alert notices and account emails over SMTP.
//
// Email has a lane of its own: one thread and one SMTP connection, kept
// open between messages (a tick that fires many alerts sends them all over
// one connection and one TLS handshake), so no webhook or chat service,
// however slow, delays mail. Messages go out in the order the sender hands
// them over. When the server does not answer at all, the messages queued
// behind that one fail with it at once instead of each waiting out the same
// timeout; the circuit breaker then holds further ones back.
#pragma once

#include "daemon/notify/channel.hpp"

#include <memory>

namespace kryptod::daemon::notify {

// Throws std::runtime_error when libcurl cannot make a handle.
std::unique_ptr<channel> make_email_channel(channel_context const& context);

} // namespace kryptod::daemon::notify
