// Tests of daemon/config.hpp: defaults, the INI file, flags winning over it,
// every kind of bad input and its one-line message, the subcommands, the
// shipped conf/kryptod.conf, and `kryptod`'s exit status on a bad key.
#include "daemon/config.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace fs = std::filesystem;
using namespace kryptod::daemon;
using namespace std::chrono_literals;

namespace {

// A directory of its own under the system temp dir, removed with its files.
struct temp_dir {
    fs::path path;

    temp_dir()
        : path(kryptod::test_support::make_temp_dir("kryptod-config")) {}
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;

    fs::path write(std::string const& name, std::string const& text) const {
        auto const file = path / name;
        std::ofstream out(file, std::ios::binary);
        out << text;
        BOOST_REQUIRE(out.good());
        return file;
    }
};

command_line parse(std::vector<std::string> args) {
    args.insert(args.begin(), "kryptod");
    std::vector<char const*> argv;
    for (auto const& a : args)
        argv.push_back(a.c_str());
    argv.push_back(nullptr);
    return parse_command_line(static_cast<int>(args.size()), argv.data());
}

// The config_error message of `f`, or "(no error)"; every message must be one line.
std::string error_of(std::function<void()> const& f) {
    try {
        f();
    } catch (config_error const& e) {
        std::string const message = e.what();
        BOOST_TEST(message.find('\n') == std::string::npos, "multi-line error: " << message);
        BOOST_TEST(!message.empty());
        return message;
    }
    return "(no error)";
}

std::string flag_error(std::string const& flag) {
    return error_of([&] { parse({flag}); });
}

config with(std::string const& key, std::string const& value) {
    return load_config({std::nullopt, {{key, value}}});
}

fs::path source_dir() {
    if (char const* dir = std::getenv("KRYPTOD_SOURCE_DIR"); dir != nullptr && *dir != '\0')
        return dir;
    return fs::path(__FILE__).parent_path().parent_path().parent_path();
}

} // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults_are_the_documented_ones) {
    auto const c = load_config({});
    BOOST_TEST(c.http.listen.host == "127.0.0.1");
    BOOST_TEST(c.http.listen.port == 8000);
    BOOST_TEST(c.http.max_body == 65536u);
    BOOST_TEST(c.http.max_connections == 1024u);
    BOOST_TEST(c.http.header_timeout.count() == 10);
    BOOST_TEST(c.http.idle_timeout.count() == 60);
    BOOST_TEST(c.storage.path == "/var/lib/kryptod/kryptod.db");
    BOOST_TEST(c.storage.queue_limit == 65536u);
    BOOST_TEST(c.feed.url == "wss://stream.binance.com:9443/stream");
    BOOST_TEST(c.feed.rest_url == "https://api.binance.com");
    std::vector<std::string> const coins{"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"};
    BOOST_TEST(c.feed.coins == coins, boost::test_tools::per_element());
    BOOST_TEST(c.feed.stale_after.count() == 30);
    BOOST_TEST(c.feed.backfill_max.count() == 3600);
    BOOST_TEST(c.feed.ca_file.empty());
    BOOST_TEST(c.auth.secret_file == "/var/lib/kryptod/auth.secret");
    BOOST_TEST(c.auth.access_ttl.count() == 900);
    BOOST_TEST(c.auth.refresh_ttl.count() == 1209600);
    BOOST_TEST(c.auth.rate_limit == 10u);
    BOOST_TEST(c.smtp.url == "smtp://localhost:25");
    BOOST_TEST((c.smtp.tls == smtp_tls::required));
    BOOST_TEST(c.smtp.username.empty());
    BOOST_TEST(c.smtp.password_file.empty());
    BOOST_TEST(c.smtp.from == "kryptod@localhost");
    BOOST_TEST(c.smtp.ca_file.empty());
    BOOST_TEST(c.notify.max_attempts == 10u);
    BOOST_TEST(c.notify.max_per_user_per_hour == 100u);
    BOOST_TEST(!c.notify.webhook_allow_private);
    BOOST_TEST(c.notify.retry_base.count() == 30);
    BOOST_TEST(c.notify.retry_max.count() == 3600);
    BOOST_TEST(c.prices.retention_days == 90u);
    BOOST_TEST(c.prices.hourly_retention_days == 3650u);
    BOOST_TEST(c.alerts.max_active_per_user == 1000u);
    BOOST_TEST((c.log.level == log_level::info));
}

