// The shared state of the account endpoints, and the answers they share.
#include "daemon/api/account_services.hpp"

#include "daemon/log.hpp"

namespace kryptod::daemon::api {

account_settings account_settings::from(config const& cfg) {
    account_settings s;
    s.access_ttl = cfg.auth.access_ttl;
    s.refresh_ttl = cfg.auth.refresh_ttl;
    s.rate_limit = cfg.auth.rate_limit;
    s.max_body = cfg.http.max_body;
    return s;
}

account_services::account_services(storage::writer& writer, std::filesystem::path const& database,
                                   std::string_view secret, account_settings settings)
    : settings_(settings)
    , writer_(writer)
    , auth_(secret, users_, settings.access_ttl)
    , hasher_(settings.cost)
    , workers_(database, settings.worker_threads)
    , alert_pages_(std::make_shared<alert_page_cache>()) {
    writer_.on_alerts_changed([pages = alert_pages_](storage::writer::alert_change phase,
                                                     std::span<std::int64_t const> owners) {
        if (phase == storage::writer::alert_change::committing)
            pages->begin_change(owners);
        else
            pages->end_change(owners);
    });
    for (auto& action : limiters_)
        for (auto& limiter : action)
            limiter = std::make_unique<http::rate_limiter>(settings.rate_limit);
    auto reader = storage::open_reader(database);
    users_.load(reader);
}

account_services::~account_services() {
    stop();
}

void account_services::stop() {
    workers_.stop();
}

http::json_limits account_services::body_limits() const noexcept {
    http::json_limits limits;
    limits.max_size = settings_.max_body;
    return limits;
}

std::optional<http::response> account_services::check_rate(limited_action action,
                                                           std::string_view address,
                                                           std::string_view account,
                                                           unsigned version) {
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

std::function<void(storage::result<storage::user_store::user_record>)>
user_created(std::shared_ptr<account_services> services, http::responder respond,
             unsigned version) {
    return [services = std::move(services), respond = std::move(respond),
            version](storage::result<storage::user_store::user_record> r) {
        if (!r) {
            if (r.err().code == storage::errc::constraint)
                return respond(http::problem(http::status::conflict,
                                             "an account with this email already exists", {},
                                             version));
            return respond(storage_failure(r.err(), version));
        }
        services->users().put(r.value());
        respond(http::json_response(http::status::created, to_json(user_entry::from(r.value())),
                                    version));
    };
}

http::response storage_failure(storage::error const& e, unsigned version) {
    switch (e.code) {
    case storage::errc::queue_full:
    case storage::errc::stopped:
    case storage::errc::busy:
    case storage::errc::disk_full:
    case storage::errc::io_error: {
        log::warning("request failed on storage: ", storage::to_string(e.code), ": ", e.message);
        auto res = http::problem(http::status::service_unavailable,
                                 "the database is unavailable; try again shortly", {}, version);
        res.set(http::bhttp::field::retry_after, "1");
        return res;
    }
    default:
        log::error("request failed on storage: ", storage::to_string(e.code), ": ", e.message);
        return http::problem(http::status::internal_server_error, "internal error", {}, version);
    }
}

http::response writer_refused(storage::error const& e, unsigned version) {
    return storage_failure(e, version);
}

http::response invalid_field(std::string field, std::string message, unsigned version) {
    return http::problem(http::status::unprocessable_entity, "the request has an invalid field",
                         {{std::move(field), std::move(message)}}, version);
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::optional<std::string> password_problem(std::string_view password) {
    if (password.size() < min_password_length)
        return "must be at least " + std::to_string(min_password_length) + " characters";
    if (password.size() > max_password_length)
        return "must be at most " + std::to_string(max_password_length) + " bytes";
    return std::nullopt;
}

std::optional<boost::json::object> read_body(account_services const& services,
                                             http::incoming const& in,
                                             std::span<http::field_spec const> schema,
                                             http::responder const& respond) {
    auto parsed = http::parse_body(in.req.body(), schema, services.body_limits());
    if (auto* error = std::get_if<http::body_error>(&parsed)) {
        respond(error->to_response(in.req.version()));
        return std::nullopt;
    }
    return std::move(std::get<boost::json::object>(parsed));
}

} // namespace kryptod::daemon::api
