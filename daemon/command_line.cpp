// kryptod's command line: the commands, their arguments, --help and
// --version. The keys themselves, their defaults and validation are the
// configuration's (config.cpp); this file only finds them in argv.
#include "core/email_address.hpp"
#include "daemon/config.hpp"
#include "daemon/config_detail.hpp"

#include <boost/program_options.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kryptod::daemon {

namespace po = boost::program_options;
using detail::in_quotes;
using detail::key_options;

namespace {

// argv as program_options reads it. Program_options refuses `--key=` with an
// empty value, but emptying a key the file sets (`--smtp.username=`) must
// work: it is passed on as `--key ""`.
po::parsed_options parse_argv(int argc, char const* const* argv) {
    po::options_description options;
    options.add_options()("config", po::value<std::string>())("help,h", "")("version,V", "")(
        "admin", "")("args", po::value<std::vector<std::string>>());
    options.add(key_options());
    po::positional_options_description positional;
    positional.add("args", -1);

    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        if (arg == "--") {
            args.insert(args.end(), argv + i, argv + argc);
            break;
        }
        if (arg.size() > 3 && arg.starts_with("--") && arg.find('=') == arg.size() - 1) {
            args.emplace_back(arg.substr(0, arg.size() - 1));
            args.emplace_back();
        } else {
            args.emplace_back(arg);
        }
    }
    try {
        return po::command_line_parser(args)
            .options(options)
            .positional(positional)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .allow_unregistered()
            .run();
    } catch (po::error const& e) {
        throw config_error(std::string(e.what()) + " (see kryptod --help)");
    }
}

// What the options say, before the command's words are read.
struct flags {
    std::vector<std::string> words; // the positional arguments
    bool help = false;
    bool version = false;
};

// Sorts the parsed options into `cl` (--config, --admin, the key overrides)
// and the returned flags; refuses unknown options and keys.
flags read_options(po::parsed_options const& parsed, command_line& cl) {
    flags f;
    for (auto const& option : parsed.options) {
        auto const token =
            option.original_tokens.empty() ? option.string_key : option.original_tokens.front();
        if (option.string_key == "args" && option.position_key >= 0) {
            f.words.insert(f.words.end(), option.value.begin(), option.value.end());
        } else if (option.unregistered || option.string_key == "args") {
            if (option.string_key.find('.') != std::string::npos && token.starts_with("--"))
                throw config_error("unknown key " + in_quotes(option.string_key) +
                                   " on the command line (see kryptod --help)");
            throw config_error("unknown option " + in_quotes(token) + " (see kryptod --help)");
        } else if (option.string_key == "help") {
            f.help = true;
        } else if (option.string_key == "version") {
            f.version = true;
        } else if (option.string_key == "admin") {
            cl.admin = true;
        } else if (option.string_key == "config") {
            if (cl.source.file) throw config_error("--config: given more than once");
            if (option.value.empty() || option.value.front().empty())
                throw config_error("--config: needs a file name");
            cl.source.file = option.value.front();
        } else {
            cl.source.overrides.emplace_back(option.string_key,
                                             option.value.empty() ? "" : option.value.front());
        }
    }
    return f;
}

// The command the words name, with its arguments, into `cl`.
void read_command(std::vector<std::string> const& words, command_line& cl) {
    std::size_t used = 0;
    if (words.empty()) {
        cl.kind = command::run;
    } else if (words[0] == "user") {
        if (words.size() < 2 || words[1] != "add")
            throw config_error(
                "unknown command " +
                in_quotes(words.size() < 2 ? std::string("user") : "user " + words[1]) +
                ", expected \"user add EMAIL\"");
        if (words.size() < 3) throw config_error("user add: missing EMAIL");
        if (!core::valid_email(words[2]))
            throw config_error("user add: " + in_quotes(words[2]) + " is not an email address");
        cl.kind = command::user_add;
        cl.email = words[2];
        used = 3;
    } else if (words[0] == "backup") {
        if (words.size() < 2) throw config_error("backup: missing FILE");
        if (words[1].empty()) throw config_error("backup: FILE must not be empty");
        cl.kind = command::backup;
        cl.backup_path = words[1];
        used = 2;
    } else {
        throw config_error("unknown command " + in_quotes(words[0]) + " (see kryptod --help)");
    }
    if (words.size() > used) throw config_error("unexpected argument " + in_quotes(words[used]));
    if (cl.admin && cl.kind != command::user_add)
        throw config_error("--admin: only valid with \"user add\"");
}

} // namespace

command_line parse_command_line(int argc, char const* const* argv) {
    command_line cl;
    auto const f = read_options(parse_argv(argc, argv), cl);
    if (f.help) {
        cl.kind = command::help;
        return cl;
    }
    if (f.version) {
        cl.kind = command::version;
        return cl;
    }
    read_command(f.words, cl);

    cl.settings = load_config(cl.source);

    if (cl.kind == command::backup) {
        auto const target = std::filesystem::absolute(cl.backup_path).lexically_normal();
        auto const live = std::filesystem::absolute(cl.settings.storage.path).lexically_normal();
        if (target == live)
            throw config_error("backup: FILE " + in_quotes(cl.backup_path.string()) +
                               " is the live database (storage.path)");
    }
    return cl;
}

std::string usage() {
    std::string out = "Usage:\n"
                      "  kryptod [--config FILE] [--section.key=value ...]\n"
                      "      run the daemon\n"
                      "  kryptod user add EMAIL [--admin] [--config FILE] [--section.key=value "
                      "...]\n"
                      "      create a user (an admin with --admin); the password is read from "
                      "standard input\n"
                      "  kryptod backup FILE [--config FILE] [--section.key=value ...]\n"
                      "      write a consistent copy of the database to FILE, also while the "
                      "daemon runs\n"
                      "  kryptod --help | -h\n"
                      "      show this help\n"
                      "  kryptod --version | -V\n"
                      "      show the version\n"
                      "\n"
                      "Configuration: an INI file (--config FILE) with `key = value` lines under\n"
                      "`[section]` headers, and --section.key=value flags, which win over the "
                      "file.\n"
                      "Durations are in seconds. Keys, with their defaults:\n";
    for (auto const& key : config_keys()) {
        out += "  --";
        out += key.name;
        out += '=';
        out += key.default_value;
        out += "\n      ";
        out += key.help;
        out += " [";
        out += key.accepted;
        out += "]\n";
    }
    return out;
}

std::string version() {
    return std::string("kryptod ") + KRYPTOD_VERSION;
}

} // namespace kryptod::daemon
