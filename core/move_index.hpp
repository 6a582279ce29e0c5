// move_index: the move alerts of every coin (SPEC §8) and the rolling lows and
// highs of the trades they are measured against, so that a trade costs a few
// comparisons per window length in use and firing costs only what it fires.
//
// The rules it implements (alert_book documents them for users):
// - Each coin has a window clock: the greatest exchange time it has seen. A
//   point (a trade, either end of a range, a seeded minute) counts at
//   max(its time, the clock), so points enter in time order even when a gap
//   is replayed after newer live trades.
// - The window of an alert at a trade with window time t holds the points
//   recorded before that trade (in call order) whose window time is in
//   [t - window, t], and not before the alert's start: for an alert armed at
//   A, the first point with window time >= A; after a fire, the firing point.
// - `up` fires when price * 10000 >= low * (10000 + percent), `down` when
//   price * 10000 <= high * (10000 - percent), percent in hundredths, with
//   128-bit products. Among equal lows (highs) the reference is the latest.
//
// Layout and invariants:
// - Per coin, two monotonic deques over the points of the longest window in
//   use: `lows` with strictly increasing prices (each is the lowest of every
//   point after it), `highs` with strictly decreasing ones. A point pops the
//   points it dominates (equal prices included) off the back, so a deque
//   never holds more than the points of the window; positions are absolute
//   (a ring buffer indexed modulo its power-of-two capacity).
// - Per window length in use, a lane: the position of the first deque point
//   inside its window (its low, its high), and per direction the groups of
//   its alerts. The low of any suffix of a window is the first deque point at
//   or after the suffix's start, so every alert's reference is one deque
//   point, its anchor; alerts anchored on one point share a group. A group's
//   anchor never lies before its lane's front: groups that fall out of the
//   window merge into the front's group, and groups whose anchor is popped by
//   a new point merge into that point's group. (Merging is exact: a window
//   starting anywhere between two anchors has the later anchor as its low for
//   as long as that anchor is in the window, and the lane's front after.)
// - A group keeps its members sorted by percent, the smallest last, so a
//   trade fires a group's members from the back until one does not fire.
//   Each direction of a lane caches the price a trade must reach for its
//   smallest percent in any group (`trigger`): a trade that fires nothing
//   compares with it and touches nothing else.
// - An alert whose window has no point yet waits in its lane's `waiting`
//   list for the first point at or after its start time.
// - A lane exists while some alert uses its window length (attach/detach);
//   a coin's deques exist while it has a lane.
// - The coin keeps summaries of its lanes (earliest front expiry, lowest up
//   and highest down trigger, the prices at or beyond which a point would pop
//   a lane front or a group anchor, earliest waiting start), refreshed after
//   every change, in one cache line: a trade that fires nothing, moves no
//   front and pops no anchor compares with them and is appended to the
//   coin's `pending` points, whatever the number of lanes (record_quiet(),
//   inline). Pending points are sorted into the deques in one pass (flush())
//   before anything reads the deques; as none of them popped a front or an
//   anchor, the deques come out as if each had been pushed in turn.
//
// Not thread-safe: owned by the thread that runs the evaluator.
#pragma once

#include "core/alert.hpp"
#include "core/price.hpp"
#include "core/symbol_table.hpp"
#include "core/time.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace kryptod::core {

class move_index {
public:
    using slot_number = std::uint32_t;
    // Numbers the points of one coin in the order they are recorded, from 1.
    using sequence = std::uint64_t;

    // One alert whose condition a trade or range met, taken out of its group.
    struct hit {
        slot_number slot;
        move_direction side;
        price reference;       // the window's low (up) or high (down)
        millis reference_time; // that point's window time
        sequence anchor;       // where join_at() puts it back if it does not fire
    };

    // Counts one alert that uses `window` on `symbol` (armed, waiting or
    // cooling down), creating the lane when it is the first.
    void attach(symbol_id symbol, millis window);

    // Undoes one attach(); the last one frees the lane, the last lane the
    // coin's window state.
    void detach(symbol_id symbol, millis window);

    // Puts an alert in its lane with its window starting at the first point
    // whose window time is >= `from` (already recorded or still to come).
    // Precondition: attach(symbol, window) was called for it.
    void join_at_time(slot_number slot, symbol_id symbol, millis window, move_direction side,
                      std::int32_t percent, millis from);

    // As join_at_time(), with the window starting at point `from` (a fire's
    // firing point, or a hit's anchor).
    void join_at(slot_number slot, symbol_id symbol, millis window, move_direction side,
                 std::int32_t percent, sequence from);

    // Takes an alert out of its lane's groups or waiting list. Returns false
    // when it was in neither (cooling down).
    bool leave(slot_number slot, symbol_id symbol, millis window, move_direction side,
               std::int32_t percent);

