// alert_book implementation. Ticks take hits out of the index first and only
// then act on them, so that nothing armed while handling a tick (a watcher, a
// re-armed alert, an entry put back because it was not eligible) is evaluated
// against the same tick.
#include "core/alert_book.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace kryptod::core {

alert_terms alert_terms::of(alert const& a) noexcept {
    alert_terms t;
    t.id = a.id;
    t.symbol = a.symbol;
    t.kind = a.kind;
    t.target = a.target;
    t.side = a.side;
    t.move_percent = a.move_percent;
    t.window = seconds_to_millis(a.window_seconds);
    t.move_side = a.move_side;
    t.repeat = a.repeat;
    t.cooldown = seconds_to_millis(a.cooldown_seconds);
    t.expires_at = a.expires_at;
    return t;
}

arm_outcome alert_book::arm(alert_terms const& terms, millis now) {
    if (terms.id == alert_slots::empty_key) return arm_outcome::invalid_id;
    if (slots_by_id_.find(terms.id) != nullptr) return arm_outcome::duplicate;
    if (terms.expires_at && *terms.expires_at <= now) return arm_outcome::expired;
    if (terms.symbol >= symbols_.size()) return arm_outcome::unknown_symbol;
    if (terms.kind == alert_kind::move &&
        (terms.move_percent < min_move_percent_hundredths ||
         terms.move_percent > max_move_percent_hundredths ||
         terms.window < seconds_to_millis(min_move_window_seconds) ||
         terms.window > seconds_to_millis(max_move_window_seconds)))
        return arm_outcome::invalid_terms;

    slot_number n;
    if (free_slots_.empty()) {
        assert(slots_.size() < watcher_bit);
        n = static_cast<slot_number>(slots_.size());
        slots_.emplace_back();
    } else {
        n = free_slots_.back();
        free_slots_.pop_back();
    }
    slot& s = slots_[n];
    s.id = terms.id;
    s.target = terms.target;
    s.armed_at = now;
    s.cooldown = terms.cooldown;
    s.has_expiry = terms.expires_at.has_value();
    s.expires_at = terms.expires_at.value_or(0);
    s.symbol = terms.symbol;
    s.side = terms.side;
    s.kind = terms.kind;
    s.move_side = terms.move_side;
    s.move_percent = static_cast<std::int32_t>(terms.move_percent);
    s.window = static_cast<std::int32_t>(terms.window);
    s.move_from = 0;
    s.repeat = terms.repeat;
    s.state = phase::armed;
    s.cooled = false;
    s.in_use = true;
    slots_by_id_.insert(terms.id, n);
    if (s.kind == alert_kind::move) moves_.attach(s.symbol, s.window);
    arm_in_index(n);
    if (s.has_expiry) timers_.push(timer{s.expires_at, n, s.generation, timer_kind::expiry});
    return arm_outcome::armed;
}

void alert_book::reserve(std::size_t n) {
    slots_.reserve(n);
    slots_by_id_.reserve(n);
}

arm_outcome alert_book::restore(alert_terms const& terms, millis armed_at,
                                std::optional<millis> last_fire, millis now) {
    auto const outcome = arm(terms, armed_at);
    if (outcome != arm_outcome::armed || terms.repeat != repeat_mode::every || !last_fire)
        return outcome;
    // The state handle_hits() leaves after a fire, except that a cooldown
    // already over is taken as over at once: the first ticks after a start
    // must not wait for the first on_time() to fire it.
    slot_number const n = *slots_by_id_.find(terms.id);
    remove_from_index(n);
    slot& s = slots_[n];
    millis const cooldown_end = *last_fire + s.cooldown;
    s.cooled = cooldown_end <= now;
    if (s.kind == alert_kind::move) {
        // Its window starts afresh at the last fire, and nothing older than
        // that fire may fire it again.
        s.armed_at = std::max(s.armed_at, *last_fire);
        s.state = s.cooled ? phase::armed : phase::cooling;
        if (s.cooled) arm_in_index(n);
    } else {
        s.state = phase::crossing;
        watch_in_index(n);
    }
    if (!s.cooled) timers_.push(timer{cooldown_end, n, s.generation, timer_kind::cooldown_end});
    return outcome;
}

