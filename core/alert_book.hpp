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
// Move alerts (kind move, SPEC §8; the structures are in core/move_index.hpp):
// - `up` fires on the first trade whose price * 10000 >= low * (10000 +
//   percent), `down` on price * 10000 <= high * (10000 - percent), percent in
//   hundredths of a percent, exact (128-bit products). low / high are the
//   lowest / highest price of the alert's window; among equal prices the
//   latest point is the reference (reference_price, reference_time).
// - Time: each coin has a window clock, the greatest exchange time it has
//   seen; a trade counts at max(its exchange time, the clock), so a gap
//   replayed after newer live trades counts as happening now. The window at
//   a trade with window time t holds the points recorded BEFORE that trade
//   (call order: a trade with the same time that came earlier counts, the
//   trade itself never) with window time in [t - window, t]: a point exactly
//   `window` old still counts. Backfilled trades count like live ones.
// - Start: an alert's window starts at the first point whose window time is
//   at or after its arm time (so a move that happened before it was armed
//   never fires it), and afresh at the firing point after each fire (the
//   firing trade is the new window's first point: one move is reported
//   once). A trade fires it only when its real exchange time is at or after
//   the arm time, and expires_at applies as for price alerts.
// - repeat every: after a fire the alert rests for its cooldown (ended by
//   on_time()), then watches again with the window that started at the
//   firing trade; no cross-back is needed, the fresh window does that job.
//   restore() with a last fire puts it in that rest, its window starting at
//   the last fire's time, and trades older than that fire never fire it.
// - A range [low, high] at time t is measured against the window before it
//   (its own low is never the reference of its own high, since the order
//   inside the kline is unknown): up fires when high reaches low_ref x (1 +
//   percent/100), `at` = high; down when low reaches high_ref x (1 -
//   percent/100), `at` = low. Then low and high enter the window, in that
//   order, both at t; the range is the fresh window's first point.
// - seed_minute() puts a stored one-minute sample's low and high into the
//   windows at the minute's LAST millisecond (minute_start + 59999), the
//   latest time they can have happened: a restart never hides a move; at
//   worst one that spanned up to 59.999 s more than its window is reported.
//   Samples are fed in time order after restore() and before live ticks;
//   they fire nothing themselves.
//
// Invariants:
// - Each alert id has one slot; a price alert's slot is in exactly one of:
//   armed (its (target, slot) entry on its own side of the index), waiting
//   to cross back (a watcher entry on the opposite side at target -/+ 1
//   unit), or waiting only for its cooldown (no index entry). A move alert's
//   slot is armed (a member of its lane in move_index, in a group or waiting
//   for its window's first point) or resting after a fire (in no group); in
//   both it counts as a user of its lane until it leaves the book.
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
#include "core/move_index.hpp"
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
    invalid_terms,  // a move alert's percent or window outside SPEC §8 bounds
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
    // lapsed alert is expired by the next on_time()). A move alert with
    // `last_fire` and repeat every rests until its cooldown has passed, then
    // watches a window starting at `last_fire`; trades before `last_fire`
    // never fire it.
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
    [[gnu::always_inline]] std::size_t on_tick(tick const& t, millis now,
                                               std::vector<fired_alert>& fired) {
        assert(t.symbol < symbols_.size());
        // Inline: a tick that fires nothing costs a store and two compares,
        // and one more test when no move alert watches the coin.
        moves_.prefetch(t.symbol);
        prices_.record(t.symbol, t.last, t.exchange_time);
        hits_.clear();
        auto const before = fired.size();
        if (index_.on_tick(t.symbol, t.last, hits_) != 0)
            handle_hits(t.exchange_time, now, t.last, t.backfilled, fired);
        if (moves_.watched(t.symbol) && !moves_.record_quiet(t.symbol, t.last, t.exchange_time))
            on_move_points(t.symbol, t.last, t.last, 1, t.exchange_time, now, t.backfilled, fired);
        return fired.size() - before;
    }

    // Evaluates a backfilled price range [low, high] of one coin (a kline of a
    // feed gap), attributed to `exchange_time`; appends every alert it fires
    // (backfilled, at its target) to `fired`. Does not touch last prices.
    // Precondition: low <= high (asserted).
    std::size_t on_range(symbol_id symbol, price low, price high, millis exchange_time, millis now,
                         std::vector<fired_alert>& fired);

    // Puts a stored one-minute sample of a coin (its low and high) into the
    // move windows at the minute's last millisecond, firing nothing (see the
    // rules above). Call after restore() and before the coin's live ticks,
    // in time order. A coin no move alert watches keeps nothing.
    void seed_minute(symbol_id symbol, millis minute_start, price low, price high);

    // Applies the passage of time up to `now`: ends due cooldowns and takes
    // alerts whose expires_at <= now out of the book, appending their ids to
    // `expired` in expiry order. Returns how many expired.
    std::size_t on_time(millis now, std::vector<alert_id>& expired);

    symbol_table& symbols() noexcept { return symbols_; }
    symbol_table const& symbols() const noexcept { return symbols_; }
    last_prices& prices() noexcept { return prices_; }
    last_prices const& prices() const noexcept { return prices_; }
    threshold_index const& index() const noexcept { return index_; }
    move_index const& moves() const noexcept { return moves_; }

private:
    using slot_number = std::uint32_t;

    // Index handles: the slot number, with this bit set for a watcher entry.
    static constexpr threshold_index::handle watcher_bit = threshold_index::handle{1} << 32;

    enum class phase : std::uint8_t {
        armed,    // on its own side of the index (move: in its lane)
        crossing, // fired; watcher on the opposite side; cooldown may have passed
        cooling,  // fired and crossed back (move: fired); waiting for its cooldown
    };

    struct slot {
        alert_id id = 0;
        price target; // kind price
        // Kind move: where its window starts when it (re)joins its lane, the
        // firing point of its last fire, or 0 for its arm time.
        move_index::sequence move_from = 0;
        millis armed_at = 0;
        millis cooldown = 0;
        millis expires_at = 0; // meaningful only when has_expiry
        symbol_id symbol = 0;
        std::uint32_t generation = 0;
        std::int32_t move_percent = 0; // kind move
        std::int32_t window = 0;       // kind move, millis
        direction side = direction::above;
        alert_kind kind = alert_kind::price;
        move_direction move_side = move_direction::up;
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
    void on_move_points(symbol_id symbol, price low, price high, std::size_t count,
                        millis exchange_time, millis now, bool backfilled,
                        std::vector<fired_alert>& fired);

    symbol_table symbols_;
    last_prices prices_;
    threshold_index index_;
    std::vector<slot> slots_;
    std::vector<slot_number> free_slots_;
    alert_slots slots_by_id_;
    std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_;
    std::vector<threshold_index::hit> hits_; // reused by every tick
    move_index moves_;
    std::vector<move_index::hit> move_hits_; // reused by every tick
};

} // namespace kryptod::core
