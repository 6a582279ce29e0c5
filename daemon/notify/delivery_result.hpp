// notify::delivery_result: how one delivery attempt ended, as the outbox
// sender needs it to decide between done, retry and give up.
//
// The split between temporary and permanent follows SPEC §5: a temporary
// failure (connection refused, timeout, TLS unavailable, SMTP 4xx, HTTP 408,
// 429 and 5xx) is retried with backoff; a permanent one (SMTP 5xx, any other
// HTTP 4xx, a refused webhook target, a message that cannot be built) is not.
//
// Two texts: `summary` is coarse and safe to show the user (the `notified`
// event's outcome, the outbox's last_error): "timeout", "connection
// failed", "refused: private address", "HTTP 500", "SMTP 451". `detail` may
// name addresses, server replies and timings of the daemon's own network,
// and goes to the log only.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace kryptod::daemon::notify {

enum class delivery_outcome { delivered, temporary, permanent };

// "delivered", "temporary", "permanent".
std::string_view to_string(delivery_outcome outcome) noexcept;

struct delivery_result {
    delivery_outcome outcome = delivery_outcome::delivered;
    long code = 0;       // the server's last SMTP or HTTP status, 0 when none came
    std::string detail;  // one line for the log only
    std::string summary; // coarse, shown to the user; see above
    // For a temporary failure: how long the service asked to be left alone
    // (Retry-After, or its own rate-limit answer); 0 when it did not say.
    // The sender retries the row no sooner and holds back the rest of the
    // destination's rows as long.
    std::chrono::milliseconds retry_after{0};

    bool delivered() const noexcept { return outcome == delivery_outcome::delivered; }
    // True when no server answered at all (refused, unreachable, timed out):
    // the next message to the same server would most likely fail the same way.
    bool unreachable() const noexcept {
        return outcome == delivery_outcome::temporary && code == 0;
    }
};

} // namespace kryptod::daemon::notify
