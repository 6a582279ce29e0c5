// storage::outbox_store: notifications waiting to be sent (SPEC §5).
//
// A row is `pending` until the sender marks it `delivered`, or `failed` once
// it has used up its attempts. Claiming a row leases it (moves its next
// attempt into the future), so a row is sent again only when its sender
// crashed or reported a failure: delivery is at least once, under a stable
// delivery id. Delivered and failed rows are kept for notify.retention_days
// (purge_finished()). Functions throw SQLite::Exception on a database
// failure and not_found_error where stated.
#pragma once

#include "core/alert.hpp"
#include "core/time.hpp"

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::storage::outbox_store {

enum class delivery_state { pending, delivered, failed };

std::string_view to_string(delivery_state state) noexcept;

struct message {
    std::int64_t id = 0;
    std::string delivery_id;
    core::channel channel = core::channel::email;
    core::user_id user = 0;
    std::optional<core::alert_id> alert; // none for account emails
    std::string payload;
    int attempts = 0; // attempts started so far
    core::millis next_attempt_at = 0;
    delivery_state state = delivery_state::pending;
    std::optional<std::string> last_error;
    core::millis created_at = 0;
};

// Queues a message (id, attempts, state and last_error are ignored) and
// returns its id. A delivery id that is already used fails with a
// constraint error.
std::int64_t enqueue(SQLite::Database& db, message const& m);

std::optional<message> get(SQLite::Database& db, std::int64_t id);

// Takes up to `limit` pending messages due at `now`, oldest due first,
// counts an attempt on each and leases them until now + lease_ms. Returns
// them as claimed (attempts already counted).
std::vector<message> claim_due(SQLite::Database& db, core::millis now, int limit,
                               core::millis lease_ms);

// claim_due, fair across users: no user gives more than `per_user` of the
// claimed rows, users listed in `skip_users` give none (rows the caller
// still holds for them), and the claim takes every user's oldest due row
// before anyone's second (round robin by rank, then due time, then id), so
// one user's backlog cannot fill a claim while another's row waits.
std::vector<message> claim_due_fair(SQLite::Database& db, core::millis now, int limit, int per_user,
                                    std::vector<core::user_id> const& skip_users,
                                    core::millis lease_ms);

// The message went out. Throws not_found_error for an unknown id.
void mark_delivered(SQLite::Database& db, std::int64_t id, core::millis now);

// The attempt failed with `reason`. When the message has had `max_attempts`
// attempts it becomes `failed`, otherwise it is retried at `retry_at`.
// Returns the resulting state. Throws not_found_error for an unknown id.
delivery_state mark_attempt_failed(SQLite::Database& db, std::int64_t id, std::string_view reason,
                                   core::millis retry_at, int max_attempts, core::millis now);

// How many alert notifications (not account emails) were queued for a user
// since `since`, for notify.max_per_user_per_hour.
std::int64_t count_alert_messages_since(SQLite::Database& db, core::user_id user,
                                        core::millis since);

// How many account emails (verification, reset) were queued for a user
// since `since`, for notify.account_emails_per_day. A user has one address,
// so this is the count per address.
std::int64_t count_account_messages_since(SQLite::Database& db, core::user_id user,
                                          core::millis since);

// Deletes up to `limit` messages that were delivered or failed before
// `before` (their last change), oldest first, and returns how many: the
// retention of notify.retention_days, run in small batches so that one
// purge never holds the writer long. Pending messages are never deleted.
std::size_t purge_finished(SQLite::Database& db, core::millis before, int limit);

} // namespace kryptod::storage::outbox_store
