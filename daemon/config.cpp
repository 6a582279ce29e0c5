// kryptod's configuration table and its validation (the command line is in
// command_line.cpp).
//
// The table `rules` is the single source of truth for keys: each row names a
// key, its kind, default, bounds and help, and how a validated value is
// stored into `config`. Defaults go through the same validation as user
// values, so a bad default fails every test instead of shipping.
#include "daemon/config.hpp"

#include "core/email_address.hpp"
#include "daemon/config_detail.hpp"
#include "http/trusted_proxies.hpp"

#include <boost/program_options.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

namespace kryptod::daemon {

namespace po = boost::program_options;
using detail::in_quotes;
using detail::key_options;

namespace {

enum class kind { integer, duration, boolean, text, url, listen, coins, choice, email, networks };

// A value after validation; only the member matching the rule's kind is set.
struct value {
    std::int64_t number = 0;
    bool flag = false;
    std::string text;
    std::vector<std::string> list;
    listen_address address;
};

using store_fn = void (*)(config&, value const&);

struct rule {
    std::string_view name;
    kind type;
    std::string_view default_value;
    // integer, duration: inclusive bounds; text: minimum length (0 or 1).
    std::int64_t min;
    std::int64_t max;
    // choice: the accepted words; url: the accepted schemes; '|'-separated.
    std::string_view allowed;
    std::string_view help;
    store_fn store;
};

template <typename T>
T as(value const& v) {
    return static_cast<T>(v.number);
}

std::chrono::seconds secs(value const& v) {
    return std::chrono::seconds{v.number};
}

// Grouped by section in the order of conf/kryptod.conf; `choice` words are
// listed in the declaration order of their enum, which store() relies on.
auto const rules = std::to_array<rule>({
    // http
    {"http.listen", kind::listen, "127.0.0.1:8000", 0, 0, "",
     "address of the HTTP API; port 0 picks any free port",
     [](config& c, value const& v) { c.http.listen = v.address; }},
    {"http.max_body", kind::integer, "65536", 1024, 67108864, "",
     "largest request body in bytes; a larger one is answered 413",
     [](config& c, value const& v) { c.http.max_body = as<std::size_t>(v); }},
    {"http.max_connections", kind::integer, "1024", 1, 100000, "",
     "most client connections served at once; more are closed",
     [](config& c, value const& v) { c.http.max_connections = as<std::size_t>(v); }},
    {"http.header_timeout", kind::duration, "10", 1, 3600, "",
     "seconds a client may take to send a request's headers",
     [](config& c, value const& v) { c.http.header_timeout = secs(v); }},
    {"http.idle_timeout", kind::duration, "60", 1, 86400, "",
     "seconds an idle keep-alive connection stays open",
     [](config& c, value const& v) { c.http.idle_timeout = secs(v); }},
    {"http.max_connections_per_ip", kind::integer, "128", 1, 100000, "",
     "most connections from one client address; more get 503 (trusted proxies are exempt)",
     [](config& c, value const& v) { c.http.max_connections_per_ip = as<std::size_t>(v); }},
    {"http.first_byte_timeout", kind::duration, "5", 1, 3600, "",
     "seconds a new connection may wait before sending its first request",
     [](config& c, value const& v) { c.http.first_byte_timeout = secs(v); }},
    {"http.trusted_proxies", kind::networks, "", 0, 0, "",
     "reverse proxies whose X-Forwarded-For or Forwarded header names the client: "
     "addresses and CIDR networks, space-separated (empty: trust none)",
     [](config& c, value const& v) { c.http.trusted_proxies = v.text; }},
    {"http.public_url", kind::url, "", 0, 0, "http|https",
     "the address users open the web app at (e.g. https://alerts.example.com); when set, account "
     "emails carry a link into the app (empty: the emails carry the token only)",
     [](config& c, value const& v) { c.http.public_url = v.text; }},
    {"http.web_root", kind::text, "/usr/share/kryptod/web", 1, 0, "",
     "folder of the web app served at / (read once at start-up; a missing folder serves no app)",
     [](config& c, value const& v) { c.http.web_root = v.text; }},
    // storage
    {"storage.path", kind::text, "/var/lib/kryptod/kryptod.db", 1, 0, "",
     "path of the SQLite database file",
     [](config& c, value const& v) { c.storage.path = v.text; }},
    {"storage.queue_limit", kind::integer, "65536", 16, 16777216, "",
     "most writes waiting for the database writer before new ones are refused",
     [](config& c, value const& v) { c.storage.queue_limit = as<std::size_t>(v); }},
    // feed
    {"feed.url", kind::url, "wss://stream.binance.com:9443/stream", 0, 0, "ws|wss",
     "Binance combined-stream websocket endpoint",
     [](config& c, value const& v) { c.feed.url = v.text; }},
    {"feed.rest_url", kind::url, "https://api.binance.com", 0, 0, "http|https",
     "Binance REST endpoint used to backfill gaps in the stream",
     [](config& c, value const& v) { c.feed.rest_url = v.text; }},
    {"feed.coins", kind::coins, "BTCUSDT ETHUSDT BNBUSDT SOLUSDT XRPUSDT", 0, 0, "",
     "initial coin list, space-separated symbols (admins add more through the API)",
     [](config& c, value const& v) { c.feed.coins = v.list; }},
    {"feed.stale_after", kind::duration, "30", 5, 3600, "",
     "seconds without any frame after which the feed connection is taken for dead",
     [](config& c, value const& v) { c.feed.stale_after = secs(v); }},
    {"feed.backfill_max", kind::duration, "3600", 60, 604800, "",
     "longest gap in seconds backfilled trade by trade; longer gaps use 1-minute klines",
     [](config& c, value const& v) { c.feed.backfill_max = secs(v); }},
    {"feed.ca_file", kind::text, "", 0, 0, "",
     "CA bundle trusted for the feed's TLS instead of the system store (empty: system store)",
     [](config& c, value const& v) { c.feed.ca_file = v.text; }},
    {"feed.backfill_hold", kind::duration, "5", 0, 3600, "",
     "seconds live trades wait for a gap's replay; past it they are evaluated as they come",
     [](config& c, value const& v) { c.feed.backfill_hold = secs(v); }},
    // auth
    {"auth.secret_file", kind::text, "/var/lib/kryptod/auth.secret", 1, 0, "",
     "file holding the token signing key; created with mode 0600 if missing",
     [](config& c, value const& v) { c.auth.secret_file = v.text; }},
    {"auth.access_ttl", kind::duration, "900", 60, 86400, "",
     "lifetime of an access token in seconds",
     [](config& c, value const& v) { c.auth.access_ttl = secs(v); }},
    {"auth.refresh_ttl", kind::duration, "1209600", 3600, 31536000, "",
     "lifetime of a refresh token in seconds",
     [](config& c, value const& v) { c.auth.refresh_ttl = secs(v); }},
    {"auth.rate_limit", kind::integer, "10", 1, 10000, "",
     "login, register and password-reset attempts per minute per address and per account",
     [](config& c, value const& v) { c.auth.rate_limit = as<std::uint32_t>(v); }},
    // smtp
    {"smtp.url", kind::url, "smtp://localhost:25", 0, 0, "smtp|smtps",
     "mail server: smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT (TLS from the start)",
     [](config& c, value const& v) { c.smtp.url = v.text; }},
    {"smtp.tls", kind::choice, "required", 0, 0, "required|opportunistic|off",
     "required: never send in plaintext; opportunistic: STARTTLS when offered; off: plaintext",
     [](config& c, value const& v) { c.smtp.tls = as<smtp_tls>(v); }},
    {"smtp.username", kind::text, "", 0, 0, "",
     "user name for SMTP authentication (empty: no authentication)",
     [](config& c, value const& v) { c.smtp.username = v.text; }},
    {"smtp.password_file", kind::text, "", 0, 0, "",
     "file holding the SMTP password, so that it stays out of this file",
     [](config& c, value const& v) { c.smtp.password_file = v.text; }},
    {"smtp.from", kind::email, "kryptod@localhost", 0, 0, "", "sender address of every email",
     [](config& c, value const& v) { c.smtp.from = v.text; }},
    {"smtp.ca_file", kind::text, "", 0, 0, "",
     "CA bundle trusted for the mail server's TLS instead of the system store (empty: system "
     "store)",
     [](config& c, value const& v) { c.smtp.ca_file = v.text; }},
    // notify
    {"notify.max_attempts", kind::integer, "10", 1, 100, "",
     "delivery attempts of one notification before it is marked failed",
     [](config& c, value const& v) { c.notify.max_attempts = as<std::uint32_t>(v); }},
    {"notify.max_per_user_per_hour", kind::integer, "100", 0, 1000000, "",
     "alert notifications one user is sent per hour; the rest are recorded as suppressed",
     [](config& c, value const& v) { c.notify.max_per_user_per_hour = as<std::uint32_t>(v); }},
    {"notify.webhook_allow_private", kind::boolean, "false", 0, 0, "",
     "allow webhooks to private and loopback addresses",
     [](config& c, value const& v) { c.notify.webhook_allow_private = v.flag; }},
    {"notify.retry_base", kind::duration, "30", 1, 3600, "",
     "seconds before the first retry of a failed delivery; each retry doubles it",
     [](config& c, value const& v) { c.notify.retry_base = secs(v); }},
    {"notify.retry_max", kind::duration, "3600", 1, 86400, "",
     "longest wait in seconds between two delivery attempts",
     [](config& c, value const& v) { c.notify.retry_max = secs(v); }},
    {"notify.retention_days", kind::integer, "30", 1, 36500, "",
     "days sent and failed notifications are kept in the outbox before they are deleted",
     [](config& c, value const& v) { c.notify.retention_days = as<std::uint32_t>(v); }},
    {"notify.account_emails_per_day", kind::integer, "5", 0, 1000, "",
     "account emails (verification, password reset) sent to one address per 24 hours",
     [](config& c, value const& v) { c.notify.account_emails_per_day = as<std::uint32_t>(v); }},
    // prices
    {"prices.retention_days", kind::integer, "90", 1, 36500, "",
     "days of per-minute price samples kept; older history stays as hourly candles",
     [](config& c, value const& v) { c.prices.retention_days = as<std::uint32_t>(v); }},
    {"prices.hourly_retention_days", kind::integer, "3650", 1, 36500, "",
     "days of hourly price candles kept (intervals of an hour and above)",
     [](config& c, value const& v) { c.prices.hourly_retention_days = as<std::uint32_t>(v); }},
    // alerts
    {"alerts.max_active_per_user", kind::integer, "1000", 1, 1000000, "",
     "active alerts one user may have",
     [](config& c, value const& v) { c.alerts.max_active_per_user = as<std::size_t>(v); }},
    // telegram
    {"telegram.bot_token_file", kind::text, "", 0, 0, "",
     "file holding the Telegram bot's token from @BotFather (empty: Telegram off)",
     [](config& c, value const& v) { c.telegram.bot_token_file = v.text; }},
    {"telegram.api_url", kind::url, "https://api.telegram.org", 0, 0, "http|https",
     "Telegram Bot API endpoint", [](config& c, value const& v) { c.telegram.api_url = v.text; }},
    {"telegram.chat_messages_per_minute", kind::integer, "60", 1, 60000, "",
     "messages sent to one chat per minute (Telegram allows about 60; 20 in groups)",
     [](config& c, value const& v) { c.telegram.chat_messages_per_minute = as<std::uint32_t>(v); }},
    {"telegram.messages_per_second", kind::integer, "30", 1, 1000, "",
     "messages the bot sends per second in all (Telegram allows about 30)",
     [](config& c, value const& v) { c.telegram.messages_per_second = as<std::uint32_t>(v); }},
    // stream
    {"stream.max_per_user", kind::integer, "8", 1, 1000, "",
     "open live streams (GET /api/stream) one user may have; more get 429",
     [](config& c, value const& v) { c.stream.max_per_user = as<std::size_t>(v); }},
    {"stream.max_clients", kind::integer, "10000", 1, 1000000, "",
     "open live streams in all; more get 503",
     [](config& c, value const& v) { c.stream.max_clients = as<std::size_t>(v); }},
    // log
    {"log.level", kind::choice, "info", 0, 0, "debug|info|notice|warning|error",
     "least severe level logged; SIGHUP re-reads it",
     [](config& c, value const& v) { c.log.level = as<log_level>(v); }},
});

std::span<rule const> all_rules() {
    return rules;
}

rule const* find_rule(std::string_view name) {
    for (auto const& r : all_rules())
        if (r.name == name) return &r;
    return nullptr;
}

std::vector<std::string_view> split_bar(std::string_view text) {
    std::vector<std::string_view> out;
    while (true) {
        auto const bar = text.find('|');
        out.push_back(text.substr(0, bar));
        if (bar == std::string_view::npos) return out;
        text.remove_prefix(bar + 1);
    }
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// `a, b or c`
std::string alternatives(std::string_view allowed, std::string_view suffix = "") {
    auto const words = split_bar(allowed);
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
        out += words[i];
        out += suffix;
    }
    return out;
}

std::string accepted_text(rule const& r) {
    switch (r.type) {
    case kind::integer:
        return "integer " + std::to_string(r.min) + ".." + std::to_string(r.max);
    case kind::duration:
        return "seconds " + std::to_string(r.min) + ".." + std::to_string(r.max);
    case kind::boolean:
        return "true|false";
    case kind::text:
        return r.min > 0 ? "non-empty text" : "text, may be empty";
    case kind::url:
        return alternatives(r.allowed, "://") + " URL";
    case kind::listen:
        return "IPV4:PORT or [IPV6]:PORT";
    case kind::coins:
        return "symbols of 2..20 letters and digits";
    case kind::choice:
        return std::string(r.allowed);
    case kind::email:
        return "email address";
    case kind::networks:
        return "IP addresses and CIDR networks, space-separated";
    }
    return {};
}

[[noreturn]] void fail(rule const& r, std::string const& problem) {
    throw config_error(std::string(r.name) + ": " + problem);
}

[[noreturn]] void fail_got(rule const& r, std::string const& problem, std::string_view text) {
    fail(r, problem + ", got " + in_quotes(text));
}

std::optional<std::int64_t> to_integer(std::string_view text) {
    std::int64_t n = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return n;
}

std::optional<listen_address> to_listen_address(std::string_view text) {
    std::string_view host;
    std::string_view port;
    int family = AF_INET;
    if (text.starts_with('[')) {
        auto const close = text.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        family = AF_INET6;
    } else {
        auto const colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    std::string const host_text(host);
    std::array<unsigned char, 16> buffer{};
    if (inet_pton(family, host_text.c_str(), buffer.data()) != 1) return std::nullopt;
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    auto const number = to_integer(port);
    if (!number || *number > 65535) return std::nullopt;
    return listen_address{host_text, static_cast<std::uint16_t>(*number)};
}

void check_url(rule const& r, std::string_view text) {
    auto const schemes = split_bar(r.allowed);
    auto const expected = "must be a " + alternatives(r.allowed, "://") + " URL";
    auto const parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed) fail_got(r, expected, text);
    auto const url = *parsed;
    auto const scheme = lower(url.scheme());
    if (std::find(schemes.begin(), schemes.end(), scheme) == schemes.end())
        fail_got(r, expected, text);
    if (!url.has_authority() || url.encoded_host().empty()) fail_got(r, "must name a host", text);
    if (url.has_userinfo()) fail_got(r, "must not contain a user name or password", text);
    if (url.has_port() && url.port_number() == 0) fail_got(r, "has an invalid port", text);
}

std::vector<std::string> to_coins(rule const& r, std::string_view text) {
    std::vector<std::string> coins;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ' || text[i] == '\t') {
            ++i;
            continue;
        }
        auto const end = text.find_first_of(" \t", i);
        auto const token =
            text.substr(i, end == std::string_view::npos ? text.size() - i : end - i);
        i += token.size();
        std::string coin(token);
        for (auto& c : coin)
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        bool const ok = coin.size() >= 2 && coin.size() <= 20 &&
                        std::all_of(coin.begin(), coin.end(), [](char c) {
                            return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                        });
        if (!ok) fail(r, in_quotes(token) + " is not a coin symbol (2 to 20 letters and digits)");
        if (std::find(coins.begin(), coins.end(), coin) != coins.end())
            fail(r, in_quotes(coin) + " is listed twice");
        coins.push_back(std::move(coin));
    }
    return coins;
}

