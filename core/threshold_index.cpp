// threshold_index implementation: the chunked sorted sequence behind each side
// and the per-coin fronts cache. See the header for the invariants.
#include "core/threshold_index.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace kryptod::core {

namespace {

constexpr std::int64_t order_of(direction side, price target) noexcept {
    return side == direction::above ? -target.units() : target.units();
}

constexpr price target_of(direction side, std::int64_t order) noexcept {
    return price::from_units(side == direction::above ? -order : order);
}

} // namespace

// --- sorted_keys ---------------------------------------------------------

std::size_t threshold_index::sorted_keys::chunk_for(key k) const noexcept {
    // The first chunk whose greatest key is >= k; keys past every chunk go
    // to the last one.
    auto const it = std::lower_bound(lasts_.begin(), lasts_.end(), k);
    auto const c = static_cast<std::size_t>(it - lasts_.begin());
    return c == lasts_.size() ? c - 1 : c;
}

bool threshold_index::sorted_keys::contains(key k) const {
    if (chunks_.empty()) return false;
    auto const& ch = *chunks_[chunk_for(k)];
    return std::binary_search(ch.keys, ch.keys + ch.size, k);
}

threshold_index::key const& threshold_index::sorted_keys::back() const noexcept {
    assert(!chunks_.empty());
    return lasts_.back();
}

std::pair<std::size_t, std::uint32_t> threshold_index::sorted_keys::split(std::size_t c,
                                                                          std::uint32_t pos) {
    // Appending past the greatest key or before the least starts a fresh,
    // empty chunk, so that sorted bulk loads fill chunks completely; anywhere
    // else the full chunk splits in half. The new chunk's last key is set by
    // the insertion that follows when it is still empty.
    auto fresh = std::make_unique_for_overwrite<chunk>();
    if (pos == capacity && c + 1 == chunks_.size()) {
        key const last = lasts_[c];
        chunks_.push_back(std::move(fresh));
        lasts_.push_back(last);
        return {c + 1, 0};
    }
    if (pos == 0 && c == 0) {
        key const last = lasts_[0];
        chunks_.insert(chunks_.begin(), std::move(fresh));
        lasts_.insert(lasts_.begin(), last);
        return {0, 0};
    }
    chunk& ch = *chunks_[c];
    std::uint32_t const half = capacity / 2;
    std::memcpy(fresh->keys, ch.keys + half, (capacity - half) * sizeof(key));
    fresh->size = capacity - half;
    ch.size = half;
    auto const next = static_cast<std::ptrdiff_t>(c + 1);
    key const last = lasts_[c];
    lasts_.insert(lasts_.begin() + next, last);
    lasts_[c] = ch.keys[half - 1];
    chunks_.insert(chunks_.begin() + next, std::move(fresh));
    if (pos <= half) return {c, pos};
    return {c + 1, pos - half};
}

bool threshold_index::sorted_keys::insert(key k) {
    if (chunks_.empty()) {
        chunks_.push_back(std::make_unique_for_overwrite<chunk>());
        chunks_[0]->keys[0] = k;
        chunks_[0]->size = 1;
        lasts_.push_back(k);
        ++size_;
        return true;
    }
    std::size_t c = chunk_for(k);
    chunk* ch = chunks_[c].get();
    auto pos =
        static_cast<std::uint32_t>(std::lower_bound(ch->keys, ch->keys + ch->size, k) - ch->keys);
    if (pos < ch->size && ch->keys[pos] == k) return false;

    if (ch->size == capacity) {
        auto const [at, at_pos] = split(c, pos);
        c = at;
        pos = at_pos;
        ch = chunks_[c].get();
    }
    std::memmove(ch->keys + pos + 1, ch->keys + pos, (ch->size - pos) * sizeof(key));
    ch->keys[pos] = k;
    ++ch->size;
    if (pos + 1 == ch->size) lasts_[c] = k;
    ++size_;
    return true;
}

bool threshold_index::sorted_keys::erase(key k) {
    if (chunks_.empty()) return false;
    std::size_t const c = chunk_for(k);
    chunk& ch = *chunks_[c];
    auto const pos =
        static_cast<std::uint32_t>(std::lower_bound(ch.keys, ch.keys + ch.size, k) - ch.keys);
    if (pos == ch.size || ch.keys[pos] != k) return false;
    std::memmove(ch.keys + pos, ch.keys + pos + 1, (ch.size - pos - 1) * sizeof(key));
    --ch.size;
    --size_;
    if (ch.size == 0) {
        erase_chunk(c);
        return true;
    }
    lasts_[c] = ch.keys[ch.size - 1];
    merge_if_sparse(c);
    return true;
}

void threshold_index::sorted_keys::erase_chunk(std::size_t c) {
    chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
    lasts_.erase(lasts_.begin() + static_cast<std::ptrdiff_t>(c));
}

