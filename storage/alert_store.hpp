// storage::alert_store: alerts, price and move, and their event history
// (SPEC §2, §8).
//
// Alerts are stored with their symbol as text; core::alert carries an
// interned symbol_id that only the evaluator's symbol_table can resolve, so
// writes take the symbol name alongside the alert and reads hand it back.
//
// Invariants:
// - Every alert has a `created` event, written with it.
// - A fire is one unit: the alert's new state, its `triggered` event and its
//   outbox rows are written together or not at all (record_fire()).
// - A fire is recorded only while the stored alert is active, so a fire that
//   races its owner's disable or delete never overrides it.
//
// Functions throw SQLite::Exception on a database failure and not_found_error
// where stated; run them inside writer jobs or storage::attempt().
#pragma once

#include "core/alert.hpp"
#include "core/symbol_table.hpp"
#include "core/time.hpp"
#include "storage/page.hpp"

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::storage::alert_store {

enum class event_type {
    created,
    updated,
    disabled,
    armed,
    triggered,
    notified,
    suppressed,
    expired,
    deleted
};

// The wire name ("triggered").
std::string_view to_string(event_type type) noexcept;
std::optional<event_type> event_type_from_string(std::string_view text) noexcept;

// An alert as stored: core's alert (its `symbol` id is not meaningful) plus
// the symbol's name and when it was last armed.
struct stored_alert {
    core::alert alert;
    std::string symbol;
    core::millis armed_at = 0; // trades before this time never fire it
};

struct event_record {
    std::int64_t id = 0;
    core::alert_id alert = 0;
    event_type type = event_type::created;
    core::millis time = 0;
    // triggered
    std::optional<core::price> price;
    std::optional<core::millis> exchange_time;
    std::optional<core::millis> detected_at;
    std::optional<bool> backfilled;
    // triggered, move alerts: the window's low (up) or high (down) the move
    // was measured from, and that trade's exchange time
    std::optional<core::price> reference_price;
    std::optional<core::millis> reference_time;
    // notified, suppressed
    std::optional<core::channel> channel;
    std::optional<std::int64_t> attempt;
    std::optional<std::string> outcome;
};

// Inserts a new alert (its id is ignored) with its `created` event at
// a.created_at and returns the new id. `symbol` is the coin's canonical
// name. Fails with a constraint error for an unknown owner or a field the
// schema refuses (validate with core::validate() first).
core::alert_id insert(SQLite::Database& db, core::alert const& a, std::string_view symbol);

// Writes the user-settable fields, status, fire fields and updated_at of `a`
// to the stored alert `a.id` owned by `a.owner`, and appends an event of
// `type` at a.updated_at. Moving to active from another status re-arms it
// (armed_at = a.updated_at). Throws not_found_error when the owner has no
// such alert.
void update(SQLite::Database& db, core::alert const& a, event_type type);

// One alert, only when `owner` owns it (another user's alert is not found).
std::optional<stored_alert> get(SQLite::Database& db, core::alert_id id, core::user_id owner);

// One alert whoever owns it, for the daemon's own work (recording a fire or
// an expiry); the API uses get().
std::optional<stored_alert> find(SQLite::Database& db, core::alert_id id);

struct alert_query {
    core::user_id owner = 0;
    std::optional<core::alert_status> status; // none: every status but deleted
    std::optional<std::string> symbol;        // canonical name
    std::optional<core::alert_kind> kind;     // none: both kinds
    page_request paging;
};

// A page of an owner's alerts, newest first, and their total, read in one
// transaction. The total comes from the per-user counts that the schema's
// triggers keep (alert_counts), so it costs the same for 10 alerts or 1,000;
// with a `kind` filter, which those counts do not split by, it is counted
// from the owner's rows.
page<stored_alert> list(SQLite::Database& db, alert_query const& query);

// How many active alerts an owner has (the per-user limit), from the same
// counts.
std::int64_t count_active(SQLite::Database& db, core::user_id owner);

// What the evaluator needs of an armed alert at startup: its terms, the
// time it was armed, and its last fire (for a repeat-every cooldown).
struct armed_alert {
    core::alert_id id = 0;
    core::user_id owner = 0;
    core::symbol_id symbol = 0; // interned in the table given
    core::alert_kind kind = core::alert_kind::price;
    core::price target;                                        // kind price
    core::direction side = core::direction::above;             // kind price
    std::int64_t move_percent = 0;                             // kind move: hundredths of a percent
    std::int64_t window_seconds = 0;                           // kind move
    core::move_direction move_side = core::move_direction::up; // kind move
    core::repeat_mode repeat = core::repeat_mode::once;
    std::int64_t cooldown_seconds = core::default_cooldown_seconds;
    std::optional<core::millis> expires_at;
    core::channel channels = core::channel::email;
    core::millis armed_at = 0;
    std::optional<core::millis> triggered_at;
    // triggered_at when the alert's last change was that fire (record_fire()
    // leaves updated_at equal to it; any later PATCH moves updated_at on and
    // re-arms it afresh): a repeat-every alert is then still in the pause
    // after that fire (core::alert_book::restore()). nullopt otherwise.
    std::optional<core::millis> last_fire;
};

using armed_alert_fn = std::function<void(armed_alert const&)>;

// Calls `fn` for every active alert, in id order, with its symbol interned
// into `symbols`, and returns how many there were: the way to fill the index
// at startup without holding every alert twice. Throws SQLite::Exception on
// a database failure and std::runtime_error for a stored symbol that is not
// valid; what `fn` throws is passed on.
std::size_t for_each_armed(SQLite::Database& db, core::symbol_table& symbols,
                           armed_alert_fn const& fn);

// Appends an event (its id is ignored) and returns its id. Throws a
// constraint error for an unknown alert or a `triggered` event without its
// fields (use record_fire() for fires).
std::int64_t add_event(SQLite::Database& db, event_record const& event);

// A page of an alert's history, newest first. The caller checks ownership
// with get() first.
page<event_record> list_events(SQLite::Database& db, core::alert_id alert,
                               page_request const& paging);

// The events of `owner`'s alerts with `after` < id <= `up_to`, oldest
// first, at most `limit`: what the live stream sends, and replays to a
// client resuming after `after`.
std::vector<event_record> events_of_owner(SQLite::Database& db, core::user_id owner,
                                          std::int64_t after, std::int64_t up_to,
                                          std::size_t limit);

// The newest event's id, 0 when there is none.
std::int64_t last_event_id(SQLite::Database& db);

// A notification to send for a fire, with the payload the sender needs
// (rendered by the caller; storage keeps it as text).
struct notification {
    core::channel channel = core::channel::email; // exactly one channel
    std::string payload;
};

// What a move alert's fire was measured from (core::fired_alert's
// reference_price and reference_time).
struct move_reference {
    core::price price;
    core::millis time = 0;
};

struct fire_outcome {
    std::int64_t event_id = 0;
    std::vector<std::int64_t> outbox_ids; // same order as the notifications
};

// Records a fire as one unit: `a` as core::fire() left it (status,
// triggered_at = detection time, trigger_price, trigger_count, updated_at),
// its `triggered` event (price, exchange_time, detected_at, backfilled, and
// for a move alert `reference`'s price and time) and
// one outbox row per notification (inserted by outbox_store::enqueue(), as
// every outbox row is), due at once, with the stable delivery id
// "kryptod-<alert>-<event>-<channel>". Returns std::nullopt, writing
// nothing, when the stored alert is no longer active (disabled or deleted
// meanwhile). Throws, writing nothing, on any failure.
std::optional<fire_outcome> record_fire(SQLite::Database& db, core::alert const& a,
                                        core::millis exchange_time, bool backfilled,
                                        std::vector<notification> const& notifications,
                                        std::optional<move_reference> const& reference = {});

} // namespace kryptod::storage::alert_store