arm_outcome alert_book::update(alert_terms const& terms, millis now) {
    disarm(terms.id);
    return arm(terms, now);
}

bool alert_book::disarm(alert_id id) {
    auto const* n = slots_by_id_.find(id);
    if (n == nullptr) return false;
    auto const slot = *n;
    remove_from_index(slot);
    release(slot);
    return true;
}

bool alert_book::armed(alert_id id) const noexcept {
    auto const* n = slots_by_id_.find(id);
    return n != nullptr && slots_[*n].state == phase::armed;
}

std::optional<price> alert_book::watcher_target(slot const& s) const noexcept {
    // Back on the other side means strictly: one unit beyond the target.
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    constexpr auto min = std::numeric_limits<std::int64_t>::min();
    auto const t = s.target.units();
    if (s.side == direction::above) {
        if (t <= min + 1) return std::nullopt;
        return price::from_units(t - 1);
    }
    if (t == max) return std::nullopt;
    return price::from_units(t + 1);
}

void alert_book::arm_in_index(slot_number n) {
    slot const& s = slots_[n];
    if (s.kind == alert_kind::move) {
        if (s.move_from != 0)
            moves_.join_at(n, s.symbol, s.window, s.move_side, s.move_percent, s.move_from);
        else
            moves_.join_at_time(n, s.symbol, s.window, s.move_side, s.move_percent, s.armed_at);
        return;
    }
    [[maybe_unused]] bool const added = index_.arm(s.symbol, s.side, s.target, n);
    assert(added);
}

void alert_book::watch_in_index(slot_number n) {
    slot const& s = slots_[n];
    if (auto const at = watcher_target(s)) {
        auto const opposite = s.side == direction::above ? direction::below : direction::above;
        [[maybe_unused]] bool const added = index_.arm(s.symbol, opposite, *at, n | watcher_bit);
        assert(added);
    }
}

void alert_book::remove_from_index(slot_number n) {
    slot const& s = slots_[n];
    if (s.kind == alert_kind::move) {
        if (s.state == phase::armed) {
            [[maybe_unused]] bool const left =
                moves_.leave(n, s.symbol, s.window, s.move_side, s.move_percent);
            assert(left);
        }
        return;
    }
    switch (s.state) {
    case phase::armed:
        index_.disarm(s.symbol, s.side, s.target, n);
        break;
    case phase::crossing:
        if (auto const at = watcher_target(s)) {
            auto const opposite = s.side == direction::above ? direction::below : direction::above;
            index_.disarm(s.symbol, opposite, *at, n | watcher_bit);
        }
        break;
    case phase::cooling:
        break;
    }
}

void alert_book::release(slot_number n) {
    slot& s = slots_[n];
    slots_by_id_.erase(s.id);
    if (s.kind == alert_kind::move) moves_.detach(s.symbol, s.window);
    s.in_use = false;
    ++s.generation;
    free_slots_.push_back(n);
}

bool alert_book::eligible(slot const& s, millis exchange_time, millis now) const noexcept {
    if (s.armed_at > exchange_time) return false;
    if (s.has_expiry && (exchange_time >= s.expires_at || now >= s.expires_at)) return false;
    return true;
}

std::size_t alert_book::on_range(symbol_id symbol, price low, price high, millis exchange_time,
                                 millis now, std::vector<fired_alert>& fired) {
    assert(low <= high);
    hits_.clear();
    auto const before = fired.size();
    if (index_.on_range(symbol, low, high, hits_) != 0)
        handle_hits(exchange_time, now, std::nullopt, true, fired);
    if (moves_.watched(symbol))
        on_move_points(symbol, low, high, 2, exchange_time, now, true, fired);
    return fired.size() - before;
}

void alert_book::seed_minute(symbol_id symbol, millis minute_start, price low, price high) {
    assert(low <= high);
    constexpr millis last_millisecond = 59'999;
    price const points[] = {low, high};
    moves_.seed(symbol, points, 2, minute_start + last_millisecond);
}