void threshold_index::sorted_keys::merge_if_sparse(std::size_t c) {
    chunk& ch = *chunks_[c];
    if (ch.size >= capacity / 3) return;
    // Prefer the neighbour with more room; either keeps the order intact
    // because the two chunks hold adjacent key ranges.
    if (c > 0 && chunks_[c - 1]->size + ch.size <= capacity) {
        chunk& left = *chunks_[c - 1];
        std::memcpy(left.keys + left.size, ch.keys, ch.size * sizeof(key));
        left.size += ch.size;
        lasts_[c - 1] = lasts_[c];
        erase_chunk(c);
    } else if (c + 1 < chunks_.size() && chunks_[c + 1]->size + ch.size <= capacity) {
        chunk& right = *chunks_[c + 1];
        std::memmove(right.keys + ch.size, right.keys, right.size * sizeof(key));
        std::memcpy(right.keys, ch.keys, ch.size * sizeof(key));
        right.size += ch.size;
        erase_chunk(c);
    }
}

template <class Emit>
std::size_t threshold_index::sorted_keys::pop_from(std::int64_t limit, Emit&& emit) {
    std::size_t popped = 0;
    while (!chunks_.empty() && lasts_.back().order >= limit) {
        chunk& ch = *chunks_.back();
        // Entries to fire are a suffix of the last chunk; find where it starts.
        std::uint32_t from = ch.size;
        while (from > 0 && ch.keys[from - 1].order >= limit)
            --from;
        for (std::uint32_t i = ch.size; i > from; --i)
            emit(ch.keys[i - 1]);
        popped += ch.size - from;
        size_ -= ch.size - from;
        ch.size = from;
        if (from == 0) {
            chunks_.pop_back();
            lasts_.pop_back();
        } else {
            lasts_.back() = ch.keys[from - 1];
            break;
        }
    }
    return popped;
}

// --- threshold_index -----------------------------------------------------

bool threshold_index::arm(symbol_id symbol, direction side, price target, handle id) {
    assert(target.units() != std::numeric_limits<std::int64_t>::min());
    if (symbol >= coins_.size()) {
        coins_.resize(symbol + std::size_t{1});
        fronts_.resize(symbol + std::size_t{1});
    }
    auto& keys = side == direction::above ? coins_[symbol].above : coins_[symbol].below;
    if (!keys.insert(key{order_of(side, target), id})) return false;
    ++size_;
    auto& f = fronts_[symbol];
    if (side == direction::above)
        f.min_above = std::min(f.min_above, target.units());
    else
        f.max_below = std::max(f.max_below, target.units());
    return true;
}

bool threshold_index::disarm(symbol_id symbol, direction side, price target, handle id) {
    if (symbol >= coins_.size()) return false;
    auto& keys = side == direction::above ? coins_[symbol].above : coins_[symbol].below;
    if (!keys.erase(key{order_of(side, target), id})) return false;
    --size_;
    refresh_front(symbol);
    return true;
}

bool threshold_index::retarget(symbol_id symbol, direction old_side, price old_target,
                               direction new_side, price new_target, handle id) {
    if (!contains(symbol, old_side, old_target, id)) return false;
    if (contains(symbol, new_side, new_target, id)) return false;
    disarm(symbol, old_side, old_target, id);
    arm(symbol, new_side, new_target, id);
    return true;
}

std::size_t threshold_index::on_range(symbol_id symbol, price low, price high,
                                      std::vector<hit>& fired) {
    assert(low <= high);
    if (symbol >= fronts_.size()) return 0;
    return fire(symbol, high, low, fired);
}

std::size_t threshold_index::fire(symbol_id symbol, price above_limit, price below_limit,
                                  std::vector<hit>& fired) {
    auto& c = coins_[symbol];
    auto& f = fronts_[symbol];
    std::size_t n = 0;
    if (above_limit.units() >= f.min_above)
        n += c.above.pop_from(-above_limit.units(), [&](key const& k) {
            fired.push_back(hit{k.id, target_of(direction::above, k.order), direction::above});
        });
    if (below_limit.units() <= f.max_below)
        n += c.below.pop_from(below_limit.units(), [&](key const& k) {
            fired.push_back(hit{k.id, target_of(direction::below, k.order), direction::below});
        });
    size_ -= n;
    refresh_front(symbol);
    return n;
}

void threshold_index::refresh_front(symbol_id symbol) {
    auto const& c = coins_[symbol];
    auto& f = fronts_[symbol];
    f.min_above = c.above.empty() ? none_above : -c.above.back().order;
    f.max_below = c.below.empty() ? none_below : c.below.back().order;
}

bool threshold_index::contains(symbol_id symbol, direction side, price target, handle id) const {
    if (symbol >= coins_.size()) return false;
    auto const& keys = side == direction::above ? coins_[symbol].above : coins_[symbol].below;
    return keys.contains(key{order_of(side, target), id});
}

std::optional<price> threshold_index::front(symbol_id symbol, direction side) const noexcept {
    if (symbol >= coins_.size()) return std::nullopt;
    auto const& keys = side == direction::above ? coins_[symbol].above : coins_[symbol].below;
    if (keys.empty()) return std::nullopt;
    return target_of(side, keys.back().order);
}

std::size_t threshold_index::size(symbol_id symbol) const noexcept {
    if (symbol >= coins_.size()) return 0;
    return coins_[symbol].above.size() + coins_[symbol].below.size();
}

} // namespace kryptod::core