BOOST_AUTO_TEST_CASE(table_has_every_spec_key_once) {
    std::vector<std::string> const spec_keys{"http.listen",
                                             "http.max_body",
                                             "http.max_connections",
                                             "storage.path",
                                             "feed.url",
                                             "feed.rest_url",
                                             "feed.coins",
                                             "feed.stale_after",
                                             "feed.backfill_max",
                                             "feed.ca_file",
                                             "auth.secret_file",
                                             "auth.access_ttl",
                                             "auth.refresh_ttl",
                                             "auth.rate_limit",
                                             "smtp.url",
                                             "smtp.tls",
                                             "smtp.username",
                                             "smtp.password_file",
                                             "smtp.from",
                                             "smtp.ca_file",
                                             "notify.max_attempts",
                                             "notify.max_per_user_per_hour",
                                             "notify.webhook_allow_private",
                                             "prices.retention_days",
                                             "alerts.max_active_per_user",
                                             "log.level"};
    std::map<std::string, int> count;
    for (auto const& key : config_keys()) {
        ++count[std::string(key.name)];
        BOOST_TEST(!key.help.empty(), key.name << " has no help");
        BOOST_TEST(!key.accepted.empty(), key.name << " says nothing of its values");
    }
    for (auto const& key : spec_keys)
        BOOST_TEST(count[key] == 1, key << " appears " << count[key] << " times");
    for (auto const& [key, n] : count)
        BOOST_TEST(n == 1, key << " appears " << n << " times");
}

BOOST_AUTO_TEST_CASE(file_sections_map_to_keys) {
    temp_dir dir;
    auto const file = dir.write("kryptod.conf", "# a comment\n"
                                                "[http]\n"
                                                "listen = [::1]:0\n"
                                                "max_body = 1024   # trailing comment\n"
                                                "\n"
                                                "[feed]\n"
                                                "coins = btcusdt\t dogeusdt \n"
                                                "[notify]\n"
                                                "webhook_allow_private = yes\n"
                                                "[smtp]\n"
                                                "tls = opportunistic\n"
                                                "username =\n"
                                                "[log]\n"
                                                "level = WARNING\n");
    auto const c = load_config({file, {}});
    BOOST_TEST(c.http.listen.host == "::1");
    BOOST_TEST(c.http.listen.port == 0);
    BOOST_TEST(c.http.max_body == 1024u);
    std::vector<std::string> const coins{"BTCUSDT", "DOGEUSDT"};
    BOOST_TEST(c.feed.coins == coins, boost::test_tools::per_element());
    BOOST_TEST(c.notify.webhook_allow_private);
    BOOST_TEST((c.smtp.tls == smtp_tls::opportunistic));
    BOOST_TEST(c.smtp.username.empty());
    BOOST_TEST((c.log.level == log_level::warning));
    // Keys the file leaves out keep their defaults.
    BOOST_TEST(c.http.max_connections == 1024u);
}

BOOST_AUTO_TEST_CASE(flags_win_over_the_file) {
    temp_dir dir;
    auto const file = dir.write("k.conf", "[http]\nlisten = 127.0.0.1:9000\nmax_body = 2048\n"
                                          "[log]\nlevel = error\n");
    auto const cl =
        parse({"--config", file.string(), "--http.listen=0.0.0.0:9100", "--log.level", "debug"});
    BOOST_TEST((cl.kind == command::run));
    BOOST_TEST(cl.settings.http.listen.host == "0.0.0.0");
    BOOST_TEST(cl.settings.http.listen.port == 9100);
    BOOST_TEST((cl.settings.log.level == log_level::debug));
    BOOST_TEST(cl.settings.http.max_body == 2048u); // from the file, no flag
    BOOST_REQUIRE(cl.source.file.has_value());
    BOOST_TEST(*cl.source.file == file);
    BOOST_TEST(cl.source.overrides.size() == 2u);

    // The same sources give the same configuration again (SIGHUP).
    auto const again = load_config(cl.source);
    BOOST_TEST((again.http.listen == cl.settings.http.listen));
}

