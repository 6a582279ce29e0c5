// The service manager's side channel: readiness, status, watchdog and
// stopping notifications (sd_notify(3)), sent only when NOTIFY_SOCKET is set.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace kryptod::daemon::sd {

// Tells the manager that start-up is complete, with a first status line.
void ready(std::string_view status);

// Replaces the status line `systemctl status` shows.
void status(std::string_view status);

// Tells the manager that a clean stop has begun.
void stopping();

// One watchdog keep-alive.
void watchdog();

// How often to send watchdog keep-alives (half the manager's WatchdogSec),
// or nothing when no watchdog is armed for this process.
std::optional<std::chrono::microseconds> watchdog_interval();

} // namespace kryptod::daemon::sd