void alert_book::on_move_points(symbol_id symbol, price low, price high, std::size_t count,
                                millis exchange_time, millis now, bool backfilled,
                                std::vector<fired_alert>& fired) {
    // A trade is the range [price, price] recorded once.
    move_hits_.clear();
    price const points[] = {low, high};
    auto const first =
        moves_.on_points(symbol, high, low, points, count, exchange_time, move_hits_);
    for (auto const& h : move_hits_) {
        slot& s = slots_[h.slot];
        assert(s.in_use && s.kind == alert_kind::move && s.state == phase::armed);
        if (!eligible(s, exchange_time, now)) {
            // Met, but this trade may not fire it: back where it was.
            moves_.join_at(h.slot, s.symbol, s.window, s.move_side, s.move_percent, h.anchor);
            continue;
        }
        bool const once = s.repeat == repeat_mode::once;
        fired.push_back(fired_alert{s.id, h.side == move_direction::up ? high : low, exchange_time,
                                    now, backfilled, once, h.reference, h.reference_time});
        if (once) {
            release(h.slot);
            continue;
        }
        s.state = phase::cooling;
        s.cooled = false;
        s.move_from = first;
        timers_.push(timer{now + s.cooldown, h.slot, s.generation, timer_kind::cooldown_end});
    }
}

void alert_book::handle_hits(millis exchange_time, millis now, std::optional<price> trade_price,
                             bool backfilled, std::vector<fired_alert>& fired) {
    // Slots and id-map buckets of large fires are scattered in memory: load
    // them a few hits ahead so that the misses overlap.
    constexpr std::size_t slot_ahead = 8, bucket_ahead = 4;
    auto const slot_of = [](threshold_index::hit const& h) {
        return static_cast<slot_number>(h.id & (watcher_bit - 1));
    };
    for (std::size_t i = 0; i < hits_.size(); ++i) {
        if (i + slot_ahead < hits_.size())
            __builtin_prefetch(&slots_[slot_of(hits_[i + slot_ahead])]);
        if (i + bucket_ahead < hits_.size())
            slots_by_id_.prefetch(slots_[slot_of(hits_[i + bucket_ahead])].id);
        auto const& h = hits_[i];
        auto const n = slot_of(h);
        slot& s = slots_[n];
        assert(s.in_use);
        if ((h.id & watcher_bit) != 0) {
            // The price is back on the other side of the target.
            assert(s.state == phase::crossing);
            if (s.cooled) {
                s.state = phase::armed;
                arm_in_index(n);
            } else {
                s.state = phase::cooling;
            }
            continue;
        }
        assert(s.state == phase::armed);
        if (!eligible(s, exchange_time, now)) {
            // Reached, but this trade may not fire it: put it back unchanged.
            arm_in_index(n);
            continue;
        }
        fired.push_back(fired_alert{s.id, trade_price.value_or(s.target), exchange_time, now,
                                    backfilled, s.repeat == repeat_mode::once, std::nullopt, 0});
        if (s.repeat == repeat_mode::once) {
            release(n);
            continue;
        }
        s.state = phase::crossing;
        s.cooled = false;
        watch_in_index(n);
        timers_.push(timer{now + s.cooldown, n, s.generation, timer_kind::cooldown_end});
    }
}

std::size_t alert_book::on_time(millis now, std::vector<alert_id>& expired) {
    std::size_t count = 0;
    while (!timers_.empty() && timers_.top().at <= now) {
        timer const due = timers_.top();
        timers_.pop();
        slot& s = slots_[due.slot];
        if (!s.in_use || s.generation != due.generation) continue; // stale
        if (due.kind == timer_kind::expiry) {
            expired.push_back(s.id);
            ++count;
            remove_from_index(due.slot);
            release(due.slot);
            continue;
        }
        if (s.state == phase::armed || s.cooled) continue; // stale: re-armed since
        s.cooled = true;
        if (s.state == phase::cooling) {
            s.state = phase::armed;
            arm_in_index(due.slot);
        }
    }
    return count;
}

} // namespace kryptod::core
