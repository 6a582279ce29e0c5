// Tests of daemon/log.hpp: level filtering, the journald priority prefix, the
// text line's timestamp, one line per record (also across threads), and the
// fields of alert records.
#include "daemon/log.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
namespace klog = kryptod::daemon::log;
using kryptod::daemon::log_level;
using kryptod::daemon::parse_log_level;
using kryptod::daemon::syslog_priority;
using kryptod::daemon::to_string;

namespace {

// Sends records to a fresh temporary file for the test's duration, then puts
// back stderr in text format and the default level.
struct captured_log {
    fs::path path;
    int fd = -1;

    captured_log() {
        std::string pattern = (fs::temp_directory_path() / "kryptod-log-XXXXXX").string();
        fd = ::mkstemp(pattern.data());
        BOOST_REQUIRE(fd >= 0);
        path = pattern;
        klog::set_output(klog::output::text, fd);
        klog::set_level(log_level::info);
    }
    ~captured_log() {
        klog::set_output(klog::output::text, STDERR_FILENO);
        klog::set_level(log_level::info);
        ::close(fd);
        std::error_code ec;
        fs::remove(path, ec);
    }
    captured_log(captured_log const&) = delete;
    captured_log& operator=(captured_log const&) = delete;

    void use(klog::output format) const { klog::set_output(format, fd); }

    // Everything written so far; the next call returns only what follows.
    std::string take() {
        std::string text;
        char buffer[4096];
        ssize_t n;
        while ((n = ::pread(fd, buffer, sizeof buffer, offset_ + static_cast<off_t>(text.size()))) >
               0)
            text.append(buffer, static_cast<std::size_t>(n));
        offset_ += static_cast<off_t>(text.size());
        return text;
    }

private:
    off_t offset_ = 0;
};

std::chrono::system_clock::time_point utc(int y, int mo, int d, int h, int mi, int s, int ms) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return std::chrono::system_clock::from_time_t(::timegm(&tm)) + std::chrono::milliseconds(ms);
}

// Restores an environment variable when the test ends.
struct saved_env {
    std::string name;
    std::optional<std::string> value;

    explicit saved_env(std::string n)
        : name(std::move(n)) {
        if (char const* v = std::getenv(name.c_str())) value = v;
    }
    ~saved_env() {
        if (value)
            ::setenv(name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    saved_env(saved_env const&) = delete;
    saved_env& operator=(saved_env const&) = delete;
};

} // namespace

// The suite opens a namespace named after it; ::log from <cmath> forbids
// opening it at global scope.
namespace log_tests {

BOOST_AUTO_TEST_SUITE(log)

BOOST_AUTO_TEST_CASE(level_names_and_priorities) {
    std::vector<std::pair<log_level, int>> const expected{{log_level::debug, 7},
                                                          {log_level::info, 6},
                                                          {log_level::notice, 5},
                                                          {log_level::warning, 4},
                                                          {log_level::error, 3}};
    for (auto const& [level, priority] : expected) {
        BOOST_TEST(syslog_priority(level) == priority);
        BOOST_TEST((parse_log_level(to_string(level)) == level));
    }
    BOOST_TEST((parse_log_level("WARNING") == log_level::warning));
    BOOST_TEST(!parse_log_level("warn").has_value());
    BOOST_TEST(!parse_log_level("").has_value());
    BOOST_TEST(!parse_log_level("errors").has_value());
}

BOOST_FIXTURE_TEST_CASE(records_below_the_level_are_dropped, captured_log) {
    klog::set_level(log_level::warning);
    klog::debug("d");
    klog::info("i");
    klog::notice("n");
    BOOST_TEST(take().empty());
    klog::warning("w");
    klog::error("e");
    auto const text = take();
    BOOST_TEST(text.find(" warning: w\n") != std::string::npos, text);
    BOOST_TEST(text.find(" error: e\n") != std::string::npos, text);
    BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 2);

    // The level changes at run time (SIGHUP).
    klog::set_level(log_level::debug);
    BOOST_TEST(klog::enabled(log_level::debug));
    klog::debug("now visible");
    BOOST_TEST(take().find(" debug: now visible\n") != std::string::npos);

