// daemon::fire_recorder: the one place that decides what a fire of an alert
// leaves behind. The evaluator (core::alert_book) says *that* an alert fired;
// the recorder, inside a writer job, turns it into durable records:
//
//   the alert's new state and its `triggered` event      (storage::alert_store)
//   one outbox row per channel, with the notice payload  (storage::outbox_store)
//   a `suppressed` event per channel past the hourly cap
//   a `notified` event, "failed: <channel> is not set up", per channel its
//   owner has removed the setting of (notify/channel_setup.hpp)
//
// Invariants:
// - One fire is one unit: state, event and outbox rows are written together
//   or not at all (alert_store::record_fire() runs in a savepoint).
// - A fire is recorded only while the stored alert is active: a fire that
//   raced its owner's disable or delete writes nothing.
// - notify.max_per_user_per_hour is applied here and nowhere else. The
//   owner's alert rows in the outbox over the past hour are the durable
//   count (it survives a restart, and earlier fires of the same transaction
//   are in it); each channel is one notification; one past the cap never
//   becomes a row (it costs no email) and gets a `suppressed` event instead.
//   Account emails are not alert rows: they neither count nor are capped.
// - The payload is fixed at fire time (notify::encode), so every retry of a
//   row sends the same notice.
//
// Thread-safety: record() runs on the writer thread (it takes the writer's
// connection); the object holds only its options.
#pragma once

#include "core/alert_book.hpp"

#include <SQLiteCpp/Database.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace kryptod::daemon {

// What a recorded fire was, for the log line and the counters.
struct recorded_fire {
    core::alert_id id = 0;
    core::user_id owner = 0;
    std::string symbol;
    core::price at;
    bool backfilled = false;
    std::size_t notifications = 0; // outbox rows queued
    std::size_t suppressed = 0;    // notifications over the hourly cap
};

class fire_recorder {
public:
    // notify.max_per_user_per_hour (0: every notification is suppressed).
    explicit fire_recorder(std::uint32_t max_per_user_per_hour)
        : max_per_user_per_hour_(max_per_user_per_hour) {}

    // Records the fire `f` as one unit (see above). Returns std::nullopt,
    // writing nothing, when the stored alert is gone, no longer active, or
    // its owner is gone. Throws SQLite::Exception on a database failure,
    // having written nothing (the caller's writer job rolls back).
    std::optional<recorded_fire> record(SQLite::Database& db, core::fired_alert const& f) const;

private:
    std::uint32_t max_per_user_per_hour_;
};

} // namespace kryptod::daemon
