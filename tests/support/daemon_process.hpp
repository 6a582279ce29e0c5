// Test support: the real `kryptod` binary run as a user or a service manager
// would run it, with its own temp data directory, a free port, captured
// output and an sd_notify socket owned by the test.
#pragma once

#include "tests/support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <random>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace kryptod::test {

using test_support::make_temp_dir;
using test_support::temp_dir;

inline std::filesystem::path kryptod_binary() {
    char const* bin = std::getenv("KRYPTOD_BIN");
    BOOST_REQUIRE_MESSAGE(bin != nullptr, "KRYPTOD_BIN is not set (run the tests through ctest)");
    return bin;
}

inline std::filesystem::path source_dir() {
    char const* dir = std::getenv("KRYPTOD_SOURCE_DIR");
    return dir ? std::filesystem::path(dir) : std::filesystem::current_path();
}

// A TCP port on 127.0.0.1 that was free a moment ago.
inline unsigned short free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// Whether something accepts TCP connections on 127.0.0.1:port right now.
inline bool port_accepts(unsigned short port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// A datagram socket playing the service manager's NOTIFY_SOCKET.
struct notify_socket {
    std::filesystem::path path;
    int fd = -1;

    explicit notify_socket(std::filesystem::path p)
        : path(std::move(p)) {
        fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    ~notify_socket() { ::close(fd); }

    // The next message, or nothing within `timeout`.
    std::optional<std::string> receive(std::chrono::milliseconds timeout) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
        char buf[4096];
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

    // Waits for a message containing `needle`; returns it, or nothing.
    std::optional<std::string> wait_for(std::string const& needle,
                                        std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            auto msg = receive(left);
            if (msg && msg->find(needle) != std::string::npos) return msg;
        }
        return std::nullopt;
    }
};

// The kryptod binary running with the given arguments and extra environment.
// Its standard error goes to a file readable with output(). The destructor
// kills it if it still runs.
class daemon_process {
public:
    daemon_process(std::vector<std::string> args, std::vector<std::string> env,
                   std::filesystem::path log_file, bool watchdog_pid = false)
        : log_file_(std::move(log_file)) {
        auto const bin = kryptod_binary();
        pid_ = ::fork();
        BOOST_REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            int out = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(out, 1);
            ::dup2(out, 2);
            int devnull = ::open("/dev/null", O_RDONLY);
            ::dup2(devnull, 0);
            ::unsetenv("NOTIFY_SOCKET");
            ::unsetenv("JOURNAL_STREAM");
            ::unsetenv("WATCHDOG_USEC");
            ::unsetenv("WATCHDOG_PID");
            for (auto const& e : env)
                ::putenv(const_cast<char*>(e.c_str()));
            if (watchdog_pid) ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
            std::vector<char*> argv;
            argv.push_back(const_cast<char*>(bin.c_str()));
            for (auto const& a : args)
                argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            ::execv(bin.c_str(), argv.data());
            ::_exit(127);
        }
    }
    ~daemon_process() {
        if (running()) {
            ::kill(pid_, SIGKILL);
            wait(std::chrono::seconds(5));
        }
    }

    pid_t pid() const { return pid_; }
    bool running() { return !status_ && !try_reap(); }

    void signal(int sig) { ::kill(pid_, sig); }

    // Waits for the process to exit; its exit status, or nothing on timeout.
    // A death by signal is reported as 128 + the signal number.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!status_ && !try_reap()) {
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return status_;
    }

    std::string output() const {
        std::ifstream in(log_file_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    bool try_reap() {
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return true;
    }

    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    std::optional<int> status_;
};

} // namespace kryptod::test
