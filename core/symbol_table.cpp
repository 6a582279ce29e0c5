// symbol_table implementation. Lookups fold case into a stack buffer so that
// find() on a feed frame's symbol ("btcusdt" in stream names) allocates nothing.
#include "core/symbol_table.hpp"

#include <array>
#include <cassert>

namespace kryptod::core {

namespace {

constexpr bool is_symbol_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

constexpr char to_upper(char c) noexcept {
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

// The upper-case form of a valid symbol, held without allocating.
struct folded {
    std::array<char, symbol_max_length> chars{};
    std::size_t length = 0;

    explicit folded(std::string_view text) noexcept
        : length(text.size()) {
        for (std::size_t i = 0; i < length; ++i)
            chars[i] = to_upper(text[i]);
    }
    std::string_view view() const noexcept { return {chars.data(), length}; }
};

} // namespace

std::string_view describe(symbol_error error) noexcept {
    switch (error) {
    case symbol_error::none:
        return "valid symbol";
    case symbol_error::empty:
        return "symbol is empty";
    case symbol_error::too_short:
        return "symbol is shorter than 2 characters";
    case symbol_error::too_long:
        return "symbol is longer than 20 characters";
    case symbol_error::bad_character:
        return "symbol may contain only letters A-Z and digits 0-9";
    }
    return "unknown symbol error";
}

symbol_error validate_symbol(std::string_view text) noexcept {
    if (text.empty()) return symbol_error::empty;
    for (char c : text)
        if (!is_symbol_char(c)) return symbol_error::bad_character;
    if (text.size() < symbol_min_length) return symbol_error::too_short;
    if (text.size() > symbol_max_length) return symbol_error::too_long;
    return symbol_error::none;
}

std::optional<std::string> canonical_symbol(std::string_view text) {
    if (validate_symbol(text) != symbol_error::none) return std::nullopt;
    return std::string(folded(text).view());
}

symbol_id symbol_table::intern(std::string_view text) {
    auto const id = try_intern(text);
    assert(id && "symbol_table::intern: invalid symbol");
    return id ? *id : 0;
}

std::optional<symbol_id> symbol_table::try_intern(std::string_view text) {
    if (validate_symbol(text) != symbol_error::none) return std::nullopt;
    folded const key(text);
    if (auto it = ids_.find(key.view()); it != ids_.end()) return it->second;
    auto const id = static_cast<symbol_id>(names_.size());
    names_.emplace_back(key.view());
    ids_.emplace(names_.back(), id);
    return id;
}

std::optional<symbol_id> symbol_table::find(std::string_view text) const {
    if (validate_symbol(text) != symbol_error::none) return std::nullopt;
    folded const key(text);
    if (auto it = ids_.find(key.view()); it != ids_.end()) return it->second;
    return std::nullopt;
}

std::string_view symbol_table::name(symbol_id id) const noexcept {
    assert(id < names_.size());
    return names_[id];
}

} // namespace kryptod::core
