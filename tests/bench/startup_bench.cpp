// start-up benchmark: the real kryptod binary started on a database holding
// 1,000,000 armed alerts, timed from exec to its READY=1 on a NOTIFY_SOCKET
// of the benchmark's own, as systemd would see it.
//
// The database is generated once per run of the benchmark, straight into
// SQLite in one transaction: 10,000 users with 100 armed alerts each, spread
// over every coin of the default coin list, targets drawn from each coin's
// price range, directions from the coin's last stored price, a share of
// repeat-every alerts that fired before, of alerts with an expiry, and of
// users with a webhook. The daemon is then started KRYPTOD_BENCH_RUNS times
// (default 5) against it, the feed pointed at a closed local port; every run
// is stopped with SIGTERM and must exit 0.
//
// Target: the median exec → READY=1 at most 1.5 s. Prints a markdown table
// with the machine, each run, the daemon's own account of where the time went
// (its log) and its peak memory; exits 1 when the target is missed, 2 when the
// benchmark itself cannot run. KRYPTOD_BENCH_DB=FILE generates the database
// at FILE, or reuses FILE when it exists, and keeps it (for profiling the
// daemon on it by hand).
#include "storage/database.hpp"
#include "tests/support/temp_dir.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <poll.h>
#include <random>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace kryptod;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr double ready_target_s = 1.5; // median, exec to READY=1
constexpr int users = 10000;
constexpr int alerts_per_user = 100;      // 1,000,000 armed alerts in all
constexpr std::int64_t units = 100000000; // core::price's fixed point, 1e-8

// The default coin list (feed.coins) with a plausible price range and the
// last price stored for each, in whole quote units.
struct coin_range {
    char const* symbol;
    double low, high, last;
};
constexpr std::array<coin_range, 5> coins{{
    {"BTCUSDT", 15000, 150000, 64000},
    {"ETHUSDT", 800, 8000, 3100},
    {"BNBUSDT", 150, 1200, 590},
    {"SOLUSDT", 8, 400, 145},
    {"XRPUSDT", 0.2, 5, 0.62},
}};

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

std::filesystem::path kryptod_binary() {
    char const* bin = std::getenv("KRYPTOD_BIN");
    if (bin == nullptr) throw std::runtime_error("KRYPTOD_BIN is not set (run through ctest)");
    return bin;
}

