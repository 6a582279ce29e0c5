// exchange_text: what kryptod logs of text the exchange sent (error
// messages, REST bodies, close reasons). The exchange, or whatever answers
// in its place, controls that text: it is escaped to one line and cut to
// max_logged_bytes, with its full length noted, so that one hostile answer
// cannot fill the journal.
#pragma once

#include "daemon/log.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace kryptod::daemon::feed {

inline constexpr std::size_t max_logged_bytes = 256;

// `text` as one escaped line of at most max_logged_bytes of its bytes
// (cut at a UTF-8 character boundary), followed by `… (N bytes)` when cut.
inline std::string exchange_text(std::string_view text) {
    if (text.size() <= max_logged_bytes) return log::one_line(text);
    std::size_t cut = max_logged_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    return log::one_line(text.substr(0, cut)) + "\u2026 (" + std::to_string(text.size()) +
           " bytes)";
}

} // namespace kryptod::daemon::feed
