// notify_fixture: what the notify tests share: a migrated database with its
// writer, users and alerts made the way the API and the fire path make them,
// and the real local servers (tests/notify/smtp_server.py on Debian's
// aiosmtpd, tests/notify/webhook_server.py) run as child processes with
// what they received read back from their directories.
#pragma once

#include "core/alert.hpp"
#include "core/price.hpp"
#include "daemon/notify/notice.hpp"
#include "storage/alert_store.hpp"
#include "storage/database.hpp"
#include "storage/outbox_store.hpp"
#include "storage/user_store.hpp"
#include "storage/writer.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <netinet/in.h>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace kryptod::notify_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline core::millis wall_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

using test_support::make_temp_dir;
using test_support::temp_dir;

// Where this folder's Python helpers are: the source tree named by
// KRYPTOD_SOURCE_DIR, else next to this file.
inline fs::path helper_script(char const* name) {
    if (char const* src = std::getenv("KRYPTOD_SOURCE_DIR"); src != nullptr && *src != '\0') {
        fs::path p = fs::path(src) / "tests" / "notify" / name;
        if (fs::exists(p)) return p;
    }
    return fs::path(__FILE__).parent_path() / name;
}

// Waits until `done` holds, checking every 10 ms, for at most `limit`.
inline bool eventually(std::function<bool()> const& done,
                       std::chrono::milliseconds limit = 10000ms) {
    auto const until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return done();
}

// A child process running a Python helper that prints `READY <port>`.
class helper_process {
public:
    // The helper's stderr goes to `log` (its tracebacks stay out of the
    // test's output but are kept for a failure's post-mortem).
    helper_process(fs::path const& script, std::vector<std::string> args, fs::path const& log) {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            int const err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (err >= 0) ::dup2(err, STDERR_FILENO);
            ::close(out[0]);
            ::close(out[1]);
            std::vector<std::string> argv_s{"/usr/bin/python3", script.string()};
            argv_s.insert(argv_s.end(), args.begin(), args.end());
            std::vector<char*> argv;
            for (auto& a : argv_s)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        std::string line;
        char c = 0;
        while (::read(out[0], &c, 1) == 1 && c != '\n')
            line.push_back(c);
        ::close(out[0]);
        if (line.rfind("READY ", 0) != 0) {
            stop();
            throw std::runtime_error("helper " + script.string() + " did not start: " + line);
        }
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(6)));
    }
    ~helper_process() { stop(); }
    helper_process(helper_process const&) = delete;
    helper_process& operator=(helper_process const&) = delete;

    std::uint16_t port() const noexcept { return port_; }

    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

// One message as the SMTP server accepted it.
struct received_mail {
    std::string mail_from;
    std::vector<std::string> rcpt_tos;
    std::string data;
    std::map<std::string, std::vector<std::string>> headers; // name as sent
    std::string body;

    std::string header(std::string const& name) const {
        auto it = headers.find(name);
        return it == headers.end() || it->second.empty() ? std::string() : it->second.front();
    }
};

inline std::vector<boost::json::object> read_records(fs::path const& dir) {
    std::vector<fs::path> files;
    for (auto const& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<boost::json::object> out;
    for (auto const& f : files) {
        std::ifstream in(f);
        std::stringstream ss;
        ss << in.rdbuf();
        out.push_back(boost::json::parse(ss.str()).as_object());
    }
    return out;
}

inline received_mail parse_mail(boost::json::object const& o) {
    received_mail m;
    m.mail_from = std::string(o.at("mail_from").as_string());
    for (auto const& r : o.at("rcpt_tos").as_array())
        m.rcpt_tos.emplace_back(r.as_string());
    m.data = std::string(o.at("data").as_string());
    auto const split = m.data.find("\r\n\r\n");
    std::string const head = m.data.substr(0, split);
    m.body = split == std::string::npos ? std::string() : m.data.substr(split + 4);
    // Unfold, then split "Name: value" lines.
    std::vector<std::string> lines;
    std::size_t i = 0;
    while (i <= head.size()) {
        auto nl = head.find("\r\n", i);
        std::string line = head.substr(i, nl == std::string::npos ? std::string::npos : nl - i);
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !lines.empty())
            lines.back() += line;
        else
            lines.push_back(line);
        if (nl == std::string::npos) break;
        i = nl + 2;
    }
    for (auto const& l : lines) {
        auto colon = l.find(':');
        if (colon == std::string::npos) continue;
        std::string value = l.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        m.headers[l.substr(0, colon)].push_back(value);
    }
    return m;
}