BOOST_AUTO_TEST_CASE(an_empty_flag_empties_what_the_file_sets) {
    temp_dir dir;
    auto const file = dir.write("k.conf", "[smtp]\nusername = alerts\n[feed]\ncoins = BTCUSDT\n");
    auto const cl = parse({"--config=" + file.string(), "--smtp.username=", "--feed.coins="});
    BOOST_TEST(cl.settings.smtp.username.empty());
    BOOST_TEST(cl.settings.feed.coins.empty());
    // A value may also follow as the next argument.
    BOOST_TEST(parse({"--smtp.username", "ops"}).settings.smtp.username == "ops");
}

BOOST_AUTO_TEST_CASE(without_config_no_file_is_read) {
    auto const cl = parse({"--storage.path=/tmp/x.db"});
    BOOST_TEST(!cl.source.file.has_value());
    BOOST_TEST(cl.settings.storage.path == "/tmp/x.db");
    BOOST_TEST(cl.settings.http.max_body == 65536u);
}

BOOST_AUTO_TEST_CASE(unknown_key_in_the_file) {
    temp_dir dir;
    auto const file = dir.write("k.conf", "[http]\nfoo = 1\n");
    BOOST_TEST(error_of([&] {
                   load_config({file, {}});
               }) == "unknown key \"http.foo\" in " + file.string());
    auto const no_section = dir.write("n.conf", "listen = 127.0.0.1:1\n");
    BOOST_TEST(error_of([&] {
                   load_config({no_section, {}});
               }) == "unknown key \"listen\" in " + no_section.string());
    auto const bad_section = dir.write("s.conf", "[htp]\nlisten = 127.0.0.1:1\n");
    BOOST_TEST(error_of([&] {
                   load_config({bad_section, {}});
               }) == "unknown key \"htp.listen\" in " + bad_section.string());
}

BOOST_AUTO_TEST_CASE(unknown_key_on_the_command_line) {
    BOOST_TEST(flag_error("--http.foo=1") ==
               "unknown key \"http.foo\" on the command line (see kryptod --help)");
    BOOST_TEST(error_of([] { with("http.foo", "1"); }) ==
               "unknown key \"http.foo\" on the command line");
    // Prefixes are not guessed: a typo is an error, not another key.
    BOOST_TEST(flag_error("--http.listen_=127.0.0.1:1") ==
               "unknown key \"http.listen_\" on the command line (see kryptod --help)");
    BOOST_TEST(flag_error("--http.max=1") ==
               "unknown key \"http.max\" on the command line (see kryptod --help)");
}

BOOST_AUTO_TEST_CASE(integers_and_durations) {
    BOOST_TEST(flag_error("--http.max_body=abc") ==
               "http.max_body: must be an integer from 1024 to 67108864, got \"abc\"");
    BOOST_TEST(flag_error("--http.max_body=1023") ==
               "http.max_body: must be an integer from 1024 to 67108864, got \"1023\"");
    BOOST_TEST(flag_error("--http.max_body=67108865") ==
               "http.max_body: must be an integer from 1024 to 67108864, got \"67108865\"");
    BOOST_TEST(flag_error("--http.max_body=-5") ==
               "http.max_body: must be an integer from 1024 to 67108864, got \"-5\"");
    BOOST_TEST(flag_error("--http.max_body=64k") ==
               "http.max_body: must be an integer from 1024 to 67108864, got \"64k\"");
    BOOST_TEST(flag_error("--http.max_body=99999999999999999999999") ==
               "http.max_body: must be an integer from 1024 to 67108864, got "
               "\"99999999999999999999999\"");
    BOOST_TEST(flag_error("--http.max_body=") ==
               "http.max_body: must be an integer from 1024 to 67108864, got \"\"");
    BOOST_TEST(flag_error("--feed.stale_after=4") ==
               "feed.stale_after: must be a number of seconds from 5 to 3600, got \"4\"");
    BOOST_TEST(flag_error("--auth.access_ttl=15m") ==
               "auth.access_ttl: must be a number of seconds from 60 to 86400, got \"15m\"");
    BOOST_TEST(flag_error("--notify.max_attempts=0") ==
               "notify.max_attempts: must be an integer from 1 to 100, got \"0\"");
    // Bounds are inclusive.
    BOOST_TEST(with("http.max_body", "1024").http.max_body == 1024u);
    BOOST_TEST(with("http.max_body", "67108864").http.max_body == 67108864u);
    BOOST_TEST(with("notify.max_per_user_per_hour", "0").notify.max_per_user_per_hour == 0u);
    BOOST_TEST(with("feed.backfill_max", "604800").feed.backfill_max.count() == 604800);
    BOOST_TEST(with("alerts.max_active_per_user", "5").alerts.max_active_per_user == 5u);
    BOOST_TEST(with("prices.retention_days", "36500").prices.retention_days == 36500u);
}

