// daemon::fire_recorder: a fire's state, event, cap and notices; see
// fire_recorder.hpp.
#include "daemon/fire_recorder.hpp"

#include "daemon/notify/channel_setup.hpp"
#include "daemon/notify/notice.hpp"
#include "storage/alert_store.hpp"
#include "storage/outbox_store.hpp"
#include "storage/transaction.hpp"
#include "storage/user_store.hpp"

#include <vector>

namespace kryptod::daemon {

namespace alert_store = storage::alert_store;

namespace {

constexpr core::millis one_hour = 3'600'000;

// The channels of `a` that are (`set_up`) or are not set up now, in the
// order the wire lists them. The API refuses a channel that is not set up,
// but its owner may have removed the setting since the alert was saved.
std::vector<core::channel> chosen(core::alert const& a, core::channel set_up, bool wanted) {
    std::vector<core::channel> out;
    for (auto const ch : core::all_channels)
        if (core::has(a.channels, ch) && core::has(set_up, ch) == wanted) out.push_back(ch);
    return out;
}

} // namespace

std::optional<recorded_fire> fire_recorder::record(SQLite::Database& db,
                                                   core::fired_alert const& f) const {
    auto stored = alert_store::find(db, f.id);
    if (!stored || stored->alert.status != core::alert_status::active) return std::nullopt;
    // The book decided that the alert fired; core::fire() applies that
    // decision to the stored alert (status, count, trigger fields), the
    // state machine being core's, not the book's, which keeps terms only.
    core::alert a = stored->alert;
    if (core::fire(a, f.at, f.detected_at) != core::transition::applied) return std::nullopt;
    auto const user = storage::user_store::get(db, a.owner);
    if (!user) return std::nullopt;

    auto queued =
        storage::outbox_store::count_alert_messages_since(db, a.owner, f.detected_at - one_hour);
    // A move alert's fire carries the window's low or high it was measured
    // from (the evaluator sets it on every move fire); its event and its
    // notices show it.
    std::optional<notify::move_reference> reference;
    if (f.reference_price) reference = notify::move_reference{*f.reference_price, f.reference_time};
    auto const payload = notify::encode(
        notify::notice_of_fire(a, stored->symbol, f.exchange_time, f.backfilled, reference));
    std::vector<alert_store::notification> notes;
    std::vector<core::channel> suppressed;
    auto const set_up = notify::channels_set_up(*user);
    for (auto const ch : chosen(a, set_up, true)) {
        if (queued < static_cast<std::int64_t>(max_per_user_per_hour_)) {
            notes.push_back({ch, payload});
            ++queued;
        } else {
            suppressed.push_back(ch);
        }
    }

    storage::savepoint unit(db, "fire");
    std::optional<alert_store::move_reference> stored_reference;
    if (reference)
        stored_reference = alert_store::move_reference{reference->price, reference->time};
    if (!alert_store::record_fire(db, a, f.exchange_time, f.backfilled, notes, stored_reference))
        return std::nullopt;
    for (auto const ch : suppressed) {
        alert_store::event_record e;
        e.alert = a.id;
        e.type = alert_store::event_type::suppressed;
        e.time = f.detected_at;
        e.channel = ch;
        e.outcome = "notify.max_per_user_per_hour reached";
        alert_store::add_event(db, e);
    }
    // A channel whose setting is gone is not queued (there is nowhere to
    // send it) and does not count against the cap; its owner sees why.
    for (auto const ch : chosen(a, set_up, false)) {
        alert_store::event_record e;
        e.alert = a.id;
        e.type = alert_store::event_type::notified;
        e.time = f.detected_at;
        e.channel = ch;
        e.attempt = 0;
        e.outcome = "failed: " + notify::not_set_up(ch);
        alert_store::add_event(db, e);
    }
    unit.release();
    return recorded_fire{a.id,         a.owner,      stored->symbol,   f.at,
                         f.backfilled, notes.size(), suppressed.size()};
}

} // namespace kryptod::daemon
