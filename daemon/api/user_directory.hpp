// api::user_directory: every account's public profile in memory, so that
// authenticating a request and answering GET /api/auth/me never touch SQLite.
//
// Invariants: the directory is loaded from the database before serving and
// every write that changes a user puts the committed record back here, after
// its COMMIT; so an entry is never ahead of the database, and a user disabled
// through the API is refused by the next request. Password hashes and
// webhook secrets are not kept here. Each entry is kept with its API
// representation already serialised, built when the entry is put, so that
// reading it never formats or copies anything.
//
// Thread-safety: every member may be called from any thread (readers share
// a lock; a put takes it exclusively).
#pragma once

#include "core/alert.hpp"
#include "core/time.hpp"
#include "storage/user_store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace kryptod::daemon::api {

struct user_entry {
    std::int64_t id = 0;
    std::string email;
    std::string role = "user";
    bool verified = false;
    bool disabled = false;
    std::optional<std::string> webhook_url;
    // The channels set up (notify::channels_set_up()); the settings behind
    // them are secrets and are not kept here.
    core::channel channels = core::channel::email;
    core::millis created_at = 0;
    // Access tokens issued before this are refused (not shown by the API).
    core::millis tokens_valid_after = 0;

    static user_entry from(storage::user_store::user_record const& record);
};

// A user as the API shows it: id, email, role, verified, disabled,
// webhook_url (null when unset), channels (the names of those set up, e.g.
// ["email", "discord"]) and created_at (RFC 3339 UTC). No secrets.
boost::json::object to_json(user_entry const& user);

// One user as the directory holds it: immutable once built, shared with
// readers that outlive a later put of the same user.
struct user_snapshot {
    user_entry user;
    std::string json; // boost::json::serialize(to_json(user))

    explicit user_snapshot(user_entry u);
};

class user_directory {
public:
    // Replaces the entry with the record's id, or adds it, then tells the
    // on_put() listener.
    void put(storage::user_store::user_record const& record);

    // Sets what hears of every put(), with the user's id, on the thread that
    // put it and after the entry changed (the live stream ends the streams
    // of a user disabled or logged out). Set before serving starts.
    void on_put(std::function<void(std::int64_t)> fn) { on_put_ = std::move(fn); }

    // Adds the record only when its id is not in the directory yet: for a
    // record read outside the writer (a reader's snapshot may be older than
    // the entry a recent write put here), e.g. an account created by
    // `kryptod user add` while the daemon runs.
    void put_if_absent(storage::user_store::user_record const& record);

    std::optional<user_entry> find(std::int64_t id) const;

    // The user with `id` as it is now, or nullptr. Cheaper than find(): no
    // copy of the entry is made.
    std::shared_ptr<user_snapshot const> snapshot(std::int64_t id) const;

    std::size_t size() const;

    // Reads every user from `db` (a reader connection) into the directory.
    // Throws SQLite::Exception on a database failure (start-up only).
    void load(SQLite::Database& db);

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::int64_t, std::shared_ptr<user_snapshot const>> users_;
    std::function<void(std::int64_t)> on_put_;
};

} // namespace kryptod::daemon::api