BOOST_AUTO_TEST_CASE(enumerations) {
    BOOST_TEST(flag_error("--smtp.tls=strict") ==
               "smtp.tls: must be one of required, opportunistic or off, got \"strict\"");
    BOOST_TEST(flag_error("--log.level=verbose") ==
               "log.level: must be one of debug, info, notice, warning or error, got \"verbose\"");
    BOOST_TEST((with("smtp.tls", "off").smtp.tls == smtp_tls::off));
    BOOST_TEST((with("smtp.tls", "Required").smtp.tls == smtp_tls::required));
    std::vector<std::pair<std::string, log_level>> const levels{{"debug", log_level::debug},
                                                                {"info", log_level::info},
                                                                {"notice", log_level::notice},
                                                                {"warning", log_level::warning},
                                                                {"error", log_level::error}};
    for (auto const& [text, level] : levels)
        BOOST_TEST((with("log.level", text).log.level == level), text);
}

BOOST_AUTO_TEST_CASE(url_schemes) {
    BOOST_TEST(
        flag_error("--feed.url=https://stream.binance.com/stream") ==
        "feed.url: must be a ws:// or wss:// URL, got \"https://stream.binance.com/stream\"");
    BOOST_TEST(flag_error("--feed.url=stream.binance.com") ==
               "feed.url: must be a ws:// or wss:// URL, got \"stream.binance.com\"");
    BOOST_TEST(flag_error("--feed.url=wss:///stream") ==
               "feed.url: must name a host, got \"wss:///stream\"");
    BOOST_TEST(flag_error("--feed.url=wss://host:0/stream") ==
               "feed.url: has an invalid port, got \"wss://host:0/stream\"");
    BOOST_TEST(flag_error("--feed.rest_url=ftp://api.binance.com") ==
               "feed.rest_url: must be a http:// or https:// URL, got \"ftp://api.binance.com\"");
    BOOST_TEST(flag_error("--smtp.url=http://mail") ==
               "smtp.url: must be a smtp:// or smtps:// URL, got \"http://mail\"");
    BOOST_TEST(flag_error("--smtp.url=smtp://bob:secret@mail:25") ==
               "smtp.url: must not contain a user name or password, got "
               "\"smtp://bob:secret@mail:25\"");
    BOOST_TEST(with("feed.url", "ws://127.0.0.1:9443/stream").feed.url ==
               "ws://127.0.0.1:9443/stream");
    BOOST_TEST(with("feed.rest_url", "http://[::1]:8080").feed.rest_url == "http://[::1]:8080");
    BOOST_TEST(with("smtp.url", "SMTPS://mail.example.com:465").smtp.url ==
               "SMTPS://mail.example.com:465");
}

BOOST_AUTO_TEST_CASE(listen_addresses) {
    std::string const problem =
        "http.listen: must be IPV4:PORT or [IPV6]:PORT with a port from 0 to 65535, got ";
    for (std::string bad :
         {"localhost:8000", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1",
          "127.0.0.1:", "::1:8000", "[::1]", "[::1]:80x", "256.0.0.1:80", ":8000", "127.0.0.1:+80"})
        BOOST_TEST(flag_error("--http.listen=" + bad) == problem + "\"" + bad + "\"");
    auto const any = with("http.listen", "0.0.0.0:0").http.listen;
    BOOST_TEST(any.host == "0.0.0.0");
    BOOST_TEST(any.port == 0);
    auto const v6 = with("http.listen", "[::]:65535").http.listen;
    BOOST_TEST(v6.host == "::");
    BOOST_TEST(v6.port == 65535);
}