// Next to the build, not in a tmpfs: the daemon reads a real file.
struct bench_dir : test_support::temp_dir {
    bench_dir()
        : test_support::temp_dir("kryptod-bench", std::filesystem::current_path()) {}
};

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The database the daemon starts from; returns how long generating it took.
double generate(std::filesystem::path const& path) {
    auto const t0 = clock_type::now();
    auto db = storage::open_database(path);
    std::mt19937_64 rng(20261205);
    std::int64_t const now = wall_ms();
    SQLite::Transaction tx(db);
    {
        SQLite::Statement coin(db, "INSERT INTO coins (symbol, added_at) VALUES (?, ?)");
        SQLite::Statement feed(db, "INSERT INTO feed_state (symbol, last_trade_id, "
                                   "last_trade_time, last_price) VALUES (?, ?, ?, ?)");
        for (auto const& c : coins) {
            coin.bind(1, c.symbol);
            coin.bind(2, now - 86'400'000);
            coin.exec();
            coin.reset();
            feed.bind(1, c.symbol);
            feed.bind(2, static_cast<std::int64_t>(3'000'000'000));
            feed.bind(3, now - 60'000);
            feed.bind(4, static_cast<std::int64_t>(c.last * units));
            feed.exec();
            feed.reset();
        }
    }
    SQLite::Statement user(db, "INSERT INTO users (email, password_hash, verified, webhook_url, "
                               "webhook_secret, created_at, updated_at) "
                               "VALUES (?, ?, 1, ?, ?, ?, ?)");
    SQLite::Statement alert(
        db, "INSERT INTO alerts (user_id, symbol, target_price, direction, name, repeat, "
            "cooldown_seconds, expires_at, channels, created_at, updated_at, armed_at, "
            "triggered_at, trigger_price, trigger_count) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    std::uniform_real_distribution<double> unit(0, 1);
    std::int64_t const created = now - 30LL * 86'400'000;
    for (int u = 1; u <= users; ++u) {
        bool const webhook = u % 4 == 0;
        user.bind(1, "user" + std::to_string(u) + "@example.com");
        user.bind(2, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$"
                     "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g");
        if (webhook) {
            user.bind(3, "https://hooks.example.com/u/" + std::to_string(u));
            user.bind(4, "secret-" + std::to_string(u));
        } else {
            user.bind(3);
            user.bind(4);
        }
        user.bind(5, created);
        user.bind(6, created);
        user.exec();
        user.reset();
        std::int64_t const user_id = db.getLastInsertRowid();
        for (int i = 0; i < alerts_per_user; ++i) {
            auto const& c = coins[rng() % coins.size()];
            double const target = c.low + (c.high - c.low) * unit(rng);
            auto const target_units =
                std::max<std::int64_t>(1, static_cast<std::int64_t>(target * units));
            bool const every = rng() % 5 == 0;
            bool const fired_before = every && rng() % 2 == 0;
            std::int64_t const made = created + static_cast<std::int64_t>(rng() % 2'000'000'000);
            alert.bind(1, user_id);
            alert.bind(2, c.symbol);
            alert.bind(3, target_units);
            alert.bind(4, target >= c.last ? "above" : "below");
            if (rng() % 2 == 0)
                alert.bind(5, std::string(c.symbol) + " alert " + std::to_string(i));
            else
                alert.bind(5);
            alert.bind(6, every ? "every" : "once");
            constexpr std::array<int, 3> cooldowns{600, 3600, 86400};
            alert.bind(7, every ? cooldowns[rng() % cooldowns.size()] : 3600);
            if (rng() % 10 == 0)
                alert.bind(8, now + static_cast<std::int64_t>(1 + rng() % 90) * 86'400'000);
            else
                alert.bind(8);
            alert.bind(9, webhook ? 1 + static_cast<int>(rng() % 3) : 1);
            alert.bind(10, made);
            if (fired_before) {
                // Fired once and re-armed: updated_at equals the fire's time,
                // so start-up puts it back into the fire's cooldown.
                std::int64_t const fired = made + 60'000;
                alert.bind(11, fired);
                alert.bind(12, made);
                alert.bind(13, fired);
                alert.bind(14, target_units);
                alert.bind(15, 1);
            } else {
                alert.bind(11, made);
                alert.bind(12, made);
                alert.bind(13);
                alert.bind(14);
                alert.bind(15, 0);
            }
            alert.exec();
            alert.reset();
        }
    }
    tx.commit();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// A datagram socket playing the service manager's NOTIFY_SOCKET.
class notify_socket {
public:
    explicit notify_socket(std::filesystem::path path)
        : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (path_.string().size() >= sizeof addr.sun_path)
            throw std::runtime_error("socket path too long: " + path_.string());
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("cannot bind " + path_.string() + ": " + std::strerror(errno));
    }
    ~notify_socket() { ::close(fd_); }
    notify_socket(notify_socket const&) = delete;
    notify_socket& operator=(notify_socket const&) = delete;

    std::filesystem::path const& path() const { return path_; }

    // Waits for a message containing `needle`; the time it arrived, or
    // nothing once `deadline` passed.
    std::optional<clock_type::time_point> wait_for(std::string_view needle,
                                                   clock_type::time_point deadline) {
        for (;;) {
            auto const left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buf[4096];
            auto const n = ::recv(fd_, buf, sizeof buf, 0);
            auto const at = clock_type::now();
            if (n > 0 && std::string_view(buf, static_cast<std::size_t>(n)).find(needle) !=
                             std::string_view::npos)
                return at;
        }
    }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

std::string read_file(std::filesystem::path const& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The text after `key` up to the end of its line in `text`, or "".
std::string line_after(std::string const& text, std::string const& key) {
    auto const at = text.find(key);
    if (at == std::string::npos) return "";
    auto const end = text.find('\n', at);
    return text.substr(at + key.size(), end == std::string::npos ? end : end - at - key.size());
}

// VmHWM of a running process, in MiB; 0 when unknown.
double peak_mib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
    return 0;
}

// User plus system CPU time a running process has used, in seconds; shows
// how much of a wall-clock figure was the daemon's own work on a busy machine.
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    auto const close = stat.rfind(')'); // the command name may hold spaces
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) { // field 3 is the state
        if (i == 14) utime = std::atof(field.c_str());
        if (i == 15) {
            stime = std::atof(field.c_str());
            break;
        }
    }
    return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::optional<int> wait_exit(pid_t pid, std::chrono::seconds timeout) {
    auto const deadline = clock_type::now() + timeout;
    for (;;) {
        int st = 0;
        if (::waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (clock_type::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(5ms);
    }
}

struct run_figures {
    double ready_s = 0; // exec to READY=1, seen from outside
    std::string took;   // the daemon's "start-up took N ms"
    std::string loaded; // the daemon's "loaded ... in N ms"
    double cpu_s = 0;   // the daemon's CPU time at READY=1
    double peak_rss_mib = 0;
    bool stopped_cleanly = false;
};

run_figures start_once(std::filesystem::path const& dir, std::filesystem::path const& db,
                       notify_socket& notify, int run) {
    auto const bin = kryptod_binary();
    auto const log = dir / ("kryptod-" + std::to_string(run) + ".log");
    std::vector<std::string> args{bin.string(),
                                  "--http.listen=127.0.0.1:0",
                                  "--storage.path=" + db.string(),
                                  "--auth.secret_file=" + (dir / "auth.secret").string(),
                                  "--feed.url=ws://127.0.0.1:9/stream",
                                  "--feed.rest_url=http://127.0.0.1:9"};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string const notify_env = "NOTIFY_SOCKET=" + notify.path().string();

    auto const t0 = clock_type::now();
    pid_t const pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int const out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::unsetenv("JOURNAL_STREAM");
        ::unsetenv("WATCHDOG_USEC");
        ::unsetenv("WATCHDOG_PID");
        ::putenv(const_cast<char*>(notify_env.c_str()));
        ::execv(bin.c_str(), argv.data());
        ::_exit(127);
    }
    auto const ready = notify.wait_for("READY=1", clock_type::now() + 60s);
    run_figures f;
    if (ready) {
        f.ready_s = std::chrono::duration<double>(*ready - t0).count();
        f.cpu_s = cpu_seconds(pid);
        f.peak_rss_mib = peak_mib(pid);
    }
    ::kill(pid, SIGTERM);
    auto status = wait_exit(pid, 30s);
    if (!status) {
        ::kill(pid, SIGKILL);
        wait_exit(pid, 10s);
    }
    auto const text = read_file(log);
    if (!ready) throw std::runtime_error("no READY=1 within 60 s; the daemon's output:\n" + text);
    f.stopped_cleanly = status == std::optional<int>(0);
    f.took = line_after(text, "(start-up took ");
    if (auto const end = f.took.find(')'); end != std::string::npos) f.took.resize(end);
    f.loaded = line_after(text, "info: loaded ");
    return f;
}

} // namespace

int main() {
    try {
        int runs = 5;
        if (char const* env = std::getenv("KRYPTOD_BENCH_RUNS")) runs = std::atoi(env);
        if (runs <= 0) runs = 5;

        bench_dir dir;
        std::filesystem::path db = dir.path / "kryptod.db";
        if (char const* env = std::getenv("KRYPTOD_BENCH_DB"); env && *env)
            db = std::filesystem::absolute(env);
        double generate_s = 0;
        if (!std::filesystem::exists(db)) generate_s = generate(db);
        auto const db_mib = static_cast<double>(std::filesystem::file_size(db)) / (1 << 20);
        notify_socket notify(dir.path / "notify.sock");

        std::vector<run_figures> figures;
        for (int r = 0; r < runs; ++r)
            figures.push_back(start_once(dir.path, db, notify, r));

        std::vector<double> times;
        for (auto const& f : figures)
            times.push_back(f.ready_s);
        std::sort(times.begin(), times.end());
        double const median = times[times.size() / 2];
        bool const clean = std::all_of(figures.begin(), figures.end(),
                                       [](run_figures const& f) { return f.stopped_cleanly; });
        bool const ok = median <= ready_target_s && clean;

        std::printf("## start-up benchmark\n\n");
        std::printf("Machine: %s, %u cores\n\n", cpu_model().c_str(),
                    std::thread::hardware_concurrency());
        std::printf("Database: %d armed alerts of %d users over %zu coins, %.0f MiB, generated "
                    "in %.1f s (0: reused)\n\n",
                    users * alerts_per_user, users, coins.size(), db_mib, generate_s);
        std::printf("| run | exec to READY=1 | CPU used | daemon's own count | load | peak RSS | "
                    "clean stop |\n|---|---|---|---|---|---|---|\n");
        for (std::size_t r = 0; r < figures.size(); ++r) {
            auto const& f = figures[r];
            std::printf("| %zu | %.3f s | %.2f s | %s | %s | %.0f MiB | %s |\n", r + 1, f.ready_s,
                        f.cpu_s, f.took.c_str(), f.loaded.c_str(), f.peak_rss_mib,
                        f.stopped_cleanly ? "yes" : "NO");
        }
        std::printf("\n| measure | value | target | |\n|---|---|---|---|\n");
        std::printf("| exec to READY=1 with %d armed alerts, median of %d | %.3f s | <= %.1f s "
                    "| %s |\n",
                    users * alerts_per_user, runs, median, ready_target_s, ok ? "ok" : "MISSED");
        std::printf("| fastest / slowest | %.3f / %.3f s | | |\n", times.front(), times.back());
        return ok ? 0 : 1;
    } catch (std::exception const& e) {
        std::fprintf(stderr, "startup_bench: %s\n", e.what());
        return 2;
    }
}
