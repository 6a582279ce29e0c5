// alert_slots implementation: growth by rehashing into twice the capacity and
// removal by backward shift, which keeps probe sequences free of gaps.
#include "core/alert_slots.hpp"

#include <utility>

namespace kryptod::core {

bool alert_slots::insert(alert_id id, slot_number slot) {
    assert(id != empty_key);
    if (2 * (size_ + 1) > entries_.size()) grow();
    for (std::size_t i = home(id);; i = (i + 1) & mask_) {
        auto& e = entries_[i];
        if (e.key == id) return false;
        if (e.key == empty_key) {
            e = entry{id, slot};
            ++size_;
            return true;
        }
    }
}

bool alert_slots::erase(alert_id id) noexcept {
    if (entries_.empty()) return false;
    std::size_t i = home(id);
    while (entries_[i].key != id) {
        if (entries_[i].key == empty_key) return false;
        i = (i + 1) & mask_;
    }
    // Shift back every following entry whose home lies at or before the hole
    // (cyclically), so that lookups never stop early at the emptied entry.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; entries_[j].key != empty_key; j = (j + 1) & mask_) {
        std::size_t const h = home(entries_[j].key);
        bool const movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
        if (movable) {
            entries_[hole] = entries_[j];
            hole = j;
        }
    }
    entries_[hole] = entry{};
    --size_;
    return true;
}

void alert_slots::reserve(std::size_t n) {
    std::size_t capacity = entries_.empty() ? 16 : entries_.size();
    while (2 * n > capacity)
        capacity *= 2;
    if (capacity != entries_.size()) rehash(capacity);
}

void alert_slots::grow() {
    rehash(entries_.empty() ? 16 : entries_.size() * 2);
}

void alert_slots::rehash(std::size_t capacity) {
    std::vector<entry> old(capacity);
    old.swap(entries_);
    mask_ = capacity - 1;
    shift_ = 64 - __builtin_ctzll(capacity);
    size_ = 0;
    for (auto const& e : old)
        if (e.key != empty_key) insert(e.key, e.slot);
}

} // namespace kryptod::core