BOOST_AUTO_TEST_CASE(coins) {
    BOOST_TEST(flag_error("--feed.coins=BTC-USDT") ==
               "feed.coins: \"BTC-USDT\" is not a coin symbol (2 to 20 letters and digits)");
    BOOST_TEST(flag_error("--feed.coins=BTCUSDT,ETHUSDT") ==
               "feed.coins: \"BTCUSDT,ETHUSDT\" is not a coin symbol (2 to 20 letters and digits)");
    BOOST_TEST(flag_error("--feed.coins=B") ==
               "feed.coins: \"B\" is not a coin symbol (2 to 20 letters and digits)");
    BOOST_TEST(flag_error("--feed.coins=ABCDEFGHIJKLMNOPQRSTU") ==
               "feed.coins: \"ABCDEFGHIJKLMNOPQRSTU\" is not a coin symbol (2 to 20 letters and "
               "digits)");
    BOOST_TEST(flag_error("--feed.coins=btcusdt BTCUSDT") ==
               "feed.coins: \"BTCUSDT\" is listed twice");
    std::vector<std::string> const two{"BTCUSDT", "ETHUSDT"};
    BOOST_TEST(with("feed.coins", "  btcusdt \t EthUsdt ").feed.coins == two,
               boost::test_tools::per_element());
    // An empty list is allowed: admins add coins through the API.
    BOOST_TEST(with("feed.coins", "").feed.coins.empty());
}

BOOST_AUTO_TEST_CASE(booleans) {
    BOOST_TEST(flag_error("--notify.webhook_allow_private=maybe") ==
               "notify.webhook_allow_private: must be true or false (or yes/no, on/off, 1/0), got "
               "\"maybe\"");
    for (std::string yes : {"true", "yes", "on", "1", "TRUE", "Yes"})
        BOOST_TEST(with("notify.webhook_allow_private", yes).notify.webhook_allow_private, yes);
    for (std::string no : {"false", "no", "off", "0", "False"})
        BOOST_TEST(!with("notify.webhook_allow_private", no).notify.webhook_allow_private, no);
}

BOOST_AUTO_TEST_CASE(texts_and_addresses) {
    BOOST_TEST(flag_error("--storage.path=") == "storage.path: must not be empty");
    BOOST_TEST(flag_error("--auth.secret_file=") == "auth.secret_file: must not be empty");
    BOOST_TEST(flag_error("--smtp.from=kryptod") ==
               "smtp.from: must be an email address like name@example.com, got \"kryptod\"");
    BOOST_TEST(with("smtp.from", "alerts@example.com").smtp.from == "alerts@example.com");
    BOOST_TEST(with("feed.ca_file", "/etc/ssl/ca.pem").feed.ca_file == "/etc/ssl/ca.pem");
}

BOOST_AUTO_TEST_CASE(keys_that_depend_on_each_other) {
    BOOST_TEST(
        error_of([] {
            load_config({std::nullopt, {{"notify.retry_base", "600"}, {"notify.retry_max", "60"}}});
        }) == "notify.retry_base: must not exceed notify.retry_max (60), got \"600\"");
    BOOST_TEST(
        error_of([] {
            load_config({std::nullopt, {{"smtp.url", "smtps://mail:465"}, {"smtp.tls", "off"}}});
        }) == "smtp.tls: cannot be \"off\" with an smtps:// smtp.url, which always uses TLS");
}

BOOST_AUTO_TEST_CASE(unreadable_or_malformed_file) {
    temp_dir dir;
    auto const missing = dir.path / "missing.conf";
    BOOST_TEST(error_of([&] {
                   parse({"--config", missing.string()});
               }) ==
               "cannot read config file \"" + missing.string() + "\": No such file or directory");
    BOOST_TEST(error_of([&] { parse({"--config=" + dir.path.string()}); }) ==
               "cannot read config file \"" + dir.path.string() + "\": Is a directory");
    auto const garbage = dir.write("g.conf", "[http]\nthis line has no equals sign\n");
    auto const message = error_of([&] { load_config({garbage, {}}); });
    BOOST_TEST(message.starts_with("syntax error in config file \"" + garbage.string() + "\": "),
               message);
}