value parse_value(rule const& r, std::string const& text) {
    value v;
    switch (r.type) {
    case kind::integer:
    case kind::duration: {
        auto const n = to_integer(text);
        if (!n || *n < r.min || *n > r.max) {
            auto const what = r.type == kind::integer ? "an integer" : "a number of seconds";
            fail_got(r,
                     std::string("must be ") + what + " from " + std::to_string(r.min) + " to " +
                         std::to_string(r.max),
                     text);
        }
        v.number = *n;
        break;
    }
    case kind::boolean: {
        auto const word = lower(text);
        if (word == "true" || word == "yes" || word == "on" || word == "1")
            v.flag = true;
        else if (word == "false" || word == "no" || word == "off" || word == "0")
            v.flag = false;
        else
            fail_got(r, "must be true or false (or yes/no, on/off, 1/0)", text);
        break;
    }
    case kind::text:
        if (r.min > 0 && text.empty()) fail(r, "must not be empty");
        v.text = text;
        break;
    case kind::url:
        // A URL key whose default is empty is optional: empty turns it off.
        if (!(text.empty() && r.default_value.empty())) check_url(r, text);
        v.text = text;
        break;
    case kind::listen: {
        auto const address = to_listen_address(text);
        if (!address)
            fail_got(r, "must be IPV4:PORT or [IPV6]:PORT with a port from 0 to 65535", text);
        v.address = *address;
        break;
    }
    case kind::coins:
        v.list = to_coins(r, text);
        break;
    case kind::choice: {
        auto const words = split_bar(r.allowed);
        auto const word = lower(text);
        auto const it = std::find(words.begin(), words.end(), word);
        if (it == words.end()) fail_got(r, "must be one of " + alternatives(r.allowed), text);
        v.number = it - words.begin();
        break;
    }
    case kind::email:
        if (!core::valid_email(text))
            fail_got(r, "must be an email address like name@example.com", text);
        v.text = text;
        break;
    case kind::networks:
        try {
            (void)http::trusted_proxies::parse(text);
        } catch (std::invalid_argument const& e) {
            fail(r, log::one_line(e.what()));
        }
        v.text = text;
        break;
    }
    return v;
}

