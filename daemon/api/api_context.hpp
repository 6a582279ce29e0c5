// api::api_context: what the API's handlers share, built once by the service
// and handed to every route table: the user directory, the authenticator,
// the password hasher, the rate limiters, the worker threads for reads, the
// storage writer, the alert list page cache and the settings. It holds state
// only; the answers handlers share are in responses.hpp, the account rules
// in account_rules.hpp.
//
// Where work runs: handlers start on the io_context thread and only parse,
// check and dispatch there. argon2id and SQLite reads run on the worker
// pool; writes go through storage::writer, whose completions come back on
// the io_context. Every path ends in exactly one call of the responder.
//
// Thread-safety: every member may be used from any thread; the writer, the
// limiters and the page cache are themselves thread-safe.
#pragma once

#include "core/alert.hpp"
#include "daemon/api/alert_page_cache.hpp"
#include "daemon/api/attempt_limits.hpp"
#include "daemon/api/authenticator.hpp"
#include "daemon/api/user_directory.hpp"
#include "daemon/api/worker_pool.hpp"
#include "daemon/config.hpp"
#include "http/json_body.hpp"
#include "http/password.hpp"
#include "storage/writer.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

namespace kryptod::daemon::api {

// The members set from a configuration key have no defaults of their own:
// daemon/options.cpp fills them (api_settings_from()); the rest are the API's.
struct api_settings {
    std::chrono::seconds access_ttl{0};  // auth.access_ttl
    std::chrono::seconds refresh_ttl{0}; // auth.refresh_ttl
    std::uint32_t rate_limit = 0; // auth.rate_limit: attempts per minute, per address and account
    http::password_cost cost = http::password_cost::interactive();
    std::size_t worker_threads = 2;
    std::size_t max_body = 0; // http.max_body
    // How long an email verification token stays valid (a reset token: 1 h).
    std::chrono::seconds verify_ttl{24 * 3600};
    // notify.account_emails_per_day: account emails to one address per 24 h.
    std::uint32_t account_emails_per_day = 0;
    // notify.webhook_allow_private: chat and push URLs may then be plain http.
    bool allow_private_urls = false;
    // http.public_url without a trailing slash: the web app's address for the
    // links in account emails; empty: no links.
    std::string public_url;
};

class api_context {
public:
    // Loads the user directory through a reader connection to `database`
    // (which must exist and be migrated, i.e. the writer has opened it).
    // `alert_pages` is the list cache the alert routes answer from; whoever
    // builds the context also makes the writer's changes reach it
    // (follow_alert_writes()). Throws std::invalid_argument for a secret
    // under 32 bytes and SQLite::Exception when the users cannot be read
    // (start-up errors).
    api_context(storage::writer& writer, std::filesystem::path const& database,
                std::string_view secret, api_settings settings,
                std::shared_ptr<alert_page_cache> alert_pages);
    ~api_context();

    // Finishes the worker pool's jobs and stops it; call before stopping the
    // writer. Idempotent.
    void stop();

    api_settings const& settings() const noexcept { return settings_; }
    user_directory& users() noexcept { return users_; }
    authenticator const& auth() const noexcept { return auth_; }
    http::password_hasher const& hasher() const noexcept { return hasher_; }
    worker_pool& workers() noexcept { return workers_; }
    storage::writer& writer() noexcept { return writer_; }
    alert_page_cache& alert_pages() noexcept { return *alert_pages_; }
    http::json_limits body_limits() const noexcept;

    // Sets what to call once a write that queued account emails committed
    // (the daemon wakes its outbox sender); set before the routes run.
    void on_outbox_queued(std::function<void()> f) { outbox_queued_ = std::move(f); }
    // Says that a committed write queued account emails. io_context thread.
    void outbox_queued() const {
        if (outbox_queued_) outbox_queued_();
    }

    // The login, registration and reset attempt limits (attempt_limits.hpp).
    attempt_limits& limits() noexcept { return limits_; }

private:
    api_settings settings_;
    storage::writer& writer_;
    user_directory users_;
    authenticator auth_;
    http::password_hasher hasher_;
    attempt_limits limits_;
    worker_pool workers_;
    std::shared_ptr<alert_page_cache> alert_pages_;
    std::function<void()> outbox_queued_;
};

// Wall-clock time now, in kryptod's units, as the handlers read it.
core::millis now_millis();
std::int64_t now_seconds();

} // namespace kryptod::daemon::api