BOOST_AUTO_TEST_CASE(keys_given_twice) {
    temp_dir dir;
    auto const file = dir.write("twice.conf", "[http]\nmax_body = 2048\nmax_body = 4096\n");
    BOOST_TEST(error_of([&] {
                   load_config({file, {}});
               }) == "http.max_body: given more than once in " + file.string());
    BOOST_TEST(error_of([] {
                   parse({"--http.max_body=2048", "--http.max_body=4096"});
               }) == "http.max_body: given more than once on the command line");
    BOOST_TEST(error_of([] {
                   parse({"--config=a", "--config=b"});
               }) == "--config: given more than once");
}

BOOST_AUTO_TEST_CASE(subcommands) {
    auto const run = parse({});
    BOOST_TEST((run.kind == command::run));

    auto const add = parse({"user", "add", "ops@example.com", "--admin", "--log.level=error"});
    BOOST_TEST((add.kind == command::user_add));
    BOOST_TEST(add.email == "ops@example.com");
    BOOST_TEST(add.admin);
    BOOST_TEST((add.settings.log.level == log_level::error));

    auto const plain = parse({"--storage.path=/srv/k.db", "user", "add", "bob@example.com"});
    BOOST_TEST((plain.kind == command::user_add));
    BOOST_TEST(!plain.admin);
    BOOST_TEST(plain.settings.storage.path == "/srv/k.db");

    auto const backup = parse({"backup", "/srv/backup.db", "--storage.path=/srv/k.db"});
    BOOST_TEST((backup.kind == command::backup));
    BOOST_TEST(backup.backup_path == "/srv/backup.db");

    for (std::string help : {"--help", "-h"})
        BOOST_TEST((parse({help}).kind == command::help), help);
    for (std::string version : {"--version", "-V"})
        BOOST_TEST((parse({version}).kind == command::version), version);
    // Help is shown without reading (or failing on) the configuration.
    BOOST_TEST((parse({"--config=/nonexistent/kryptod.conf", "--help"}).kind == command::help));
}

BOOST_AUTO_TEST_CASE(subcommand_argument_errors) {
    auto const err = [](std::vector<std::string> args) {
        return error_of([&] { parse(std::move(args)); });
    };
    BOOST_TEST(err({"user"}) == "unknown command \"user\", expected \"user add EMAIL\"");
    BOOST_TEST(err({"user", "del", "a@b.c"}) ==
               "unknown command \"user del\", expected \"user add EMAIL\"");
    BOOST_TEST(err({"user", "add"}) == "user add: missing EMAIL");
    BOOST_TEST(err({"user", "add", "not-an-email"}) ==
               "user add: \"not-an-email\" is not an email address");
    BOOST_TEST(err({"user", "add", "a@b.c", "extra"}) == "unexpected argument \"extra\"");
    BOOST_TEST(err({"backup"}) == "backup: missing FILE");
    BOOST_TEST(err({"backup", "a.db", "b.db"}) == "unexpected argument \"b.db\"");
    BOOST_TEST(err({"backup", "/srv/k.db", "--storage.path=/srv/./k.db"}) ==
               "backup: FILE \"/srv/k.db\" is the live database (storage.path)");
    BOOST_TEST(err({"frob"}) == "unknown command \"frob\" (see kryptod --help)");
    BOOST_TEST(err({"--admin"}) == "--admin: only valid with \"user add\"");
    BOOST_TEST(err({"backup", "x.db", "--admin"}) == "--admin: only valid with \"user add\"");
    BOOST_TEST(err({"--bogus"}) == "unknown option \"--bogus\" (see kryptod --help)");
    BOOST_TEST(err({"--args=x"}) == "unknown option \"--args=x\" (see kryptod --help)");
    BOOST_TEST(err({"-x"}).starts_with("unknown option \"-x"), err({"-x"}));
    BOOST_TEST(err({"--config"}).find("config") != std::string::npos, err({"--config"}));
    BOOST_TEST(err({"--config="}) == "--config: needs a file name");
}