    // Whether any move alert watches `symbol`: the one test a trade of a coin
    // without move alerts pays.
    bool watched(symbol_id symbol) const noexcept {
        return symbol < coins_.size() && coins_[symbol] != nullptr;
    }

    // Hints the processor to load what a trade of `symbol` reads first, so
    // that the loads overlap with the price index's work.
    void prefetch(symbol_id symbol) const noexcept {
        if (symbol >= coins_.size() || coins_[symbol] == nullptr) return;
        auto const* c = reinterpret_cast<char const*>(coins_[symbol].get());
        __builtin_prefetch(c);
    }

    // Evaluates a trade (up_probe = down_probe = its price) or a range
    // (up_probe = high, down_probe = low) at `time` against every lane of the
    // coin, taking each alert it fires out of its group into `hits`, then
    // records `points` (1 or 2 prices, in order) at that time. Returns the
    // sequence number of the first point recorded. Precondition: watched().
    sequence on_points(symbol_id symbol, price up_probe, price down_probe, price const* points,
                       std::size_t count, millis time, std::vector<hit>& hits);

    // A trade at `time` that reaches no trigger, moves no front, pops no
    // anchor and starts no waiting window is only recorded: if this one is
    // such a trade, records it and returns true (on_points() would fire
    // nothing for it); otherwise changes nothing and returns false, and the
    // caller goes through on_points(). Inline: it reads one cache line of
    // the coin. Precondition: watched().
    [[gnu::always_inline]] bool record_quiet(symbol_id symbol, price trade, millis time) noexcept {
        coin& c = *coins_[symbol];
        millis const t = time > c.clock ? time : c.clock;
        auto const units = trade.units();
        if (t >= c.quiet_before || units >= c.up_trigger || units <= c.down_trigger ||
            units <= c.low_guard || units >= c.high_guard || c.pending_count == pending_capacity)
            return false;
        c.clock = t;
        c.pending[c.pending_count++] = point{units, t, c.next_seq++};
        return true;
    }

    // Records points without evaluating them (history from before a restart).
    // A coin without lanes keeps nothing.
    void seed(symbol_id symbol, price const* points, std::size_t count, millis time);

    // Bytes held by the window state (both deques) of one coin, and by
    // everything in the index: deques, lanes, groups, members, waiting lists.
    std::size_t window_bytes(symbol_id symbol) const noexcept;
    std::size_t memory_bytes() const noexcept;

    // Points held by a coin's deques (lows + highs).
    std::size_t window_points(symbol_id symbol) const noexcept;

private:
    struct point {
        std::int64_t units; // the price
        millis time;        // window time
        sequence seq;
    };

    // A deque of points at absolute positions [head, tail).
    class ring {
    public:
        point& at(std::uint64_t pos) noexcept { return buf_[pos & mask_]; }
        point const& at(std::uint64_t pos) const noexcept { return buf_[pos & mask_]; }
        std::uint64_t head() const noexcept { return head_; }
        std::uint64_t tail() const noexcept { return tail_; }
        void set_head(std::uint64_t pos) noexcept { head_ = pos; }
        void set_tail(std::uint64_t pos) noexcept { tail_ = pos; }
        void push(point p) {
            if (tail_ - head_ == buf_.size()) grow();
            buf_[tail_ & mask_] = p;
            ++tail_;
        }
        // Room for `n` more points, so that push_if() may write without checking.
        void make_room(std::size_t n) {
            while (buf_.size() - size() < n)
                grow();
        }
        // Writes `p` past the back and keeps it when `keep`: no branch on
        // `keep`. Precondition: make_room() made room for it.
        void push_if(point const& p, bool keep) noexcept {
            buf_[tail_ & mask_] = p;
            tail_ += keep ? 1 : 0;
        }
        std::size_t bytes() const noexcept { return buf_.capacity() * sizeof(point); }
        std::size_t size() const noexcept { return static_cast<std::size_t>(tail_ - head_); }

    private:
        void grow();

        std::vector<point> buf_;
        std::uint64_t mask_ = 0;
        std::uint64_t head_ = 0, tail_ = 0;
    };

    // Sorted by percent descending, then slot: the next to fire is last.
    struct member {
        std::int32_t percent;
        slot_number slot;
        friend bool operator>(member a, member b) noexcept {
            return a.percent != b.percent ? a.percent > b.percent : a.slot > b.slot;
        }
        friend bool operator==(member, member) noexcept = default;
    };

