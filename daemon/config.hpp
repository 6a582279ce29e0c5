// kryptod's configuration and command line.
//
// Every key lives in one table (config.cpp): its name `section.key`, default,
// bounds and help. The INI file, the `--section.key=value` flags, `--help`,
// validation and conf/kryptod.conf's test are all driven by that table, so a
// key cannot be known to one of them and missing from another.
//
// Invariants: a `config` returned by load_config() or parse_command_line()
// holds only validated values (ports, bounds, URL schemes, coin syntax);
// anything else is reported as a config_error whose what() is one line naming
// the key or argument and the problem.
#pragma once

#include "core/email_address.hpp"
#include "daemon/log.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kryptod::daemon {

// A bad key, value, file or argument. what() is one line, for example
// `http.max_body: must be an integer from 1024 to 67108864, got "abc"`;
// `kryptod` prints it and exits with status 2.
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// How the SMTP connection is protected (smtp.tls). In declaration order of
// the values accepted in the file.
enum class smtp_tls { required, opportunistic, off };

// http.listen: host is an IPv4 or IPv6 literal without brackets; port 0 asks
// the kernel for any free port.
struct listen_address {
    std::string host;
    std::uint16_t port = 0;

    friend bool operator==(listen_address const&, listen_address const&) = default;
};

// The daemon's settings. Default-constructed members are NOT the defaults:
// call load_config() (with no file and no flags for the defaults).
struct config {
    struct http_section {
        listen_address listen;
        std::size_t max_body = 0;
        std::size_t max_connections = 0;
        std::chrono::seconds header_timeout{0};
        std::chrono::seconds idle_timeout{0};
        std::size_t max_connections_per_ip = 0;
        std::chrono::seconds first_byte_timeout{0};
        std::string trusted_proxies; // validated by http::trusted_proxies::parse
        std::string public_url;      // empty: none
        std::filesystem::path web_root;
    } http;

    struct storage_section {
        std::filesystem::path path;
        std::size_t queue_limit = 0; // bound of the writer thread's queue
    } storage;

    struct feed_section {
        std::string url;
        std::string rest_url;
        std::vector<std::string> coins; // upper-case, unique, in the order given
        std::chrono::seconds stale_after{0};
        std::chrono::seconds backfill_max{0};
        std::filesystem::path ca_file; // empty: the system store
        std::chrono::seconds backfill_hold{0};
    } feed;

    struct auth_section {
        std::filesystem::path secret_file;
        std::chrono::seconds access_ttl{0};
        std::chrono::seconds refresh_ttl{0};
        std::uint32_t rate_limit = 0; // attempts per minute
    } auth;

    struct smtp_section {
        std::string url;
        smtp_tls tls = smtp_tls::required;
        std::string username;
        std::filesystem::path password_file; // empty: no authentication
        std::string from;
        std::filesystem::path ca_file; // empty: the system store
    } smtp;

    struct notify_section {
        std::uint32_t max_attempts = 0;
        std::uint32_t max_per_user_per_hour = 0;
        bool webhook_allow_private = false;
        std::chrono::seconds retry_base{0}; // first retry delay
        std::chrono::seconds retry_max{0};  // backoff cap, never below retry_base
        // Days sent and failed outbox rows are kept.
        std::uint32_t retention_days = 0;
        // Account emails to one address per 24 hours.
        std::uint32_t account_emails_per_day = 0;
    } notify;

    struct prices_section {
        std::uint32_t retention_days = 0;        // one-minute samples
        std::uint32_t hourly_retention_days = 0; // hourly candles
    } prices;

    struct alerts_section {
        std::size_t max_active_per_user = 0;
    } alerts;

    struct telegram_section {
        std::filesystem::path bot_token_file; // empty: Telegram off
        std::string api_url;
        std::uint32_t chat_messages_per_minute = 0;
        std::uint32_t messages_per_second = 0;
    } telegram;
    struct stream_section {
        std::size_t max_per_user = 0; // open live streams of one user
        std::size_t max_clients = 0;  // open live streams in all
    } stream;

    struct log_section {
        log_level level = log_level::info;
    } log;
};

// One configuration key as the user sees it.
struct config_key {
    std::string_view name;          // `section.key`
    std::string_view default_value; // exactly as written in the file
    std::string_view help;          // one line
    std::string accepted;           // what values are accepted, e.g. `integer 1..100`
};

// Every key, grouped by section in the order of conf/kryptod.conf.
std::span<config_key const> config_keys();

// Where a configuration comes from: an optional INI file and the
// `--section.key=value` flags, which win over the file. Kept by main so that
// SIGHUP can read the same sources again.
struct config_source {
    std::optional<std::filesystem::path> file;
    std::vector<std::pair<std::string, std::string>> overrides; // key, value
};

// Builds the configuration: defaults, then the file's values, then the
// overrides. Without a file nothing is read from disk.
// Throws config_error for an unreadable file, an INI syntax error, an unknown
// key, a key given twice in the same place, or a value that fails validation.
config load_config(config_source const& source);

// What `kryptod` was asked to do.
enum class command { run, user_add, backup, help, version };

struct command_line {
    command kind = command::run;
    config_source source;
    daemon::config settings;           // loaded for run, user_add and backup only
    std::string email;                 // user_add
    bool admin = false;                // user_add --admin
    std::filesystem::path backup_path; // backup
};

// Parses
//   kryptod [--config FILE] [--section.key=value ...]
//   kryptod user add EMAIL [--admin] [--config FILE] [--section.key=value ...]
//   kryptod backup FILE [--config FILE] [--section.key=value ...]
//   kryptod --help | -h
//   kryptod --version | -V
// and, except for help and version, loads the configuration.
// Throws config_error for an unknown option or command, a missing or extra
// argument, a malformed EMAIL, or any error of load_config().
command_line parse_command_line(int argc, char const* const* argv);

// The `--help` text: the commands, then every key with its default and the
// values it accepts.
std::string usage();

// The `--version` text, e.g. `kryptod 0.1.0`.
std::string version();

// The email-address rule lives in core/email_address.hpp; this name stays
// for the callers in daemon/ that still spell it unqualified.
using core::valid_email;

} // namespace kryptod::daemon