// The SMTP server of tests/notify/smtp_server.py in its own directory.
class smtp_server {
public:
    explicit smtp_server(std::vector<std::string> extra = {}, std::uint16_t port = 0)
        : extra_(std::move(extra)) {
        start(port);
    }

    std::uint16_t port() const noexcept { return port_; }
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
    fs::path const& dir() const noexcept { return dir_.path; }

    // Stops the server (an outage); start() brings it back on the same port.
    void stop() { process_.reset(); }
    void start(std::uint16_t port) {
        std::vector<std::string> args{"--dir", dir_.path.string(), "--port", std::to_string(port)};
        args.insert(args.end(), extra_.begin(), extra_.end());
        process_ = std::make_unique<helper_process>(helper_script("smtp_server.py"), args,
                                                    dir_.path / "stderr.log");
        port_ = process_->port();
    }
    void restart() { start(port_); }

    // The next `count` messages (-1: all) end with `code` (451 or 550).
    void fail_next(int code, int count) {
        std::ofstream(dir_.path / "mode.tmp") << code << " " << count << "\n";
        fs::rename(dir_.path / "mode.tmp", dir_.path / "mode");
    }

    std::vector<received_mail> messages() const {
        std::vector<received_mail> out;
        for (auto const& o : read_records(dir_.path))
            out.push_back(parse_mail(o));
        return out;
    }

    // How many times the server saw `command` (CONNECT, EHLO, MAIL, RCPT, DATA).
    int count(std::string const& command) const {
        std::ifstream in(dir_.path / "commands.log");
        std::string line;
        int n = 0;
        while (std::getline(in, line))
            if (line == command) ++n;
        return n;
    }

private:
    temp_dir dir_{"kryptod-smtp"};
    std::vector<std::string> extra_;
    std::unique_ptr<helper_process> process_;
    std::uint16_t port_ = 0;
};

// The webhook receiver of tests/notify/webhook_server.py.
class webhook_server {
public:
    explicit webhook_server(std::string secret)
        : secret_(std::move(secret))
        , process_(helper_script("webhook_server.py"),
                   {"--dir", dir_.path.string(), "--secret", secret_}, dir_.path / "stderr.log") {}

    std::string url(std::string const& path = "/hook") const {
        return "http://127.0.0.1:" + std::to_string(process_.port()) + path;
    }

    // The next requests are answered with these statuses, in order.
    void answer(std::vector<int> const& statuses) {
        std::ofstream out(dir_.path / "statuses.tmp");
        for (int s : statuses)
            out << s << " ";
        out.close();
        fs::rename(dir_.path / "statuses.tmp", dir_.path / "statuses");
    }

    std::vector<boost::json::object> requests() const { return read_records(dir_.path); }

private:
    temp_dir dir_{"kryptod-hook"};
    std::string secret_;
    helper_process process_;
};

