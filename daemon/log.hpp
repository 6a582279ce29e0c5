// kryptod's log: leveled records written to stderr, either as readable
// timestamped lines or, under journald, with the syslog priority prefix that
// `journalctl -p` filters on. Records about an alert carry ALERT_ID, USER_ID
// and SYMBOL as journal fields so `journalctl ALERT_ID=42` finds its story.
//
// Invariants: one record is one line and leaves in one write(2), so records
// from concurrent threads never interleave; the level and the output are
// atomics, so every function here may be called from any thread at any time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kryptod::daemon {

// Ordered from the most to the least verbose: a record is written when its
// level is at or above the configured one.
enum class log_level { debug, info, notice, warning, error };

// The name used in config files and text lines ("debug" ... "error").
std::string_view to_string(log_level level) noexcept;

// The inverse of to_string, case-insensitive; nullopt for any other text.
std::optional<log_level> parse_log_level(std::string_view text) noexcept;

// The syslog priority journald files the record under (sd-daemon.h SD_ERR=3,
// SD_WARNING=4, SD_NOTICE=5, SD_INFO=6, SD_DEBUG=7).
int syslog_priority(log_level level) noexcept;

namespace log {

// Where records go. `text`: `2026-11-23T13:40:00.123Z warning: message`.
// `journal`: `<4>message`, and alert records through sd_journal_send.
enum class output { text, journal };

// The identity of the alert a record is about.
struct alert_ref {
    std::int64_t alert_id = 0;
    std::int64_t user_id = 0;
    std::string_view symbol;
};

// The run-time threshold; records below it are dropped before formatting.
// Starts at info. Safe to change while other threads log (SIGHUP reload).
void set_level(log_level level) noexcept;
log_level level() noexcept;
bool enabled(log_level level) noexcept;

// `journal` when the JOURNAL_STREAM environment variable is set and not empty
// (systemd sets it for a service whose stderr is the journal), else `text`.
output output_from_environment() noexcept;

// Sends records to file descriptor `fd` in the given format. Until called,
// records go to stderr in output_from_environment()'s format. `fd` must be
// >= 0; it stays owned by the caller and must stay open while records may be
// written.
void set_output(output format, int fd) noexcept;

// Writes one record if `level` is enabled. Never throws: a failed write is
// dropped because there is nowhere left to report it.
void write(log_level level, std::string_view message) noexcept;

// Writes one record about an alert. Under journald it goes through
// sd_journal_send with the fields of journal_fields(); if journald does not
// take it, it falls back to a prefixed line on the output descriptor.
void write_alert(log_level level, alert_ref const& alert, std::string_view message) noexcept;

// Makes `text` safe as (part of) one line: newline, carriage return, tab and
// other control characters become `\n`, `\r`, `\t` and `\xNN`, and a backslash
// becomes `\\`, so an escaped record cannot be mistaken for two.
std::string one_line(std::string_view text);

// The text-format line for a record, newline included: UTC time with
// milliseconds, level name, message; for an alert record the message is
// followed by ` alert=42 user=7 symbol=BTCUSDT`.
std::string format_text(log_level level, std::chrono::system_clock::time_point time,
                        std::string_view message, alert_ref const* alert = nullptr);

// The journal stream line for a record, newline included: `<P>message`, with
// the same alert suffix as format_text when `alert` is given.
std::string format_journal(log_level level, std::string_view message,
                           alert_ref const* alert = nullptr);

// The native journal fields of an alert record: MESSAGE, PRIORITY, ALERT_ID,
// USER_ID, SYMBOL and SYSLOG_IDENTIFIER=kryptod, each as `NAME=value`.
std::vector<std::string> journal_fields(log_level level, alert_ref const& alert,
                                        std::string_view message);

// Streams every argument into one string, as `os << a << b ...` would.
template <typename... Args>
std::string concat(Args const&... args) {
    std::ostringstream os;
    (os << ... << args);
    return std::move(os).str();
}

template <typename... Args>
void at(log_level lvl, Args const&... args) {
    if (enabled(lvl)) write(lvl, concat(args...));
}

template <typename... Args>
void debug(Args const&... args) {
    at(log_level::debug, args...);
}

template <typename... Args>
void info(Args const&... args) {
    at(log_level::info, args...);
}

template <typename... Args>
void notice(Args const&... args) {
    at(log_level::notice, args...);
}

template <typename... Args>
void warning(Args const&... args) {
    at(log_level::warning, args...);
}

template <typename... Args>
void error(Args const&... args) {
    at(log_level::error, args...);
}

// A record about one alert, e.g.
// `log::alert(log_level::info, 42, 7, "BTCUSDT", "fired at ", price);`
template <typename... Args>
void alert(log_level lvl, std::int64_t alert_id, std::int64_t user_id, std::string_view symbol,
           Args const&... args) {
    if (enabled(lvl)) write_alert(lvl, alert_ref{alert_id, user_id, symbol}, concat(args...));
}

} // namespace log
} // namespace kryptod::daemon
