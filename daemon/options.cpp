// daemon::options: the configuration's values in each part's settings.
#include "daemon/options.hpp"

namespace kryptod::daemon {

http::server_limits server_limits_from(config const& cfg) {
    http::server_limits limits;
    limits.max_body = cfg.http.max_body;
    limits.max_connections = cfg.http.max_connections;
    limits.max_connections_per_ip = cfg.http.max_connections_per_ip;
    limits.header_timeout = cfg.http.header_timeout;
    limits.first_byte_timeout = cfg.http.first_byte_timeout;
    limits.idle_timeout = cfg.http.idle_timeout;
    return limits;
}

storage::writer_options writer_options_from(config const& cfg) {
    storage::writer_options options;
    options.queue_capacity = cfg.storage.queue_limit;
    return options;
}

live_alerts_options live_alerts_options_from(config const& cfg) {
    live_alerts_options options;
    options.max_per_user_per_hour = cfg.notify.max_per_user_per_hour;
    return options;
}

feed::feed_options feed_options_from(config const& cfg) {
    feed::feed_options options;
    options.url = cfg.feed.url;
    options.rest_url = cfg.feed.rest_url;
    options.ca_file = cfg.feed.ca_file;
    options.stale_after = cfg.feed.stale_after;
    options.backfill_max = cfg.feed.backfill_max;
    options.backfill_hold = cfg.feed.backfill_hold;
    return options;
}

notify::sender_options sender_options_from(config const& cfg) {
    notify::sender_options options;
    options.max_attempts = static_cast<int>(cfg.notify.max_attempts);
    options.webhook_allow_private = cfg.notify.webhook_allow_private;
    options.retry_base = cfg.notify.retry_base;
    options.retry_max = cfg.notify.retry_max;
    return options;
}

api::api_settings api_settings_from(config const& cfg) {
    api::api_settings s;
    s.access_ttl = cfg.auth.access_ttl;
    s.refresh_ttl = cfg.auth.refresh_ttl;
    s.rate_limit = cfg.auth.rate_limit;
    s.max_body = cfg.http.max_body;
    s.account_emails_per_day = cfg.notify.account_emails_per_day;
    s.allow_private_urls = cfg.notify.webhook_allow_private;
    s.public_url = cfg.http.public_url;
    while (s.public_url.ends_with('/'))
        s.public_url.pop_back();
    return s;
}

stream::hub_options hub_options_from(config const& cfg) {
    stream::hub_options options;
    options.max_per_user = cfg.stream.max_per_user;
    options.max_clients = cfg.stream.max_clients;
    return options;
}

api::alert_api_settings alert_api_settings_from(config const& cfg) {
    api::alert_api_settings s;
    s.max_active_per_user = cfg.alerts.max_active_per_user;
    return s;
}

} // namespace kryptod::daemon
