// The shared state of the API's handlers.
#include "daemon/api/api_context.hpp"

#include "daemon/api/account_rules.hpp"
#include "storage/database.hpp"

namespace kryptod::daemon::api {

api_settings api_settings::from(config const& cfg) {
    api_settings s;
    s.access_ttl = cfg.auth.access_ttl;
    s.refresh_ttl = cfg.auth.refresh_ttl;
    s.rate_limit = cfg.auth.rate_limit;
    s.max_body = cfg.http.max_body;
    return s;
}

api_context::api_context(storage::writer& writer, std::filesystem::path const& database,
                         std::string_view secret, api_settings settings,
                         std::shared_ptr<alert_page_cache> alert_pages)
    : settings_(settings)
    , writer_(writer)
    , auth_(secret, users_, settings.access_ttl)
    , hasher_(settings.cost)
    , workers_(database, settings.worker_threads)
    , alert_pages_(std::move(alert_pages)) {
    for (auto& action : limiters_)
        for (auto& limiter : action)
            limiter = std::make_unique<http::rate_limiter>(settings.rate_limit);
    auto reader = storage::open_reader(database);
    users_.load(reader);
}

api_context::~api_context() {
    stop();
}

void api_context::stop() {
    workers_.stop();
}

http::json_limits api_context::body_limits() const noexcept {
    http::json_limits limits;
    limits.max_size = settings_.max_body;
    return limits;
}

std::optional<http::response> api_context::check_rate(limited_action action,
                                                      std::string_view address,
                                                      std::string_view account, unsigned version) {
    auto const now = http::rate_limiter::clock::now();
    auto& pair = limiters_[static_cast<int>(action)];
    auto wait = pair[0]->hit(address, now);
    if (!wait) wait = pair[1]->hit(lower_ascii(account), now);
    if (!wait) return std::nullopt;
    auto res = http::problem(http::status::too_many_requests,
                             "too many attempts; retry in " + std::to_string(wait->count()) + " s",
                             {}, version);
    res.set(http::bhttp::field::retry_after, std::to_string(wait->count()));
    return res;
}

core::millis now_millis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t now_seconds() {
    return now_millis() / 1000;
}

} // namespace kryptod::daemon::api
