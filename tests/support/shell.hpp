// Test support: running a shell command from a test and quoting a path for
// it. The command's exit status and merged output come back together.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <utility>

namespace kryptod::test {

// Runs `command` through the shell; its exit status and its merged output.
inline std::pair<int, std::string> run(std::string const& command) {
    std::string output;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    BOOST_REQUIRE_MESSAGE(pipe != nullptr, "cannot run " << command);
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, pipe))
        output.append(buf, n);
    int const status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), output};
}

// `p` in single quotes for the shell (test paths hold no quote).
inline std::string quoted(std::filesystem::path const& p) {
    std::string out(1, '\'');
    out.append(p.string());
    out.push_back('\'');
    return out;
}

} // namespace kryptod::test
