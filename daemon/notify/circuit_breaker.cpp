// notify::circuit_breaker: closed -> open after `threshold` silent attempts
// -> one probe after the cooldown -> closed on an answer, open for twice as
// long on silence. See the header.
#include "daemon/notify/circuit_breaker.hpp"

#include <algorithm>

namespace kryptod::daemon::notify {

circuit_breaker::circuit_breaker(breaker_options options)
    : options_(options) {
    options_.threshold = std::max(1, options_.threshold);
    options_.cooldown = std::max(std::chrono::milliseconds{1}, options_.cooldown);
    options_.max_cooldown = std::max(options_.cooldown, options_.max_cooldown);
}

circuit_breaker::verdict circuit_breaker::admit(std::string const& destination, core::millis now) {
    auto it = state_.find(destination);
    if (it == state_.end() || it->second.open_until == 0) return verdict::pass;
    entry& e = it->second;
    if (now < e.open_until) return verdict::skip;
    if (e.probing) return verdict::wait;
    e.probing = true;
    return verdict::probe;
}

void circuit_breaker::record(std::string const& destination, bool answered, core::millis now) {
    if (answered) {
        state_.erase(destination);
        return;
    }
    entry& e = state_[destination];
    ++e.failures;
    if (e.probing) {
        e.probing = false;
        e.cooldown = std::min(e.cooldown * 2, options_.max_cooldown);
        e.open_until = now + e.cooldown.count();
    } else if (e.open_until == 0 && e.failures >= options_.threshold) {
        e.cooldown = options_.cooldown;
        e.open_until = now + e.cooldown.count();
    }
}

} // namespace kryptod::daemon::notify
