// sd_notify(3) messages through libsystemd.
#include "daemon/sd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace kryptod::daemon::sd {
namespace {

// STATUS= takes one line; a newline would start another assignment.
std::string one_line(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        if (c == '\n' || c == '\r') c = ' ';
    return out;
}

} // namespace

void ready(std::string_view s) {
    sd_notify(0, ("READY=1\nSTATUS=" + one_line(s)).c_str());
}

void status(std::string_view s) {
    sd_notify(0, ("STATUS=" + one_line(s)).c_str());
}

void stopping() {
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void watchdog() {
    sd_notify(0, "WATCHDOG=1");
}

std::optional<std::chrono::microseconds> watchdog_interval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(usec / 2);
}

} // namespace kryptod::daemon::sd
