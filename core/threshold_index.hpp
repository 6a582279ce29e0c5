// threshold_index: every armed alert threshold, per coin, sorted by target on
// two sides, so that a tick costs a comparison with the front of each side and
// firing costs only the entries it fires.
//
// Layout and invariants:
// - Per coin (a dense vector indexed by symbol_id) there are two sides. The
//   `above` side holds entries that fire at price >= target, the `below` side
//   entries that fire at price <= target.
// - An entry is the key (target, handle). Keys are unique per side: many
//   alerts may share one target, and removing one of them is still a search
//   on the full key, never a scan of its neighbours. The caller knows symbol,
//   side and target of what it armed, so the index needs no id map.
// - Each side is a sorted sequence of fixed-size chunks (a two-level B-tree:
//   a vector of chunks plus a vector of each chunk's last key for binary
//   search). It is ordered so that the entries a tick fires first (the lowest
//   `above` target, the highest `below` target) sit at the end of the last
//   chunk: firing pops from the back and never moves the remaining entries.
// - Every chunk holds at least one entry. A chunk that a cancel leaves below
//   a third of its capacity merges into a neighbour with room, so a chunk
//   that stays small sits next to a nearly full one: a side keeps to about
//   48 bytes per entry (4 KiB chunks of 254 16-byte keys) after any mix of
//   arms and cancels, and to 16-32 bytes when filled by arms alone.
// - fronts_[s] caches the lowest `above` target and the highest `below` target
//   of coin s (INT64_MAX / INT64_MIN when a side is empty). A tick that fires
//   nothing reads only this 16-byte pair: min_above > price > max_below.
// - Handles are opaque to the index (an alert id, or a slot number with tag
//   bits); the index never interprets them.
//
// Complexity with n entries on a side of chunk capacity C: arm and disarm are
// O(log n + C) (binary search, then a memmove inside one chunk), a split or
// merge adds O(n / C); a tick that fires k entries is O(1 + k).
//
// Not thread-safe: owned by the thread that runs the evaluator.
#pragma once

#include "core/alert.hpp"
#include "core/price.hpp"
#include "core/symbol_table.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace kryptod::core {

class threshold_index {
public:
    using handle = std::uint64_t;

    // One entry taken out of the index by a tick or range.
    struct hit {
        handle id;
        price target;
        direction side;
    };

    // Adds (target, id) to `side` of `symbol`. Returns false (and changes
    // nothing) when exactly that entry is already there. target must be
    // greater than INT64_MIN units (asserted).
    bool arm(symbol_id symbol, direction side, price target, handle id);

    // Removes (target, id) from `side` of `symbol`. Returns false when it is
    // not there.
    bool disarm(symbol_id symbol, direction side, price target, handle id);

    // Moves an entry to a new side and target: disarm then arm. Returns false
    // (and changes nothing) when the old entry is not there or the new one
    // already is.
    bool retarget(symbol_id symbol, direction old_side, price old_target, direction new_side,
                  price new_target, handle id);

    // Removes every entry of `symbol` that price `p` reaches (above: target <=
    // p; below: target >= p) and appends them to `fired`, each side in firing
    // order (nearest target first). Returns how many were appended. Unknown
    // symbols fire nothing.
    std::size_t on_tick(symbol_id symbol, price p, std::vector<hit>& fired) {
        if (symbol >= fronts_.size()) return 0;
        auto const& f = fronts_[symbol];
        if (p.units() < f.min_above && p.units() > f.max_below) return 0;
        return fire(symbol, p, p, fired);
    }

    // Removes every entry that some price in [low, high] reaches (above:
    // target <= high; below: target >= low) and appends them to `fired`.
    // Precondition: low <= high (asserted).
    std::size_t on_range(symbol_id symbol, price low, price high, std::vector<hit>& fired);

    bool contains(symbol_id symbol, direction side, price target, handle id) const;

    // The nearest target on a side: lowest `above`, highest `below`.
    std::optional<price> front(symbol_id symbol, direction side) const noexcept;

    // Entries in the whole index, or on one coin.
    std::size_t size() const noexcept { return size_; }
    std::size_t size(symbol_id symbol) const noexcept;

private:
    static constexpr std::int64_t none_above = std::numeric_limits<std::int64_t>::max();
    static constexpr std::int64_t none_below = std::numeric_limits<std::int64_t>::min();

    // A sorted key: `order` is -target on the above side and target on the
    // below side, so that on both sides the next entry to fire has the
    // greatest key.
    struct key {
        std::int64_t order;
        handle id;
        friend constexpr auto operator<=>(key const&, key const&) noexcept = default;
    };

    // One side of one coin: keys ascending across chunks.
    class sorted_keys {
    public:
        bool insert(key k);
        bool erase(key k);
        bool contains(key k) const;
        bool empty() const noexcept { return chunks_.empty(); }
        std::size_t size() const noexcept { return size_; }
        key const& back() const noexcept;
        // Removes every key with order >= limit, appending them (greatest
        // first) through `emit`.
        template <class Emit>
        std::size_t pop_from(std::int64_t limit, Emit&& emit);

    private:
        static constexpr std::uint32_t capacity = 254;
        struct chunk {
            std::uint32_t size = 0;
            key keys[capacity];
        };

        std::size_t chunk_for(key k) const noexcept;
        // Makes room in full chunk c for an insertion at pos; returns the
        // chunk and position the key now goes to.
        std::pair<std::size_t, std::uint32_t> split(std::size_t c, std::uint32_t pos);
        void merge_if_sparse(std::size_t c);
        void erase_chunk(std::size_t c);

        std::vector<std::unique_ptr<chunk>> chunks_;
        std::vector<key> lasts_; // lasts_[i] is the greatest key of chunks_[i]
        std::size_t size_ = 0;
    };

    struct coin {
        sorted_keys above;
        sorted_keys below;
    };

    struct fronts {
        std::int64_t min_above = none_above;
        std::int64_t max_below = none_below;
    };

    std::size_t fire(symbol_id symbol, price above_limit, price below_limit,
                     std::vector<hit>& fired);
    void refresh_front(symbol_id symbol);

    std::vector<coin> coins_;
    std::vector<fronts> fronts_; // kept apart from coins_ so the no-fire path touches 16 bytes
    std::size_t size_ = 0;
};

} // namespace kryptod::core