    klog::set_level(log_level::error);
    klog::alert(log_level::warning, 1, 2, "BTCUSDT", "filtered too");
    BOOST_TEST(take().empty());
}

BOOST_AUTO_TEST_CASE(text_line_has_utc_milliseconds_timestamp) {
    auto const when = utc(2026, 11, 23, 13, 40, 0, 123);
    BOOST_TEST(klog::format_text(log_level::warning, when, "message") ==
               "2026-11-23T13:40:00.123Z warning: message\n");
    BOOST_TEST(klog::format_text(log_level::info, utc(2026, 1, 2, 3, 4, 5, 7), "x") ==
               "2026-01-02T03:04:05.007Z info: x\n");
}

BOOST_FIXTURE_TEST_CASE(live_text_record, captured_log) {
    auto const before = std::chrono::system_clock::now();
    klog::info("feed connected to ", "stream.binance.com", " after ", 3, " attempts");
    auto const text = take();
    std::regex const shape(
        R"(^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z info: feed connected to stream\.binance\.com after 3 attempts\n$)");
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_match(text, m, shape), text);
    auto const stamped = utc(std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4]),
                             std::stoi(m[5]), std::stoi(m[6]), std::stoi(m[7]));
    auto const skew = std::chrono::abs(stamped - before);
    BOOST_TEST(skew < std::chrono::seconds(5));
}

BOOST_FIXTURE_TEST_CASE(journal_lines_carry_the_priority, captured_log) {
    use(klog::output::journal);
    klog::set_level(log_level::debug);
    klog::debug("d");
    klog::info("i");
    klog::notice("n");
    klog::warning("w");
    klog::error("disk full");
    BOOST_TEST(take() == "<7>d\n<6>i\n<5>n\n<4>w\n<3>disk full\n");
}

BOOST_FIXTURE_TEST_CASE(one_record_is_one_line, captured_log) {
    klog::error("first\nsecond\r\nthird\ttab \x1b[31mred\\");
    auto const text = take();
    BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 1, text);
    BOOST_TEST(text.ends_with(" error: first\\nsecond\\r\\nthird\\ttab \\x1b[31mred\\\\\n"), text);

    use(klog::output::journal);
    klog::warning("a\nb");
    BOOST_TEST(take() == "<4>a\\nb\n");
}

BOOST_FIXTURE_TEST_CASE(alert_records_name_the_alert, captured_log) {
    klog::alert(log_level::notice, 42, 7, "BTCUSDT", "fired at ", "65000.5");
    auto const text = take();
    BOOST_TEST(text.ends_with(" notice: fired at 65000.5 alert=42 user=7 symbol=BTCUSDT\n"), text);

    klog::alert_ref const eth{42, 7, "ETHUSDT"};
    BOOST_TEST(klog::format_journal(log_level::error, "sending failed", &eth) ==
               "<3>sending failed alert=42 user=7 symbol=ETHUSDT\n");

    std::vector<std::string> const fields{"MESSAGE=fired\\nagain", "PRIORITY=5",
                                          "ALERT_ID=42",           "USER_ID=7",
                                          "SYMBOL=BTCUSDT",        "SYSLOG_IDENTIFIER=kryptod"};
    BOOST_TEST(klog::journal_fields(log_level::notice, {42, 7, "BTCUSDT"}, "fired\nagain") ==
                   fields,
               boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(concurrent_records_do_not_interleave, captured_log) {
    constexpr int threads = 4;
    constexpr int records = 250;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([t] {
            for (int i = 0; i < records; ++i)
                klog::info("thread ", t, " record ", i, " ", std::string(100, 'x'));
        });
    for (auto& w : workers)
        w.join();
    auto const text = take();
    std::regex const shape(R"(^\S+ info: thread \d record \d+ x{100}$)");
    std::size_t lines = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        auto const end = text.find('\n', start);
        BOOST_REQUIRE(end != std::string::npos);
        auto const line = text.substr(start, end - start);
        BOOST_TEST(std::regex_match(line, shape), line);
        ++lines;
        start = end + 1;
    }
    BOOST_TEST(lines == static_cast<std::size_t>(threads * records));
}

BOOST_AUTO_TEST_CASE(journal_output_is_chosen_by_journal_stream) {
    saved_env saved("JOURNAL_STREAM");
    ::setenv("JOURNAL_STREAM", "8:123456", 1);
    BOOST_TEST((klog::output_from_environment() == klog::output::journal));
    ::setenv("JOURNAL_STREAM", "", 1);
    BOOST_TEST((klog::output_from_environment() == klog::output::text));
    ::unsetenv("JOURNAL_STREAM");
    BOOST_TEST((klog::output_from_environment() == klog::output::text));
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace log_tests
