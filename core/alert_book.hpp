// alert_book: the evaluator. It holds what firing needs of every armed alert,
// the threshold index, the symbol table and the last price per coin, and
// applies the whole firing rule of SPEC §2 to ticks, ranges and time.
//
// Rules, in the order they are checked:
// - An alert fires on a tick whose price reaches its target (above: >=,
//   below: <=), only if it was armed at or before the tick's exchange time,
//   and only if neither the exchange time nor the detection time (`now`) is at
//   or past its expires_at.
// - repeat once: firing takes it out of the book (the caller marks it
//   triggered); re-arming is a new arm().
// - repeat every: after firing it stays in the book but is disarmed until
//   both (a) its cooldown has passed, as seen by on_time(), and (b) a tick or
//   range has put the price strictly back on the other side of the target. A
//   price hovering at the target therefore fires once. The pause survives a
//   restart: restore() puts such an alert back still waiting for both.
// - on_time(now) expires alerts whose expires_at <= now and ends cooldowns
//   whose end <= now. Time-driven changes take effect only there, so the
//   caller runs it from a periodic timer; firing itself never waits for it.
// - A range (kline backfill) reaches above-targets <= high and below-targets
//   >= low, all at once; an alert fires at most once per range.
//
// Invariants:
// - Each alert id has one slot; a slot is in exactly one of: armed (its
//   (target, slot) entry on its own side of the index), waiting to cross back
//   (a watcher entry on the opposite side at target -/+ 1 unit), or waiting
//   only for its cooldown (no index entry).
// - A slot's generation changes whenever it is freed, so queued timer entries
//   of a removed or re-armed alert are recognised as stale and skipped.
// - The tick path allocates nothing once its vectors have grown, throws
//   nothing and hashes no string: index entries carry slot numbers, and the
//   id map is touched only to remove a repeat-once alert that fired.
// - Timer entries are removed lazily: an alert disarmed before its expiry
//   leaves a stale entry in the queue until that time passes.
//
// Not thread-safe: owned by the thread that runs the evaluator.
#pragma once

#include "core/alert.hpp"
#include "core/alert_slots.hpp"
#include "core/last_prices.hpp"
#include "core/price.hpp"
#include "core/symbol_table.hpp"
#include "core/threshold_index.hpp"
#include "core/tick.hpp"
#include "core/time.hpp"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

namespace kryptod::core {

// What the book needs to know of an alert to fire it.
struct alert_terms {
    alert_id id = 0;
    symbol_id symbol = 0;
    alert_kind kind = alert_kind::price;
    price target;                                  // kind price
    direction side = direction::above;             // kind price
    std::int64_t move_percent = 0;                 // kind move: hundredths of a percent
    millis window = 0;                             // kind move: the window's length
    move_direction move_side = move_direction::up; // kind move
    repeat_mode repeat = repeat_mode::once;
    millis cooldown = seconds_to_millis(default_cooldown_seconds);
    std::optional<millis> expires_at;

    // The terms of a stored alert (its cooldown_seconds converted to ms).
    static alert_terms of(alert const& a) noexcept;
};

// One alert fired by a tick or range.
struct fired_alert {
    alert_id id = 0;
    price at;                 // the trade price; for a range, the target reached
    millis exchange_time = 0; // the trade's (or range's) exchange time
    millis detected_at = 0;   // the daemon time passed in as `now`
    bool backfilled = false;
    bool final = false; // repeat once: the alert has left the book (now triggered)
    // Move alerts: the window's low (up) or high (down) the move was measured
    // from, and that trade's exchange time. Unset for price alerts.
    std::optional<price> reference_price;
    millis reference_time = 0;

    friend bool operator==(fired_alert const&, fired_alert const&) = default;
};

enum class arm_outcome {
    armed,
    duplicate,      // the id is already in the book (use update())
    expired,        // expires_at is not after `now`
    unknown_symbol, // the symbol id was never interned in symbols()
    invalid_id,     // alert_slots::empty_key, reserved
};

class alert_book {
public:
    // Puts an alert in the book, armed from `now` (so trades with an earlier
    // exchange time do not fire it). Fails without change on a duplicate id,
    // a lapsed expires_at or an unknown symbol.
    arm_outcome arm(alert_terms const& terms, millis now);

    // Puts back an alert that was in the book before a restart, in the state
    // its stored history implies. With `last_fire` set and repeat every, that
    // is the pause after that fire (SPEC §2): the alert fires again only once
    // the price has been strictly back on the other side of its target (seen
    // by a tick or range from now on, since where the price went before the
    // restart is not known) and its cooldown, counted from `last_fire`, has
    // passed as of `now` or a later on_time(). Otherwise it is arm(terms,
    // armed_at). Trades with an exchange time before `armed_at` never fire
    // it. Fails like arm(), with expires_at checked against `armed_at` (a
    // lapsed alert is expired by the next on_time()).
    arm_outcome restore(alert_terms const& terms, millis armed_at, std::optional<millis> last_fire,
                        millis now);