BOOST_AUTO_TEST_CASE(email_syntax) {
    for (std::string good : {"a@b", "ops@example.com", "first.last+tag@sub.example.co",
                             "kryptod@localhost", "x_y@a-b.c"})
        BOOST_TEST(valid_email(good), good);
    for (std::string const& bad : std::vector<std::string>{
             "", "a", "@b.c", "a@", "a@@b.c", "a@b@c", "a b@c.d", "a@b c.d", "a@-b.c", "a@b-.c",
             "a@b..c", ".a@b.c", "a..b@c.d", "a@b.c.", "<a@b.c>", std::string(65, 'a') + "@b.c"})
        BOOST_TEST(!valid_email(bad), bad);
}

BOOST_AUTO_TEST_CASE(shipped_conf_parses_and_shows_every_default) {
    auto const file = source_dir() / "conf" / "kryptod.conf";
    BOOST_REQUIRE_MESSAGE(fs::exists(file), file << " is missing");
    auto const c = load_config({file, {}});
    BOOST_TEST(c.http.listen.port == 8000);

    // Collect `# key = value` lines, qualified by the section above them.
    std::map<std::string, std::string> shown;
    std::ifstream in(file);
    std::string line;
    std::string section;
    while (std::getline(in, line)) {
        if (line.starts_with("[") && line.ends_with("]")) {
            section = line.substr(1, line.size() - 2);
            continue;
        }
        if (!line.starts_with("# ")) continue;
        auto const eq = line.find(" =");
        if (eq == std::string::npos) continue;
        auto const key = line.substr(2, eq - 2);
        if (key.empty() || key.find(' ') != std::string::npos) continue;
        auto value = line.substr(eq + 2);
        if (value.starts_with(" ")) value.erase(0, 1);
        shown[section + "." + key] = value;
    }
    for (auto const& key : config_keys()) {
        std::string const name(key.name);
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(shown.count(name) == 1u, name << " is not shown in conf/kryptod.conf");
            BOOST_TEST(shown[name] == std::string(key.default_value));
        }
    }
}

BOOST_AUTO_TEST_CASE(usage_lists_commands_and_every_key) {
    auto const text = usage();
    for (std::string command : {"user add EMAIL", "backup FILE", "--help", "--version"})
        BOOST_TEST(text.find(command) != std::string::npos, command);
    for (auto const& key : config_keys()) {
        auto const shown =
            "--" + std::string(key.name) + "=" + std::string(key.default_value) + "\n";
        BOOST_TEST(text.find(shown) != std::string::npos, shown);
    }
    BOOST_TEST(version() == std::string("kryptod ") + KRYPTOD_VERSION);
}

// `kryptod` itself: a bad key exits 2 with one line naming it.
BOOST_AUTO_TEST_CASE(binary_exits_2_on_a_bad_key) {
    char const* bin = std::getenv("KRYPTOD_BIN");
    BOOST_REQUIRE_MESSAGE(bin != nullptr && fs::exists(bin), "KRYPTOD_BIN must name kryptod");
    auto const run = [&](std::string const& args) {
        // Built with += because g++ 12 warns falsely (-Wrestrict) on the `+` chain.
        std::string command = "'";
        command += bin;
        command += "' ";
        command += args;
        command += " 2>&1 </dev/null";
        FILE* pipe = ::popen(command.c_str(), "r");
        BOOST_REQUIRE(pipe != nullptr);
        std::string output;
        char buffer[4096];
        while (auto n = std::fread(buffer, 1, sizeof buffer, pipe))
            output.append(buffer, n);
        int const status = ::pclose(pipe);
        return std::pair{WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
    };
    auto const [status, output] = run("--http.max_body=abc");
    BOOST_TEST(status == 2);
    BOOST_TEST(
        output.find("http.max_body: must be an integer from 1024 to 67108864, got \"abc\"") !=
            std::string::npos,
        output);
    BOOST_TEST(std::count(output.begin(), output.end(), '\n') == 1, output);

    auto const [version_status, version_output] = run("--version");
    BOOST_TEST(version_status == 0);
    BOOST_TEST(version_output == version() + "\n");

    auto const [help_status, help_output] = run("--help");
    BOOST_TEST(help_status == 0);
    BOOST_TEST(help_output == usage());
}

BOOST_AUTO_TEST_SUITE_END()
