// api::account_services: what the account and admin-user endpoints share:
// the user directory, the authenticator, the password hasher, the rate
// limiters, the worker threads and the storage writer.
//
// Where work runs: handlers start on the io_context thread and only parse,
// check and dispatch there. argon2id and SQLite reads run on the worker
// pool; writes go through storage::writer, whose completions come back on
// the io_context. Every path ends in exactly one call of the responder.
//
// Thread-safety: every member may be used from any thread; the writer and
// the limiters are themselves thread-safe.
#pragma once

#include "daemon/api/alert_page_cache.hpp"
#include "daemon/api/authenticator.hpp"
#include "daemon/api/user_directory.hpp"
#include "daemon/api/worker_pool.hpp"
#include "daemon/config.hpp"
#include "http/json_body.hpp"
#include "http/password.hpp"
#include "http/rate_limiter.hpp"
#include "http/router.hpp"
#include "storage/writer.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kryptod::daemon::api {

struct account_settings {
    std::chrono::seconds access_ttl{900};
    std::chrono::seconds refresh_ttl{14 * 24 * 3600};
    std::uint32_t rate_limit = 10; // attempts per minute, per address and per account
    http::password_cost cost = http::password_cost::interactive();
    std::size_t worker_threads = 2;
    std::size_t max_body = 64 * 1024;
    // How long an email verification token stays valid (a reset token: 1 h).
    std::chrono::seconds verify_ttl{24 * 3600};

    // The daemon's settings from its configuration.
    static account_settings from(config const& cfg);
};

// A password reset token is valid this long (SPEC §3).
inline constexpr std::chrono::seconds reset_token_ttl{3600};

// Passwords are at least this long (422 otherwise) and at most
// max_password_length bytes, which bounds the hashing work one request buys.
inline constexpr std::size_t min_password_length = 8;
inline constexpr std::size_t max_password_length = 1024;

class account_services {
public:
    // Loads the user directory through a reader connection to `database`
    // (which must exist and be migrated, i.e. the writer has opened it).
    // Throws std::invalid_argument for a secret under 32 bytes and
    // SQLite::Exception when the users cannot be read (start-up errors).
    account_services(storage::writer& writer, std::filesystem::path const& database,
                     std::string_view secret, account_settings settings);
    ~account_services();

    // Finishes the worker pool's jobs and stops it; call before stopping the
    // writer. Idempotent.
    void stop();

    account_settings const& settings() const noexcept { return settings_; }
    user_directory& users() noexcept { return users_; }
    authenticator const& auth() const noexcept { return auth_; }
    http::password_hasher const& hasher() const noexcept { return hasher_; }
    worker_pool& workers() noexcept { return workers_; }
    storage::writer& writer() noexcept { return writer_; }
    alert_page_cache& alert_pages() noexcept { return *alert_pages_; }
    http::json_limits body_limits() const noexcept;

    enum class limited_action { login, registration, password_reset };

    // Counts an attempt of `action` by `address` for `account` (an email);
    // returns the 429 answer (with Retry-After) when either is over the
    // limit.
    std::optional<http::response> check_rate(limited_action action, std::string_view address,
                                             std::string_view account, unsigned version);

private:
    account_settings settings_;
    storage::writer& writer_;
    user_directory users_;
    authenticator auth_;
    http::password_hasher hasher_;
    std::unique_ptr<http::rate_limiter> limiters_[3][2]; // [action][by address, by account]
    worker_pool workers_;
    // Shared with the writer's listener, which may outlive this object.
    std::shared_ptr<alert_page_cache> alert_pages_;
};

// Wall-clock time now, in kryptod's units.
core::millis now_millis();
std::int64_t now_seconds();

// The answer to a storage failure: 503 for transient conditions (queue full,
// stopping, busy, disk), 500 otherwise; the cause goes to the log only.
http::response storage_failure(storage::error const& e, unsigned version);

// The completion of a write that created a user (registration or an admin's
// POST /api/users): the user enters the directory and the answer is 201 with
// it; a taken email is 409; any other failure is storage_failure().
std::function<void(storage::result<storage::user_store::user_record>)>
user_created(std::shared_ptr<account_services> services, http::responder respond, unsigned version);

// The answer when the writer refused a job (queue full or stopping): 503.
http::response writer_refused(storage::error const& e, unsigned version);

// A 422 naming one field.
http::response invalid_field(std::string field, std::string message, unsigned version);

// Lower-case ASCII, for rate-limit keys of emails (emails are unique
// case-insensitively).
std::string lower_ascii(std::string_view s);

// Whether `password` has an acceptable length; the 422 message otherwise.
std::optional<std::string> password_problem(std::string_view password);

// Parses and checks a JSON body against `schema`. On failure answers the
// problem through `respond` and returns std::nullopt.
std::optional<boost::json::object> read_body(account_services const& services,
                                             http::incoming const& in,
                                             std::span<http::field_spec const> schema,
                                             http::responder const& respond);

// Queues a job on the writer; when the writer refuses it (queue full,
// stopping), answers 503 through `respond` and `done` is never called.
template <class T, class Work, class Done>
void submit_write(account_services& services, http::responder const& respond, unsigned version,
                  Work&& work, Done&& done) {
    auto accepted = services.writer().submit<T>(
        std::function<T(SQLite::Database&)>(std::forward<Work>(work)),
        std::function<void(storage::result<T>)>(std::forward<Done>(done)));
    if (!accepted) respond(writer_refused(accepted.err(), version));
}

} // namespace kryptod::daemon::api
