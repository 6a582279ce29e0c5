// config_detail: what config.cpp shares with command_line.cpp, and no one
// else: the option descriptions of every key and the quoting of values in
// error messages.
#pragma once

#include <boost/program_options/options_description.hpp>

#include <string>
#include <string_view>

namespace kryptod::daemon::detail {

// `--section.key` for every key of the table, each taking a string value.
boost::program_options::options_description key_options();

// `"text"`, as values are quoted in config_error messages.
std::string in_quotes(std::string_view text);

} // namespace kryptod::daemon::detail