    // Replaces the terms of an alert (PATCH): disarms it if present, then arms
    // it afresh at `now`, which also clears any cooldown in progress. On
    // failure the alert is no longer in the book.
    arm_outcome update(alert_terms const& terms, millis now);

    // Takes an alert out of the book (disabled, deleted, or triggered
    // elsewhere). Returns false when it was not there.
    bool disarm(alert_id id);

    bool contains(alert_id id) const noexcept { return slots_by_id_.find(id) != nullptr; }
    std::size_t size() const noexcept { return slots_by_id_.size(); }

    // Makes room for `n` alerts in all, so that a start-up loading that many
    // allocates each table once instead of growing it step by step.
    void reserve(std::size_t n);

    // Whether the alert would fire on a reaching tick now: in the book and
    // not in a repeat-every pause.
    bool armed(alert_id id) const noexcept;

    // Evaluates one trade: records it as the coin's last price and appends
    // every alert it fires to `fired`. Returns how many were appended.
    // Precondition: t.symbol was interned in symbols() (asserted).
    std::size_t on_tick(tick const& t, millis now, std::vector<fired_alert>& fired) {
        assert(t.symbol < symbols_.size());
        // Inline: a tick that fires nothing costs a store and two compares.
        prices_.record(t.symbol, t.last, t.exchange_time);
        hits_.clear();
        if (index_.on_tick(t.symbol, t.last, hits_) == 0) return 0;
        auto const before = fired.size();
        handle_hits(t.exchange_time, now, t.last, t.backfilled, fired);
        return fired.size() - before;
    }

    // Evaluates a backfilled price range [low, high] of one coin (a kline of a
    // feed gap), attributed to `exchange_time`; appends every alert it fires
    // (backfilled, at its target) to `fired`. Does not touch last prices.
    // Precondition: low <= high (asserted).
    std::size_t on_range(symbol_id symbol, price low, price high, millis exchange_time, millis now,
                         std::vector<fired_alert>& fired);

    // Applies the passage of time up to `now`: ends due cooldowns and takes
    // alerts whose expires_at <= now out of the book, appending their ids to
    // `expired` in expiry order. Returns how many expired.
    std::size_t on_time(millis now, std::vector<alert_id>& expired);

    symbol_table& symbols() noexcept { return symbols_; }
    symbol_table const& symbols() const noexcept { return symbols_; }
    last_prices& prices() noexcept { return prices_; }
    last_prices const& prices() const noexcept { return prices_; }
    threshold_index const& index() const noexcept { return index_; }

private:
    using slot_number = std::uint32_t;

    // Index handles: the slot number, with this bit set for a watcher entry.
    static constexpr threshold_index::handle watcher_bit = threshold_index::handle{1} << 32;

    enum class phase : std::uint8_t {
        armed,    // on its own side of the index
        crossing, // fired; watcher on the opposite side; cooldown may have passed
        cooling,  // fired and crossed back; waiting for its cooldown
    };

    struct slot {
        alert_id id = 0;
        price target;
        millis armed_at = 0;
        millis cooldown = 0;
        millis expires_at = 0; // meaningful only when has_expiry
        symbol_id symbol = 0;
        std::uint32_t generation = 0;
        direction side = direction::above;
        repeat_mode repeat = repeat_mode::once;
        phase state = phase::armed;
        bool has_expiry = false;
        bool cooled = false; // the cooldown since the last fire has passed
        bool in_use = false;
    };

    enum class timer_kind : std::uint8_t { expiry, cooldown_end };

    struct timer {
        millis at;
        slot_number slot;
        std::uint32_t generation;
        timer_kind kind;
        // Orders a min-heap on time; ties are broken so that the order is
        // deterministic.
        friend bool operator>(timer const& a, timer const& b) noexcept {
            if (a.at != b.at) return a.at > b.at;
            if (a.kind != b.kind) return a.kind > b.kind;
            return a.slot > b.slot;
        }
    };

    std::optional<price> watcher_target(slot const& s) const noexcept;
    void arm_in_index(slot_number n);
    void watch_in_index(slot_number n);
    void remove_from_index(slot_number n);
    void release(slot_number n);
    void handle_hits(millis exchange_time, millis now, std::optional<price> trade_price,
                     bool backfilled, std::vector<fired_alert>& fired);
    bool eligible(slot const& s, millis exchange_time, millis now) const noexcept;

    symbol_table symbols_;
    last_prices prices_;
    threshold_index index_;
    std::vector<slot> slots_;
    std::vector<slot_number> free_slots_;
    alert_slots slots_by_id_;
    std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_;
    std::vector<threshold_index::hit> hits_; // reused by every tick
};

} // namespace kryptod::core