// Reads the whole file with POSIX calls so that the error names the errno
// (a directory opens fine and only fails on read).
std::string read_file(std::filesystem::path const& file) {
    auto const fail_read = [&](int error) {
        throw config_error("cannot read config file " + in_quotes(file.string()) + ": " +
                           std::strerror(error));
    };
    int const fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_read(errno);
    std::string text;
    std::array<char, 8192> buffer;
    while (true) {
        auto const n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int const error = errno;
            ::close(fd);
            fail_read(error);
        }
        if (n == 0) break;
        text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

void check_cross_key(config const& c) {
    if (c.notify.retry_base > c.notify.retry_max)
        throw config_error("notify.retry_base: must not exceed notify.retry_max (" +
                           std::to_string(c.notify.retry_max.count()) + "), got \"" +
                           std::to_string(c.notify.retry_base.count()) + "\"");
    if (c.smtp.tls == smtp_tls::off && lower(c.smtp.url).starts_with("smtps:"))
        throw config_error("smtp.tls: cannot be \"off\" with an smtps:// smtp.url, which always "
                           "uses TLS");
}

} // namespace

namespace detail {

std::string in_quotes(std::string_view text) {
    // Appended, not `"\"" + ... + "\""`: GCC 12 warns (-Wrestrict) on that
    // expression once it is inlined across files.
    std::string out = "\"";
    out += log::one_line(text);
    out += '"';
    return out;
}

po::options_description key_options() {
    po::options_description keys("configuration keys");
    for (auto const& r : all_rules())
        keys.add_options()(std::string(r.name).c_str(), po::value<std::string>());
    return keys;
}

} // namespace detail

