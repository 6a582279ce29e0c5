// move_index implementation. A call evaluates first and records after, so a
// trade is never part of its own window; groups and fronts are fixed up right
// after each point is recorded, so the invariants hold between calls. See the
// header for the rules and invariants.
#include "core/move_index.hpp"

#include <algorithm>
#include <cassert>
#include <functional>
#include <utility>

namespace kryptod::core {

namespace {

__extension__ typedef __int128 wide;

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();
constexpr wide hundredths_per_whole = 10000; // percent in hundredths: 100 % is 10000

std::int64_t clamp_to_int64(wide v) noexcept {
    if (v > int64_max) return int64_max;
    if (v < int64_min) return int64_min;
    return static_cast<std::int64_t>(v);
}

// Up: the lowest price that moved() accepts from `reference` by `percent`
// (ceil(reference * (10000 + percent) / 10000)); down: the highest
// (floor(reference * (10000 - percent) / 10000)). Clamped to int64, which
// keeps it a safe filter: moved() has the last word.
std::int64_t trigger_of(move_direction side, std::int64_t reference,
                        std::int32_t percent) noexcept {
    // Real prices times a factor fit in 64 bits, where dividing by the
    // constant is a multiplication; the 128-bit division (a library call)
    // is left for the rest. Both truncate toward zero, so they agree.
    std::int64_t const factor =
        side == move_direction::up ? std::int64_t{10000} + percent : std::int64_t{10000} - percent;
    if (std::int64_t x = 0; !__builtin_mul_overflow(reference, factor, &x)) {
        std::int64_t q = x / 10000;
        std::int64_t const r = x % 10000;
        if (side == move_direction::up && r > 0) ++q;
        if (side == move_direction::down && r < 0) --q;
        return q;
    }
    if (side == move_direction::up) {
        wide const x = wide{reference} * (hundredths_per_whole + percent);
        wide q = x / hundredths_per_whole;
        if (x % hundredths_per_whole > 0) ++q;
        return clamp_to_int64(q);
    }
    wide const x = wide{reference} * (hundredths_per_whole - percent);
    wide q = x / hundredths_per_whole;
    if (x % hundredths_per_whole < 0) --q;
    return clamp_to_int64(q);
}

constexpr std::int64_t no_trigger(move_direction side) noexcept {
    return side == move_direction::up ? int64_max : int64_min;
}

} // namespace

bool moved(move_direction side, std::int64_t units, std::int64_t reference,
           std::int32_t percent) noexcept {
    wide const lhs = wide{units} * hundredths_per_whole;
    if (side == move_direction::up)
        return lhs >= wide{reference} * (hundredths_per_whole + percent);
    return lhs <= wide{reference} * (hundredths_per_whole - percent);
}

// --- ring ------------------------------------------------------------------

void move_index::ring::grow() {
    std::size_t const capacity = buf_.empty() ? 16 : buf_.size() * 2;
    std::vector<point> grown(capacity);
    std::uint64_t const mask = capacity - 1;
    for (std::uint64_t i = head_; i < tail_; ++i)
        grown[i & mask] = buf_[i & mask_];
    buf_.swap(grown);
    mask_ = mask;
}

// --- lanes -----------------------------------------------------------------

move_index::lane* move_index::find_lane(coin& c, millis window) noexcept {
    for (auto& l : c.lanes)
        if (l.window == window) return &l;
    return nullptr;
}

void move_index::attach(symbol_id symbol, millis window) {
    if (symbol >= coins_.size()) coins_.resize(symbol + std::size_t{1});
    if (!coins_[symbol]) coins_[symbol] = std::make_unique<coin>();
    coin& c = *coins_[symbol];
    flush(c);
    if (lane* l = find_lane(c, window)) {
        ++l->users;
        return;
    }
    lane l;
    l.window = window;
    l.users = 1;
    l.up.trigger = no_trigger(move_direction::up);
    l.down.trigger = no_trigger(move_direction::down);
    // The new lane's window holds whatever history the deques kept.
    auto const first_inside = [&](ring const& r) {
        std::uint64_t pos = r.head();
        if (c.clock != std::numeric_limits<millis>::min())
            while (pos < r.tail() && r.at(pos).time < c.clock - window)
                ++pos;
        return pos;
    };
    l.low_front = first_inside(c.lows);
    l.high_front = first_inside(c.highs);
    l.low_until = l.low_front < c.lows.tail() ? c.lows.at(l.low_front).time + window
                                              : std::numeric_limits<millis>::max();
    l.high_until = l.high_front < c.highs.tail() ? c.highs.at(l.high_front).time + window
                                                 : std::numeric_limits<millis>::max();
    c.lanes.push_back(std::move(l));
    c.longest = std::max(c.longest, window);
    evict(c);
    summarise(c);
}

void move_index::detach(symbol_id symbol, millis window) {
    assert(watched(symbol));
    coin& c = *coins_[symbol];
    flush(c);
    lane* l = find_lane(c, window);
    assert(l != nullptr && l->users > 0);
    if (--l->users != 0) return;
    assert(l->up.groups.empty() && l->down.groups.empty());
    assert(l->up.waiting.empty() && l->down.waiting.empty());
    c.lanes.erase(c.lanes.begin() + (l - c.lanes.data()));
    if (c.lanes.empty()) {
        coins_[symbol].reset();
        return;
    }
    c.longest = 0;
    for (auto const& other : c.lanes)
        c.longest = std::max(c.longest, other.window);
    evict(c);
    summarise(c);
}

void move_index::evict(coin& c) noexcept {
    // Every lane's front is inside the longest window: the deques start at
    // the earliest front.
    if (c.lanes.empty()) return;
    std::uint64_t low = c.lanes.front().low_front, high = c.lanes.front().high_front;
    for (auto const& l : c.lanes) {
        low = std::min(low, l.low_front);
        high = std::min(high, l.high_front);
    }
    c.lows.set_head(low);
    c.highs.set_head(high);
}

// --- groups ----------------------------------------------------------------

void move_index::retrigger(group& g, move_direction side) noexcept {
    g.smallest = g.members.back().percent;
    g.trigger = trigger_of(side, g.anchor.units, g.smallest);
}

void move_index::refresh_trigger(side_state& s, move_direction side) noexcept {
    std::int64_t t = no_trigger(side);
    for (auto const& g : s.groups)
        t = side == move_direction::up ? std::min(t, g.trigger) : std::max(t, g.trigger);
    s.trigger = t;
    s.last_anchor = s.groups.empty() ? 0 : s.groups.back().anchor.seq;
    s.last_anchor_units = s.groups.empty() ? 0 : s.groups.back().anchor.units;
}

void move_index::summary_reset(coin& c) noexcept {
    c.next_until = std::numeric_limits<millis>::max();
    c.up_trigger = no_trigger(move_direction::up);
    c.down_trigger = no_trigger(move_direction::down);
    c.low_front_last = c.high_front_last = 0;
    c.up_anchor_last = c.down_anchor_last = 0;
    c.up_anchor_units = int64_min;
    c.down_anchor_units = int64_max;
    c.waiting_from = std::numeric_limits<millis>::max();
}

void move_index::summary_add(coin& c, lane const& l) noexcept {
    c.next_until = std::min({c.next_until, l.low_until, l.high_until});
    c.up_trigger = std::min(c.up_trigger, l.up.trigger);
    c.down_trigger = std::max(c.down_trigger, l.down.trigger);
    c.low_front_last = std::max(c.low_front_last, l.low_front);
    c.high_front_last = std::max(c.high_front_last, l.high_front);
    // The latest anchor is the highest (lowest) of a deque's anchors.
    if (l.up.last_anchor > c.up_anchor_last) {
        c.up_anchor_last = l.up.last_anchor;
        c.up_anchor_units = l.up.last_anchor_units;
    }
    if (l.down.last_anchor > c.down_anchor_last) {
        c.down_anchor_last = l.down.last_anchor;
        c.down_anchor_units = l.down.last_anchor_units;
    }
    c.waiting_from = std::min({c.waiting_from, l.up.waiting_from, l.down.waiting_from});
}

void move_index::summary_finish(coin& c) noexcept {
    constexpr millis never = std::numeric_limits<millis>::max();
    c.quiet_before = std::min(c.next_until == never ? never : c.next_until + 1, c.waiting_from);
    // The latest front holds the highest (lowest) price of the fronts; a
    // front at the deque's end (an empty window) takes the next point.
    auto const front_units = [](ring const& r, std::uint64_t front, std::int64_t empty) {
        return front < r.tail() ? r.at(front).units : empty;
    };
    c.low_guard = std::max(front_units(c.lows, c.low_front_last, int64_max), c.up_anchor_units);
    c.high_guard =
        std::min(front_units(c.highs, c.high_front_last, int64_min), c.down_anchor_units);
}

void move_index::summarise(coin& c) noexcept {
    summary_reset(c);
    for (auto const& l : c.lanes)
        summary_add(c, l);
    summary_finish(c);
}

void move_index::insert(side_state& s, point anchor, member m, move_direction side) {
    auto it = std::lower_bound(s.groups.begin(), s.groups.end(), anchor.seq,
                               [](group const& g, sequence seq) { return g.anchor.seq < seq; });
    if (it == s.groups.end() || it->anchor.seq != anchor.seq)
        it = s.groups.insert(it, group{anchor, 0, 0, {}});
    auto& members = it->members;
    members.insert(std::lower_bound(members.begin(), members.end(), m, std::greater<>{}), m);
    retrigger(*it, side);
    refresh_trigger(s, side);
}

void move_index::merge_from(side_state& s, std::size_t first, point anchor, move_direction side) {
    // Replaces groups [first, end) by one group anchored at `anchor`.
    assert(first < s.groups.size());
    group& into = s.groups[first];
    for (std::size_t g = first + 1; g < s.groups.size(); ++g) {
        auto& more = s.groups[g].members;
        auto const mid = static_cast<std::ptrdiff_t>(into.members.size());
        into.members.insert(into.members.end(), more.begin(), more.end());
        std::inplace_merge(into.members.begin(), into.members.begin() + mid, into.members.end(),
                           std::greater<>{});
        into.smallest = std::min(into.smallest, s.groups[g].smallest);
    }
    // The cached smallest percent gives the trigger without the members.
    into.anchor = anchor;
    into.trigger = trigger_of(side, anchor.units, into.smallest);
    s.groups.resize(first + 1);
    refresh_trigger(s, side);
}

void move_index::anchor_front(lane& l, move_direction side, ring const& r) {
    // Groups anchored before the lane's front left the window: their low is
    // now the front's.
    auto& s = side == move_direction::up ? l.up : l.down;
    std::uint64_t const front = side == move_direction::up ? l.low_front : l.high_front;
    if (s.groups.empty()) return;
    if (front == r.tail()) {
        // Nothing left in the window: every group waits for the next point.
        for (auto& g : s.groups)
            for (auto const m : g.members)
                s.waiting.push_back(waiter{std::numeric_limits<millis>::min(), m});
        s.waiting_from = std::numeric_limits<millis>::min();
        s.groups.clear();
        s.trigger = no_trigger(side);
        s.last_anchor = 0;
        return;
    }
    point const& p = r.at(front);
    std::size_t end = 0;
    while (end < s.groups.size() && s.groups[end].anchor.seq <= p.seq)
        ++end;
    if (end == 0 || (end == 1 && s.groups[0].anchor.seq == p.seq)) return;
    // Merge [0, end) into one group at the front, keeping the later groups.
    std::vector<group> later(std::make_move_iterator(s.groups.begin() + static_cast<long>(end)),
                             std::make_move_iterator(s.groups.end()));
    s.groups.resize(end);
    merge_from(s, 0, p, side);
    for (auto& g : later)
        s.groups.push_back(std::move(g));
    refresh_trigger(s, side);
}

void move_index::advance_front(coin& c, lane& l, move_direction side, millis t) {
    bool const up = side == move_direction::up;
    ring const& r = up ? c.lows : c.highs;
    std::uint64_t& front = up ? l.low_front : l.high_front;
    millis& until = up ? l.low_until : l.high_until;
    while (front < r.tail() && r.at(front).time < t - l.window)
        ++front;
    until = front < r.tail() ? r.at(front).time + l.window : std::numeric_limits<millis>::max();
    anchor_front(l, side, r);
}

void move_index::join_at(slot_number slot, symbol_id symbol, millis window, move_direction side,
                         std::int32_t percent, sequence from) {
    assert(watched(symbol));
    coin& c = *coins_[symbol];
    flush(c);
    lane* l = find_lane(c, window);
    assert(l != nullptr);
    bool const up = side == move_direction::up;
    ring const& r = up ? c.lows : c.highs;
    auto& s = up ? l->up : l->down;
    member const m{percent, slot};
    // Binary search over the lane's part of the deque: seq grows with position.
    std::uint64_t lo = up ? l->low_front : l->high_front, hi = r.tail();
    while (lo < hi) {
        std::uint64_t const mid = lo + (hi - lo) / 2;
        if (r.at(mid).seq < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == r.tail()) {
        // The window is empty from `from` on: the next point starts it.
        s.waiting.push_back(waiter{std::numeric_limits<millis>::min(), m});
        s.waiting_from = std::numeric_limits<millis>::min();
    } else {
        insert(s, r.at(lo), m, side);
    }
    summarise(c);
}

void move_index::join_at_time(slot_number slot, symbol_id symbol, millis window,
                              move_direction side, std::int32_t percent, millis from) {
    assert(watched(symbol));
    coin& c = *coins_[symbol];
    flush(c);
    lane* l = find_lane(c, window);
    assert(l != nullptr);
    bool const up = side == move_direction::up;
    ring const& r = up ? c.lows : c.highs;
    std::uint64_t lo = up ? l->low_front : l->high_front, hi = r.tail();
    while (lo < hi) {
        std::uint64_t const mid = lo + (hi - lo) / 2;
        if (r.at(mid).time < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    auto& s = up ? l->up : l->down;
    if (lo < r.tail()) {
        insert(s, r.at(lo), member{percent, slot}, side);
    } else {
        s.waiting.push_back(waiter{from, member{percent, slot}});
        s.waiting_from = std::min(s.waiting_from, from);
    }
    summarise(c);
}

bool move_index::leave(slot_number slot, symbol_id symbol, millis window, move_direction side,
                       std::int32_t percent) {
    if (!watched(symbol)) return false;
    coin& c = *coins_[symbol];
    flush(c);
    lane* l = find_lane(c, window);
    if (l == nullptr) return false;
    auto& s = side == move_direction::up ? l->up : l->down;
    member const m{percent, slot};
    for (std::size_t i = 0; i < s.waiting.size(); ++i) {
        if (!(s.waiting[i].who == m)) continue;
        s.waiting[i] = s.waiting.back();
        s.waiting.pop_back();
        s.waiting_from = std::numeric_limits<millis>::max();
        for (auto const& w : s.waiting)
            s.waiting_from = std::min(s.waiting_from, w.from);
        summarise(c);
        return true;
    }
    for (auto g = s.groups.begin(); g != s.groups.end(); ++g) {
        auto& members = g->members;
        auto const it = std::lower_bound(members.begin(), members.end(), m, std::greater<>{});
        if (it == members.end() || !(*it == m)) continue;
        members.erase(it);
        if (members.empty())
            s.groups.erase(g);
        else
            retrigger(*g, side);
        refresh_trigger(s, side);
        summarise(c);
        return true;
    }
    return false;
}

// --- points ----------------------------------------------------------------

void move_index::evaluate(side_state& s, std::int64_t probe, move_direction side,
                          std::vector<hit>& hits) {
    bool emptied = false;
    bool const up = side == move_direction::up;
    for (auto& g : s.groups) {
        if (up ? probe < g.trigger : probe > g.trigger) continue;
        auto& members = g.members;
        while (!members.empty() && moved(side, probe, g.anchor.units, members.back().percent)) {
            hits.push_back(hit{members.back().slot, side, price::from_units(g.anchor.units),
                               g.anchor.time, g.anchor.seq});
            members.pop_back();
        }
        if (members.empty())
            emptied = true;
        else
            retrigger(g, side);
    }
    if (emptied) std::erase_if(s.groups, [](group const& g) { return g.members.empty(); });
    refresh_trigger(s, side);
}

void move_index::record(coin& c, std::int64_t units, millis t) {
    point const p{units, t, c.next_seq++};
    // Pops the points `p` dominates off the back of `r` and pushes it;
    // returns where it went and the sequence of the first point popped
    // (no_pop for none). The last point recorded is the back of both deques
    // while they hold anything, and its price is kept in the coin: one deque
    // keeps its back (or, for an equal price, both pop just that point)
    // without reading either, so a trade reads at most the other deque's
    // next-to-back point.
    constexpr sequence no_pop = std::numeric_limits<sequence>::max();
    auto const push = [&](ring& r, std::int64_t last, auto dominated) {
        std::uint64_t tail = r.tail();
        sequence popped = no_pop;
        if (tail > r.head()) {
            assert(r.at(tail - 1).units == last && r.at(tail - 1).seq == p.seq - 1);
            if (!dominated(last)) {
                r.push(p);
                return std::pair{tail, popped};
            }
            --tail;
            popped = p.seq - 1;
            // The points before the back differ from it strictly: below an
            // equal price nothing more can be dominated.
            if (last != p.units)
                while (tail > r.head() && dominated(r.at(tail - 1).units))
                    popped = r.at(--tail).seq;
        }
        r.set_tail(tail);
        r.push(p);
        return std::pair{tail, popped};
    };
    auto const last = c.last_units;
    c.last_units = units;
    auto const [low_at, low_popped] =
        push(c.lows, last, [units](std::int64_t back) { return back >= units; });
    auto const [high_at, high_popped] =
        push(c.highs, last, [units](std::int64_t back) { return back <= units; });
    if (c.low_front_last >= low_at || c.up_anchor_last >= low_popped ||
        c.high_front_last >= high_at || c.down_anchor_last >= high_popped) [[unlikely]]
        fix_lanes(c, p, low_at, low_popped, high_at, high_popped);
}

void move_index::fix_lanes(coin& c, point p, std::uint64_t low_at, sequence low_popped,
                           std::uint64_t high_at, sequence high_popped) {
    // The new point popped a lane's front or a group's anchor.
    millis const t = p.time;
    auto const fix = [&](lane& l, move_direction side, std::uint64_t at, sequence popped) {
        bool const up = side == move_direction::up;
        std::uint64_t& front = up ? l.low_front : l.high_front;
        if (front >= at) {
            // The front was popped (or the window was empty): the new point
            // is the lane's low (high) now.
            front = at;
            (up ? l.low_until : l.high_until) = t + l.window;
        }
        auto& s = up ? l.up : l.down;
        if (s.last_anchor < popped) return;
        // Groups anchored on popped points now have the new point as their
        // reference.
        std::size_t first = s.groups.size();
        while (first > 0 && s.groups[first - 1].anchor.seq >= popped)
            --first;
        merge_from(s, first, p, side);
    };
    // One pass: each lane is fixed and summarised while its lines are loaded.
    summary_reset(c);
    for (auto& l : c.lanes) {
        fix(l, move_direction::up, low_at, low_popped);
        fix(l, move_direction::down, high_at, high_popped);
        summary_add(c, l);
    }
    summary_finish(c);
}

void move_index::flush(coin& c) {
    std::uint32_t const n = c.pending_count;
    if (n == 0) return;
    c.pending_count = 0;
    // Recording the points one by one would leave in lows those lower than
    // every later point (strict suffix minima) and in highs those higher than
    // every later one: the batch's own are found in one backward pass, and
    // the deques lose what the batch's lowest (highest) dominates. No point
    // of the batch reached a guard, so no front or anchor goes.
    bool keep_low[pending_capacity];
    bool keep_high[pending_capacity];
    std::int64_t lowest = int64_max, highest = int64_min;
    for (std::uint32_t i = n; i-- > 0;) {
        auto const units = c.pending[i].units;
        keep_low[i] = units < lowest;
        keep_high[i] = units > highest;
        lowest = std::min(lowest, units);
        highest = std::max(highest, units);
    }
    auto const pop = [](ring& r, auto dominated) {
        std::uint64_t tail = r.tail();
        while (tail > r.head() && dominated(r.at(tail - 1).units))
            --tail;
        r.set_tail(tail);
    };
    pop(c.lows, [lowest](std::int64_t back) { return back >= lowest; });
    pop(c.highs, [highest](std::int64_t back) { return back <= highest; });
    assert(c.low_front_last < c.lows.tail() && c.high_front_last < c.highs.tail());
    c.lows.make_room(n);
    c.highs.make_room(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        c.lows.push_if(c.pending[i], keep_low[i]);
        c.highs.push_if(c.pending[i], keep_high[i]);
    }
    c.last_units = c.pending[n - 1].units;
}

void move_index::resolve_waiting(coin& c, lane& l, move_direction side, millis t, sequence first) {
    bool const up = side == move_direction::up;
    auto& s = up ? l.up : l.down;
    ring const& r = up ? c.lows : c.highs;
    // The first deque point at or after `first`: a point of this call.
    std::uint64_t pos = r.tail();
    while (pos > r.head() && r.at(pos - 1).seq >= first)
        --pos;
    assert(pos < r.tail());
    point const anchor = r.at(pos);
    std::vector<member> ready;
    millis next = std::numeric_limits<millis>::max();
    std::erase_if(s.waiting, [&](waiter const& w) {
        if (w.from <= t) {
            ready.push_back(w.who);
            return true;
        }
        next = std::min(next, w.from);
        return false;
    });
    s.waiting_from = next;
    std::sort(ready.begin(), ready.end(), std::greater<>{});
    auto it = std::lower_bound(s.groups.begin(), s.groups.end(), anchor.seq,
                               [](group const& g, sequence seq) { return g.anchor.seq < seq; });
    if (it == s.groups.end() || it->anchor.seq != anchor.seq) {
        it = s.groups.insert(it, group{anchor, 0, 0, std::move(ready)});
    } else {
        auto& members = it->members;
        auto const mid = static_cast<std::ptrdiff_t>(members.size());
        members.insert(members.end(), ready.begin(), ready.end());
        std::inplace_merge(members.begin(), members.begin() + mid, members.end(), std::greater<>{});
    }
    retrigger(*it, side);
    refresh_trigger(s, side);
}

bool move_index::update_lanes(coin& c, millis t, std::int64_t up_probe, std::int64_t down_probe,
                              std::vector<hit>& hits) {
    flush(c);
    bool advanced = false;
    summary_reset(c);
    for (auto& l : c.lanes) {
        if (t > l.low_until) {
            advance_front(c, l, move_direction::up, t);
            advanced = true;
        }
        if (t > l.high_until) {
            advance_front(c, l, move_direction::down, t);
            advanced = true;
        }
        if (up_probe >= l.up.trigger) evaluate(l.up, up_probe, move_direction::up, hits);
        if (down_probe <= l.down.trigger) evaluate(l.down, down_probe, move_direction::down, hits);
        summary_add(c, l);
    }
    summary_finish(c);
    return advanced;
}

void move_index::resolve_all_waiting(coin& c, millis t, sequence first) {
    flush(c);
    for (auto& l : c.lanes) {
        if (l.up.waiting_from <= t) resolve_waiting(c, l, move_direction::up, t, first);
        if (l.down.waiting_from <= t) resolve_waiting(c, l, move_direction::down, t, first);
    }
    summarise(c);
}

move_index::sequence move_index::on_points(symbol_id symbol, price up_probe, price down_probe,
                                           price const* points, std::size_t count, millis time,
                                           std::vector<hit>& hits) {
    assert(watched(symbol));
    // A trade that moves no front and reaches no trigger compares with the
    // coin's summaries and pushes onto the deques; the rest is out of line.
    coin& c = *coins_[symbol];
    millis const t = std::max(time, c.clock);
    c.clock = t;
    bool advanced = false;
    if (t > c.next_until || up_probe.units() >= c.up_trigger ||
        down_probe.units() <= c.down_trigger) [[unlikely]]
        advanced = update_lanes(c, t, up_probe.units(), down_probe.units(), hits);
    sequence const first = c.next_seq;
    for (std::size_t i = 0; i < count; ++i) {
        auto const units = points[i].units();
        if (units > c.low_guard && units < c.high_guard && c.pending_count < pending_capacity)
            [[likely]] {
            c.pending[c.pending_count++] = point{units, t, c.next_seq++};
            continue;
        }
        flush(c);
        record(c, units, t);
    }
    if (c.waiting_from <= t) [[unlikely]]
        resolve_all_waiting(c, t, first);
    if (advanced) [[unlikely]]
        evict(c);
    return first;
}

void move_index::seed(symbol_id symbol, price const* points, std::size_t count, millis time) {
    if (!watched(symbol)) return;
    std::vector<hit> none;
    on_points(symbol, price::from_units(int64_min), price::from_units(int64_max), points, count,
              time, none);
    assert(none.empty());
}

// --- figures ---------------------------------------------------------------

std::size_t move_index::window_bytes(symbol_id symbol) const noexcept {
    if (!watched(symbol)) return 0;
    coin const& c = *coins_[symbol];
    return c.lows.bytes() + c.highs.bytes() + sizeof c.pending;
}

std::size_t move_index::window_points(symbol_id symbol) const noexcept {
    if (!watched(symbol)) return 0;
    coin const& c = *coins_[symbol];
    return c.lows.size() + c.highs.size() + c.pending_count;
}

std::size_t move_index::memory_bytes() const noexcept {
    std::size_t bytes = coins_.capacity() * sizeof(std::unique_ptr<coin>);
    auto const side_bytes = [](side_state const& s) {
        std::size_t b = s.groups.capacity() * sizeof(group) + s.waiting.capacity() * sizeof(waiter);
        for (auto const& g : s.groups)
            b += g.members.capacity() * sizeof(member);
        return b;
    };
    for (auto const& c : coins_) {
        if (!c) continue;
        bytes +=
            sizeof(coin) + c->lows.bytes() + c->highs.bytes() + c->lanes.capacity() * sizeof(lane);
        for (auto const& l : c->lanes)
            bytes += side_bytes(l.up) + side_bytes(l.down);
    }
    return bytes;
}

} // namespace kryptod::core
