// symbol_table: interns coin symbols ("BTCUSDT") to small dense integer ids.
//
// Invariants: ids are assigned 0, 1, 2, ... in interning order and never
// reused or removed, so per-coin state elsewhere in core/ lives in vectors
// indexed by symbol_id; every stored name is canonical (upper case, A-Z0-9,
// 2 to 20 characters); name(intern(s)) is the canonical form of s. The feed
// resolves a symbol once per frame with find(); everything after that works
// on the id, so the tick path never hashes a string twice.
//
// Not thread-safe: owned by the thread that runs the evaluator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kryptod::core {

using symbol_id = std::uint32_t;

// Why a text is not a valid symbol.
enum class symbol_error {
    none,
    empty,
    too_short,     // fewer than 2 characters
    too_long,      // more than 20 characters
    bad_character, // anything but ASCII letters and digits
};

inline constexpr std::size_t symbol_min_length = 2;
inline constexpr std::size_t symbol_max_length = 20;

// A human-readable reason, suitable for an API error message.
std::string_view describe(symbol_error error) noexcept;

// Checks `text` as a symbol in any letter case. Never fails itself.
symbol_error validate_symbol(std::string_view text) noexcept;

// The upper-case form of a valid symbol ("btcusdt" -> "BTCUSDT"), or nullopt
// when validate_symbol(text) reports an error.
std::optional<std::string> canonical_symbol(std::string_view text);

class symbol_table {
public:
    // Returns the id of `text` (any letter case), adding it when new.
    // Precondition: validate_symbol(text) == symbol_error::none (asserted);
    // use try_intern() for unchecked input.
    symbol_id intern(std::string_view text);

    // As intern(), but returns nullopt instead of asserting on an invalid symbol.
    std::optional<symbol_id> try_intern(std::string_view text);

    // The id of `text` (any letter case), or nullopt when it was never interned
    // or is not a valid symbol.
    std::optional<symbol_id> find(std::string_view text) const;

    // The canonical name of `id`. Precondition: id < size() (asserted).
    std::string_view name(symbol_id id) const noexcept;

    // Number of interned symbols; valid ids are [0, size()).
    std::size_t size() const noexcept { return names_.size(); }

private:
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::vector<std::string> names_;
    std::unordered_map<std::string, symbol_id, text_hash, std::equal_to<>> ids_;
};

} // namespace kryptod::core
