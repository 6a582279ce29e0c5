// The shared state of the API's handlers.
#include "daemon/api/api_context.hpp"

#include "daemon/clock.hpp"
#include "storage/database.hpp"

namespace kryptod::daemon::api {

api_context::api_context(storage::writer& writer, std::filesystem::path const& database,
                         std::string_view secret, api_settings settings,
                         std::shared_ptr<alert_page_cache> alert_pages)
    : settings_(settings)
    , writer_(writer)
    , auth_(secret, users_, settings.access_ttl)
    , hasher_(settings.cost)
    , limits_(settings.rate_limit)
    , workers_(database, settings.worker_threads)
    , alert_pages_(std::move(alert_pages)) {
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

core::millis now_millis() {
    return wall_clock_now();
}

std::int64_t now_seconds() {
    return now_millis() / 1000;
}

} // namespace kryptod::daemon::api