std::span<config_key const> config_keys() {
    static std::vector<config_key> const keys = [] {
        std::vector<config_key> out;
        for (auto const& r : all_rules())
            out.push_back({r.name, r.default_value, r.help, accepted_text(r)});
        return out;
    }();
    return keys;
}

config load_config(config_source const& source) {
    std::map<std::string_view, std::string> texts;
    for (auto const& r : all_rules())
        texts[r.name] = std::string(r.default_value);

    if (source.file) {
        auto const name = in_quotes(source.file->string());
        std::istringstream in(read_file(*source.file));
        po::parsed_options parsed(nullptr);
        try {
            parsed = po::parse_config_file<char>(in, key_options(), true);
        } catch (po::error const& e) {
            throw config_error("syntax error in config file " + name + ": " + e.what());
        }
        std::set<std::string> seen;
        for (auto const& option : parsed.options) {
            auto const* r = find_rule(option.string_key);
            if (option.unregistered || r == nullptr)
                throw config_error("unknown key " + in_quotes(option.string_key) + " in " +
                                   source.file->string());
            if (!seen.insert(option.string_key).second)
                throw config_error(option.string_key + ": given more than once in " +
                                   source.file->string());
            texts[r->name] = option.value.empty() ? std::string() : option.value.front();
        }
    }

    std::set<std::string> seen;
    for (auto const& [key, text] : source.overrides) {
        auto const* r = find_rule(key);
        if (r == nullptr)
            throw config_error("unknown key " + in_quotes(key) + " on the command line");
        if (!seen.insert(key).second)
            throw config_error(key + ": given more than once on the command line");
        texts[r->name] = text;
    }

    config c;
    for (auto const& r : all_rules())
        r.store(c, parse_value(r, texts[r.name]));
    check_cross_key(c);
    return c;
}

} // namespace kryptod::daemon
