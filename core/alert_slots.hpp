// alert_slots: the map from alert id to the evaluator's slot number, an
// open-addressing hash table with linear probing.
//
// Why not std::unordered_map: a node per alert costs about 40 bytes and two
// or three cache misses per lookup, and removing a fired repeat-once alert
// from it dominated the cost of firing. Here an entry is 16 bytes in one flat
// array and a lookup is usually one cache miss.
//
// Invariants: capacity is a power of two and at least twice the number of
// entries; an entry is empty when its key is `empty_key`, which is therefore
// not a valid alert id; every entry sits in the probe sequence of its home
// bucket with no empty entry in between (removal shifts later entries back,
// so there are no tombstones).
//
// Not thread-safe.
#pragma once

#include "core/alert.hpp"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace kryptod::core {

class alert_slots {
public:
    using slot_number = std::uint32_t;

    // The one id that cannot be stored.
    static constexpr alert_id empty_key = std::numeric_limits<alert_id>::min();

    // The slot of `id`, or nullptr when absent.
    slot_number const* find(alert_id id) const noexcept {
        if (entries_.empty()) return nullptr;
        for (std::size_t i = home(id);; i = (i + 1) & mask_) {
            auto const& e = entries_[i];
            if (e.key == id) return &e.slot;
            if (e.key == empty_key) return nullptr;
        }
    }

    // Adds id -> slot. Returns false (and changes nothing) when id is present.
    // Precondition: id != empty_key (asserted).
    bool insert(alert_id id, slot_number slot);

    // Removes `id`. Returns false when it was absent.
    bool erase(alert_id id) noexcept;

    // Makes room for `n` entries in all, so that inserting up to that many
    // rehashes nothing (start-up knows how many alerts it will load).
    void reserve(std::size_t n);

    // Hints the processor to load the bucket `id` would be found in.
    void prefetch(alert_id id) const noexcept {
        if (!entries_.empty()) __builtin_prefetch(&entries_[home(id)]);
    }

    std::size_t size() const noexcept { return size_; }

private:
    struct entry {
        alert_id key = empty_key;
        slot_number slot = 0;
    };

    std::size_t home(alert_id id) const noexcept {
        // Fibonacci hashing: ids are often sequential, the multiply spreads them.
        return static_cast<std::size_t>((static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ull) >>
                                        shift_);
    }

    void grow();
    void rehash(std::size_t capacity);

    std::vector<entry> entries_;
    std::size_t mask_ = 0;
    int shift_ = 64;
    std::size_t size_ = 0;
};

} // namespace kryptod::core
