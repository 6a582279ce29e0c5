// kryptod's log: formatting and the single write(2) per record.
//
// The output (format and descriptor) is packed into one atomic word so that a
// record never sees the format of one setting with the descriptor of another.
#include "daemon/log.hpp"

#include <systemd/sd-journal.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <sys/uio.h>
#include <unistd.h>

namespace kryptod::daemon {

namespace {

constexpr std::array<std::string_view, 5> level_names{"debug", "info", "notice", "warning",
                                                      "error"};

} // namespace

std::string_view to_string(log_level level) noexcept {
    return level_names[static_cast<std::size_t>(level)];
}

std::optional<log_level> parse_log_level(std::string_view text) noexcept {
    for (std::size_t i = 0; i < level_names.size(); ++i) {
        auto const& name = level_names[i];
        bool const same =
            std::equal(name.begin(), name.end(), text.begin(), text.end(), [](char a, char b) {
                return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
            });
        if (same) return static_cast<log_level>(i);
    }
    return std::nullopt;
}

int syslog_priority(log_level level) noexcept {
    switch (level) {
    case log_level::debug:
        return 7;
    case log_level::info:
        return 6;
    case log_level::notice:
        return 5;
    case log_level::warning:
        return 4;
    case log_level::error:
        return 3;
    }
    return 6;
}

namespace log {

namespace {

std::atomic<log_level> current_level{log_level::info};

// Bit 0 holds the format (1 = journal), the rest the descriptor; -1 means
// "not chosen yet": stderr in the environment's format.
std::atomic<std::int64_t> current_output{-1};

std::int64_t pack(output format, int fd) noexcept {
    return (static_cast<std::int64_t>(fd) << 1) | (format == output::journal ? 1 : 0);
}

std::pair<output, int> unpack_output() noexcept {
    auto packed = current_output.load(std::memory_order_acquire);
    if (packed < 0) {
        std::int64_t expected = -1;
        auto const chosen = pack(output_from_environment(), STDERR_FILENO);
        if (current_output.compare_exchange_strong(expected, chosen, std::memory_order_acq_rel))
            packed = chosen;
        else
            packed = expected;
    }
    return {(packed & 1) != 0 ? output::journal : output::text, static_cast<int>(packed >> 1)};
}

// One write(2) in the normal case; the loop only resumes after a signal or a
// short write to a full pipe, so a record is never dropped half-way silently.
void write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        auto const n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void append_alert_suffix(std::string& line, alert_ref const* alert) {
    if (alert == nullptr) return;
    line += " alert=";
    line += std::to_string(alert->alert_id);
    line += " user=";
    line += std::to_string(alert->user_id);
    line += " symbol=";
    line += one_line(alert->symbol);
}

} // namespace

void set_level(log_level level) noexcept {
    current_level.store(level, std::memory_order_relaxed);
}

log_level level() noexcept {
    return current_level.load(std::memory_order_relaxed);
}

bool enabled(log_level lvl) noexcept {
    return lvl >= level();
}

output output_from_environment() noexcept {
    char const* stream = std::getenv("JOURNAL_STREAM");
    return stream != nullptr && *stream != '\0' ? output::journal : output::text;
}

void set_output(output format, int fd) noexcept {
    current_output.store(pack(format, fd), std::memory_order_release);
}

std::string one_line(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        auto const u = static_cast<unsigned char>(c);
        switch (c) {
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\\':
            out += "\\\\";
            break;
        default:
            if (u < 0x20 || u == 0x7f) {
                out += "\\x";
                out += hex[u >> 4];
                out += hex[u & 0xf];
            } else {
                out += c;
            }
        }
    }
    return out;
}

std::string format_text(log_level lvl, std::chrono::system_clock::time_point time,
                        std::string_view message, alert_ref const* alert) {
    using namespace std::chrono;
    auto const ms = floor<milliseconds>(time);
    auto const secs = floor<seconds>(ms);
    auto const millis = (ms - secs).count();
    std::time_t const t = system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[40];
    auto const n =
        std::strftime(stamp, sizeof stamp - 8, "%Y-%m-%dT%H:%M:%S", &tm); // room for .mmmZ
    stamp[n] = '.';
    stamp[n + 1] = static_cast<char>('0' + millis / 100);
    stamp[n + 2] = static_cast<char>('0' + millis / 10 % 10);
    stamp[n + 3] = static_cast<char>('0' + millis % 10);
    stamp[n + 4] = 'Z';

    std::string line(stamp, n + 5);
    line += ' ';
    line += to_string(lvl);
    line += ": ";
    line += one_line(message);
    append_alert_suffix(line, alert);
    line += '\n';
    return line;
}

std::string format_journal(log_level lvl, std::string_view message, alert_ref const* alert) {
    std::string line = "<";
    line += std::to_string(syslog_priority(lvl));
    line += '>';
    line += one_line(message);
    append_alert_suffix(line, alert);
    line += '\n';
    return line;
}

std::vector<std::string> journal_fields(log_level lvl, alert_ref const& alert,
                                        std::string_view message) {
    return {
        "MESSAGE=" + one_line(message),
        "PRIORITY=" + std::to_string(syslog_priority(lvl)),
        "ALERT_ID=" + std::to_string(alert.alert_id),
        "USER_ID=" + std::to_string(alert.user_id),
        "SYMBOL=" + one_line(alert.symbol),
        "SYSLOG_IDENTIFIER=kryptod",
    };
}

void write(log_level lvl, std::string_view message) noexcept {
    if (!enabled(lvl)) return;
    try {
        auto const [format, fd] = unpack_output();
        auto const line = format == output::journal
                              ? format_journal(lvl, message)
                              : format_text(lvl, std::chrono::system_clock::now(), message);
        write_all(fd, line);
    } catch (...) {
        // Out of memory while formatting: the record is lost, the caller is not.
    }
}

void write_alert(log_level lvl, alert_ref const& alert, std::string_view message) noexcept {
    if (!enabled(lvl)) return;
    try {
        auto const [format, fd] = unpack_output();
        if (format == output::journal) {
            auto const fields = journal_fields(lvl, alert, message);
            std::array<iovec, 6> iov{};
            for (std::size_t i = 0; i < fields.size() && i < iov.size(); ++i) {
                iov[i].iov_base = const_cast<char*>(fields[i].data());
                iov[i].iov_len = fields[i].size();
            }
            if (sd_journal_sendv(iov.data(), static_cast<int>(fields.size())) >= 0) return;
            write_all(fd, format_journal(lvl, message, &alert));
            return;
        }
        write_all(fd, format_text(lvl, std::chrono::system_clock::now(), message, &alert));
    } catch (...) {
        // As in write(): losing the record beats taking the caller down.
    }
}

} // namespace log
} // namespace kryptod::daemon