    // `smallest` and `trigger` cache the last member's percent and the price
    // that fires it, so that moving an anchor or testing a trade leaves the
    // members alone.
    struct group {
        point anchor;
        std::int64_t trigger; // as side_state::trigger, for this group
        std::int32_t smallest;
        std::vector<member> members;
    };

    struct waiter {
        millis from;
        member who;
    };

    // One direction of one lane.
    struct side_state {
        // Up: the lowest price that can fire a member; down: the highest.
        std::int64_t trigger = 0;
        sequence last_anchor = 0;                                 // of the last group, or 0
        std::int64_t last_anchor_units = 0;                       // its price, when not 0
        millis waiting_from = std::numeric_limits<millis>::max(); // earliest `from`
        std::vector<group> groups;                                // ascending anchor.seq
        std::vector<waiter> waiting;
    };

    struct lane {
        millis window = 0;
        std::uint32_t users = 0;
        std::uint64_t low_front = 0, high_front = 0; // first deque point in the window
        millis low_until = 0, high_until = 0;        // past this time the front leaves the window
        side_state up, down;
    };

    // Points recorded but not yet sorted into the deques (see flush()).
    static constexpr std::uint32_t pending_capacity = 32;

    // Hot fields first: a trade that changes no lane reads the first cache
    // line (the summaries) and writes its point into `pending`.
    struct alignas(64) coin {
        // Summaries of the lanes (summarise()); the first cache line is all
        // that record_quiet() reads.
        // A trade at or after this time may move a front or start a waiting
        // window: min(next_until + 1, waiting_from).
        millis quiet_before = 0;
        std::int64_t up_trigger = 0;   // the lowest up trigger
        std::int64_t down_trigger = 0; // the highest down trigger
        // A price at or below low_guard (at or above high_guard) pops a lane
        // front or a group anchor off a deque: the price of the latest front
        // or anchor in lows (highs), or "every price" when a lane's window
        // is empty. Any other point changes no lane and may wait in
        // `pending`.
        std::int64_t low_guard = 0;
        std::int64_t high_guard = 0;
        millis clock = std::numeric_limits<millis>::min();
        sequence next_seq = 1;
        std::uint32_t pending_count = 0;
        millis next_until = 0;             // the earliest low_until / high_until
        millis waiting_from = 0;           // the earliest `from` waiting
        std::uint64_t low_front_last = 0;  // the latest lane front in lows
        std::uint64_t high_front_last = 0; // ... in highs
        sequence up_anchor_last = 0;       // the latest up group anchor
        sequence down_anchor_last = 0;     // ... down
        std::int64_t up_anchor_units = 0;  // its price
        std::int64_t down_anchor_units = 0;
        std::int64_t last_units = 0; // of the last point in the deques
        ring lows, highs;
        millis longest = 0;
        std::vector<lane> lanes;
        point pending[pending_capacity];
    };

    lane* find_lane(coin& c, millis window) noexcept;
    [[gnu::always_inline]] inline void record(coin& c, std::int64_t units, millis time);
    [[gnu::noinline]] void fix_lanes(coin& c, point p, std::uint64_t low_at, sequence low_popped,
                                     std::uint64_t high_at, sequence high_popped);
    [[gnu::noinline]] bool update_lanes(coin& c, millis t, std::int64_t up_probe,
                                        std::int64_t down_probe, std::vector<hit>& hits);
    [[gnu::noinline]] void resolve_all_waiting(coin& c, millis t, sequence first);
    void advance_front(coin& c, lane& l, move_direction side, millis t);
    void anchor_front(lane& l, move_direction side, ring const& r);
    void merge_from(side_state& s, std::size_t first, point anchor, move_direction side);
    void insert(side_state& s, point anchor, member m, move_direction side);
    void refresh_trigger(side_state& s, move_direction side) noexcept;
    static void retrigger(group& g, move_direction side) noexcept;
    void evaluate(side_state& s, std::int64_t probe, move_direction side, std::vector<hit>& hits);
    void resolve_waiting(coin& c, lane& l, move_direction side, millis t, sequence first);
    void evict(coin& c) noexcept;
    static void summarise(coin& c) noexcept;
    [[gnu::always_inline]] static inline void summary_reset(coin& c) noexcept;
    [[gnu::always_inline]] static inline void summary_add(coin& c, lane const& l) noexcept;
    static void summary_finish(coin& c) noexcept;
    static void flush(coin& c);

    std::vector<std::unique_ptr<coin>> coins_;
};

// Whether `units` is a move of `percent` hundredths of a percent from
// `reference`: up, at least (1 + percent/100) x reference; down, at most
// (1 - percent/100) x reference. Exact for all int64 inputs.
bool moved(move_direction side, std::int64_t units, std::int64_t reference,
           std::int32_t percent) noexcept;

} // namespace kryptod::core