// A TCP server on 127.0.0.1 that accepts connections (the kernel completes
// the handshake) and never reads or answers a byte: the slowest webhook
// receiver a user can point kryptod at.
class tarpit {
public:
    tarpit() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
            ::listen(fd_, 128) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("cannot start the tarpit");
        port_ = ntohs(a.sin_port);
    }
    ~tarpit() { ::close(fd_); }
    tarpit(tarpit const&) = delete;
    tarpit& operator=(tarpit const&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// A migrated database, its writer (completions run on the writer thread),
// and helpers that write through it and wait.
struct database_fixture {
    temp_dir dir{"kryptod-notify-db"};
    fs::path path = dir.path / "kryptod.db";
    storage::writer writer{storage::open_database(path), [](std::function<void()> f) { f(); }};
    SQLite::Database reader = storage::open_reader(path);

    template <class T>
    T write(std::function<T(SQLite::Database&)> work) {
        std::promise<storage::result<T>> done;
        auto future = done.get_future();
        auto s = writer.submit<T>(std::move(work),
                                  [&done](storage::result<T> r) { done.set_value(std::move(r)); });
        if (!s) throw std::runtime_error("writer refused a job: " + s.err().message);
        auto r = future.get();
        if (!r) throw std::runtime_error("writer job failed: " + r.err().message);
        return std::move(r).value();
    }

    std::int64_t add_user(std::string const& email,
                          std::optional<std::string> webhook_url = std::nullopt,
                          std::optional<std::string> webhook_secret = std::nullopt) {
        return write<std::int64_t>([=](SQLite::Database& db) {
            storage::user_store::user_record u;
            u.email = email;
            u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
            u.webhook_url = webhook_url;
            u.webhook_secret = webhook_secret;
            u.created_at = u.updated_at = wall_now();
            return storage::user_store::create(db, u);
        });
    }

    // An active alert, armed a minute ago.
    core::alert add_alert(std::int64_t owner, std::string const& symbol, char const* target,
                          core::direction side, std::string name = {},
                          core::channel channels = core::channel::email) {
        core::alert a;
        a.owner = owner;
        a.target = core::price::parse(target).value;
        a.side = side;
        a.name = std::move(name);
        a.channels = channels;
        core::create(a, wall_now() - 60000);
        a.id = write<std::int64_t>(
            [=](SQLite::Database& db) { return storage::alert_store::insert(db, a, symbol); });
        return a;
    }

    // Fires `a` at `price` and commits its outbox rows as the fire path does;
    // returns the outbox ids.
    std::vector<std::int64_t> fire(core::alert a, std::string const& symbol, char const* price,
                                   bool backfilled = false) {
        core::millis const now = wall_now();
        core::fire(a, core::price::parse(price).value, now);
        auto const notice = daemon::notify::notice_of_fire(a, symbol, now - 5, backfilled);
        std::vector<storage::alert_store::notification> notes;
        for (auto ch : {core::channel::email, core::channel::webhook})
            if (core::has(a.channels, ch)) notes.push_back({ch, daemon::notify::encode(notice)});
        auto out = write<std::vector<std::int64_t>>([=](SQLite::Database& db) {
            auto r = storage::alert_store::record_fire(db, a, now - 5, backfilled, notes);
            if (!r) throw std::runtime_error("the alert is not active");
            return r->outbox_ids;
        });
        return out;
    }

    std::int64_t enqueue_account_email(std::int64_t user, daemon::notify::account_email const& e,
                                       std::string const& delivery_id) {
        return write<std::int64_t>([=](SQLite::Database& db) {
            storage::outbox_store::message m;
            m.delivery_id = delivery_id;
            m.channel = core::channel::email;
            m.user = user;
            m.payload = daemon::notify::encode(e);
            m.next_attempt_at = m.created_at = wall_now();
            return storage::outbox_store::enqueue(db, m);
        });
    }

    std::optional<storage::outbox_store::message> row(std::int64_t id) {
        return storage::outbox_store::get(reader, id);
    }

    std::vector<storage::alert_store::event_record> events(core::alert_id alert,
                                                           storage::alert_store::event_type type) {
        storage::page_request paging;
        paging.limit = 1000;
        auto page = storage::alert_store::list_events(reader, alert, paging);
        std::vector<storage::alert_store::event_record> out;
        for (auto it = page.items.rbegin(); it != page.items.rend(); ++it)
            if (it->type == type) out.push_back(*it);
        return out;
    }
};

} // namespace kryptod::notify_test
