// UTF-8 text as the API counts it: in characters (Unicode code points).
//
// Invariant: a text is UTF-8 only if it is the shortest encoding of a
// sequence of Unicode scalar values (RFC 3629): no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace kryptod::core {

// The number of code points in `text`, or std::nullopt if it is not UTF-8.
std::optional<std::size_t> utf8_length(std::string_view text) noexcept;

} // namespace kryptod::core
