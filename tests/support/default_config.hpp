// test::default_config(): the daemon's configuration with every key at its
// default, as `kryptod` with no file and no flags has it. Tests build a part
// with the daemon's own settings through daemon/options.hpp from it, then
// change what they need.
#pragma once

#include "daemon/config.hpp"

namespace kryptod::test {

inline daemon::config const& default_config() {
    static daemon::config const defaults = daemon::load_config({});
    return defaults;
}

} // namespace kryptod::test
