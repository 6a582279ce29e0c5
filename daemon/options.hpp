// daemon::options: every part's settings, filled from the configuration in
// this one place.
//
// The configuration's key table (config.cpp) owns every default; the option
// structs of the parts (the listener's limits, the writer's, the feed's, the
// engine's, the sender's) have no defaults of their own for the values a key
// sets. The daemon builds each part from these functions, and tests that want
// the daemon's settings call them with load_config({}) (the defaults) and
// change what they need.
//
// The conversions are plain: seconds in the file become the milliseconds a
// part counts in; nothing is validated here (load_config() did that).
#pragma once

#include "daemon/api/alerts.hpp"
#include "daemon/api/api_context.hpp"
#include "daemon/config.hpp"
#include "daemon/feed/feed_options.hpp"
#include "daemon/live_alerts.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/stream/stream_hub.hpp"
#include "http/listener.hpp"
#include "storage/writer.hpp"

namespace kryptod::daemon {

// http.max_body, max_connections, max_connections_per_ip, header_timeout,
// first_byte_timeout, idle_timeout.
http::server_limits server_limits_from(config const& cfg);

// storage.queue_limit.
storage::writer_options writer_options_from(config const& cfg);

// notify.max_per_user_per_hour.
live_alerts_options live_alerts_options_from(config const& cfg);

// feed.url, rest_url, ca_file, stale_after, backfill_max, backfill_hold.
feed::feed_options feed_options_from(config const& cfg);

// auth.access_ttl, refresh_ttl, rate_limit; http.max_body, public_url;
// notify.account_emails_per_day, webhook_allow_private.
api::api_settings api_settings_from(config const& cfg);

// stream.max_per_user, max_clients.
stream::hub_options hub_options_from(config const& cfg);

// alerts.max_active_per_user.
api::alert_api_settings alert_api_settings_from(config const& cfg);

// notify.max_attempts, webhook_allow_private, retry_base, retry_max.
notify::sender_options sender_options_from(config const& cfg);

} // namespace kryptod::daemon
