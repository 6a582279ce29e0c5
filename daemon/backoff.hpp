// daemon::backoff: the one rule for how long a retry waits, for every part of
// the daemon that retries: the feed's reconnects (feed::backoff) and the
// outbox's deliveries (notify::outbox_sender).
//
// Exponential with "equal jitter": attempt n (1-based, the one that just
// failed) waits base * 2^(n-1), capped at `max`, of which the upper half is
// random. Jitter keeps the retries of a burst that failed together (an SMTP
// outage during a big tick, many daemons cut at once by the exchange) from
// coming back all at once; the lower half keeps the doubling meaningful.
// Pure: the random draw is passed in.
#pragma once

#include <chrono>

namespace kryptod::daemon {

// The step of failed attempt `attempt` (>= 1): min(max, base * 2^(attempt-1)).
// Precondition: 0 < base <= max.
std::chrono::milliseconds retry_step(int attempt, std::chrono::milliseconds base,
                                     std::chrono::milliseconds max) noexcept;

// The wait after failed attempt `attempt` (>= 1). `unit` is a random number
// in [0, 1). The result lies in [d/2, d] where d = retry_step(attempt, base,
// max), and is never below 1 ms. Precondition: 0 < base <= max.
std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base,
                                      std::chrono::milliseconds max, double unit) noexcept;

} // namespace kryptod::daemon
