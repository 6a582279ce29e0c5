// daemon::backoff: the capped doubling with equal jitter.
#include "daemon/backoff.hpp"

#include <algorithm>

namespace kryptod::daemon {

std::chrono::milliseconds retry_step(int attempt, std::chrono::milliseconds base,
                                     std::chrono::milliseconds max) noexcept {
    auto d = base;
    // Doubling stops at the cap, so no shift can overflow.
    for (int i = 1; i < attempt && d < max; ++i)
        d *= 2;
    return std::min(d, max);
}

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base,
                                      std::chrono::milliseconds max, double unit) noexcept {
    using ms = std::chrono::milliseconds;
    auto const d = retry_step(attempt, base, max);
    unit = std::clamp(unit, 0.0, 1.0);
    auto const half = d.count() / 2;
    auto const jitter = static_cast<ms::rep>(static_cast<double>(d.count() - half) * unit);
    return std::max(ms{1}, ms{half + std::min(jitter, d.count() - half)});
}

} // namespace kryptod::daemon
