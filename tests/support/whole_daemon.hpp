// Test support for whole-daemon tests: the real kryptod binary against local
// stand-ins (the Binance test server, aiosmtpd, a webhook receiver). Small
// pieces shared by those tests and by daemon_harness.hpp, the harness that
// runs a daemon on the test exchange: finding the stand-ins, creating a user the
// way an operator does, polling for an outcome with a deadline, reading the
// records the Python servers write, and reading one value off /metrics.
#pragma once

#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/piped_process.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kryptod::test {

inline std::filesystem::path test_server_binary() {
    char const* bin = std::getenv("KRYPTOD_TEST_SERVER");
    BOOST_REQUIRE_MESSAGE(bin != nullptr, "KRYPTOD_TEST_SERVER is not set (run through ctest)");
    return bin;
}

inline boost::json::object json_of(bhttp::response<bhttp::string_body> const& res) {
    return boost::json::parse(res.body()).as_object();
}

// Polls `ok` every 20 ms until it holds or `timeout` passes; its last answer.
template <class F>
bool eventually(F&& ok, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ok()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ok();
}

// Creates a user with `kryptod user add` on the database at `db`, as an
// operator would; fails the test when the command fails.
inline void add_user(std::filesystem::path const& db, std::string const& email,
                     std::string const& password, std::filesystem::path const& log) {
    auto const cmd = "printf '%s\\n' '" + password + "' | " + kryptod_binary().string() +
                     " user add " + email + " --storage.path=" + db.string() + " >" + log.string() +
                     " 2>&1";
    BOOST_REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "kryptod user add " << email << " failed");
}

// The records a test server wrote as DIR/<seq>.json, in order; files still
// being written (their .tmp name) are not listed.
inline std::vector<boost::json::object> records_in(std::filesystem::path const& dir) {
    std::vector<std::filesystem::path> files;
    for (auto const& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<boost::json::object> out;
    for (auto const& f : files) {
        std::ifstream in(f);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        out.push_back(boost::json::parse(text).as_object());
    }
    return out;
}

// The value of a metric without labels on /metrics, or nothing if absent.
inline std::optional<double> metric_value(http_client& c, std::string const& name) {
    auto const res = c.call(bhttp::verb::get, "/metrics");
    std::string const& text = res.body();
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto const end = std::min(text.find('\n', pos), text.size());
        std::string_view line(text.data() + pos, end - pos);
        if (line.size() > name.size() && line.substr(0, name.size()) == name &&
            line[name.size()] == ' ')
            return std::stod(std::string(line.substr(name.size() + 1)));
        pos = end + 1;
    }
    return std::nullopt;
}

// The port the Binance test server (just started) listens on.
inline std::string exchange_port(piped_process& exchange) {
    auto const line = exchange.read_line(std::chrono::seconds(10));
    BOOST_REQUIRE_MESSAGE(line && line->starts_with("PORT "),
                          "the Binance test server did not start");
    return line->substr(5);
}

} // namespace kryptod::test
