// Counting and checking UTF-8 (RFC 3629, table 3-7 of the Unicode standard).
#include "core/utf8.hpp"

namespace kryptod::core {

std::optional<std::size_t> utf8_length(std::string_view text) noexcept {
    std::size_t count = 0;
    std::size_t i = 0;
    auto const n = text.size();
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    while (i < n) {
        auto const b = byte(i);
        std::size_t len = 0;
        // The allowed range of the second byte narrows for E0, ED, F0 and F4:
        // that is what excludes overlong forms, surrogates and > U+10FFFF.
        unsigned char lo = 0x80, hi = 0xBF;
        if (b < 0x80)
            len = 1;
        else if (b >= 0xC2 && b <= 0xDF)
            len = 2;
        else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            if (b == 0xE0) lo = 0xA0;
            if (b == 0xED) hi = 0x9F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            if (b == 0xF0) lo = 0x90;
            if (b == 0xF4) hi = 0x8F;
        } else
            return std::nullopt;
        if (n - i < len) return std::nullopt;
        for (std::size_t k = 1; k < len; ++k) {
            auto const c = byte(i + k);
            if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return std::nullopt;
        }
        i += len;
        ++count;
    }
    return count;
}

} // namespace kryptod::core
