// Stream operators that let Boost.Test print feed and core values in failure
// messages.
#pragma once

#include "core/price.hpp"
#include "daemon/feed/binance_decode.hpp"

#include <ostream>

namespace kryptod::core {
inline std::ostream& operator<<(std::ostream& os, price p) {
    return os << p.to_string();
}
} // namespace kryptod::core

namespace kryptod::daemon::feed {
inline std::ostream& operator<<(std::ostream& os, frame_kind k) {
    return os << to_string(k);
}
} // namespace kryptod::daemon::feed
