// The real kryptod and aiosmtpd: the token of an account email reaches the
// user's inbox and works, but never the database files (the file and its
// -wal, searched byte for byte after delivery and after a clean stop), where
// only its hash is. An account email still queued when kryptod restarts
// cannot be sent (its token was in memory only): it fails with a reason, and
// the user asks for another, which arrives.
#include "tests/support/whole_daemon.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cctype>
#include <memory>

using namespace kryptod::test;
using namespace std::chrono_literals;

namespace {

constexpr char const* password = "correct horse battery";

std::string file_bytes(std::filesystem::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The first run of 64 lowercase hex digits in `text`, or "".
std::string token_in(std::string const& text) {
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool const hex = (text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f');
        run = hex ? run + 1 : 0;
        if (run == 64 &&
            (i + 1 == text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1]))))
            return text.substr(i - 63, 64);
    }
    return {};
}

struct outbox_row {
    std::string state;
    std::string last_error;
};

// The account emails in the outbox, oldest first.
std::vector<outbox_row> account_rows(std::filesystem::path const& db) {
    SQLite::Database reader(db.string(), SQLite::OPEN_READONLY);
    SQLite::Statement st(reader, "SELECT state, coalesce(last_error, '') FROM outbox "
                                 "WHERE alert_id IS NULL ORDER BY id");
    std::vector<outbox_row> out;
    while (st.executeStep())
        out.push_back({st.getColumn(0).getString(), st.getColumn(1).getString()});
    return out;
}

bool nowhere_on_disk(std::filesystem::path const& db, std::string const& token) {
    for (auto const* suffix : {"", "-wal", "-journal"}) {
        auto path = db;
        path += suffix;
        if (file_bytes(path).find(token) != std::string::npos) return false;
    }
    return true;
}

struct mail_daemon {
    temp_dir dir;
    std::filesystem::path mail_dir = dir.path / "mail";
    std::filesystem::path db = dir.path / "kryptod.db";
    unsigned short port = free_port();
    std::unique_ptr<piped_process> smtp;
    std::string smtp_port;

    mail_daemon() { std::filesystem::create_directories(mail_dir); }

    void start_smtp() {
        smtp = std::make_unique<piped_process>(std::vector<std::string>{
            "/usr/bin/python3", (source_dir() / "tests" / "notify" / "smtp_server.py").string(),
            "--dir", mail_dir.string()});
        auto const line = smtp->read_line(20s);
        BOOST_REQUIRE_MESSAGE(line && line->starts_with("READY "),
                              "SMTP server did not start (is python3-aiosmtpd installed?)");
        smtp_port = line->substr(6);
    }

    std::vector<std::string> args(std::string const& smtp_at) const {
        return {"--http.listen=127.0.0.1:" + std::to_string(port),
                "--storage.path=" + db.string(),
                "--auth.secret_file=" + (dir.path / "secret").string(),
                "--feed.url=ws://127.0.0.1:1/stream",
                "--feed.rest_url=http://127.0.0.1:1",
                "--smtp.url=smtp://127.0.0.1:" + smtp_at,
                "--smtp.tls=off",
                "--smtp.from=accounts@kryptod.test",
                "--notify.retry_base=1",
                "--notify.retry_max=1"};
    }

    static bhttp::response<bhttp::string_body> post(http_client& c, std::string const& target,
                                                    std::string const& body) {
        return c.call(bhttp::verb::post, target, body);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(account_tokens)

BOOST_FIXTURE_TEST_CASE(a_delivered_token_works_and_is_nowhere_in_the_database_files, mail_daemon) {
    start_smtp();
    std::string token;
    {
        notify_socket notify(dir.path / "notify.sock");
        daemon_process d(args(smtp_port), {"NOTIFY_SOCKET=" + notify.path.string()},
                         dir.path / "kryptod.log");
        BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 15s), d.output());
        http_client c(port);
        auto const reg =
            post(c, "/api/auth/register",
                 R"({"email":"dora@example.com","password":")" + std::string(password) + "\"}");
        BOOST_REQUIRE_MESSAGE(reg.result_int() == 201, reg.body());
        BOOST_REQUIRE_MESSAGE(eventually([&] { return records_in(mail_dir).size() == 1; }, 15s),
                              "no verification email: " << d.output());
        token = token_in(std::string(records_in(mail_dir)[0].at("data").as_string()));
        BOOST_REQUIRE_EQUAL(token.size(), 64u);
        BOOST_REQUIRE(eventually(
            [&] {
                auto const rows = account_rows(db);
                return rows.size() == 1 && rows[0].state == "delivered";
            },
            10s));
        BOOST_TEST(nowhere_on_disk(db, token));
        auto const ok = post(c, "/api/auth/verify-email", R"({"token":")" + token + "\"}");
        BOOST_TEST(ok.result_int() == 204, ok.body());
        d.signal(SIGTERM);
        BOOST_REQUIRE(d.wait(15s).value_or(-1) == 0);
    }
    BOOST_TEST(nowhere_on_disk(db, token)); // checkpointed into the file: still not there
}

BOOST_FIXTURE_TEST_CASE(an_email_queued_across_a_restart_fails_and_another_can_be_asked_for,
                        mail_daemon) {
    {
        // No mail server yet: the verification email stays queued.
        notify_socket notify(dir.path / "notify-1.sock");
        daemon_process d(args(std::to_string(free_port())),
                         {"NOTIFY_SOCKET=" + notify.path.string()}, dir.path / "kryptod-1.log");
        BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 15s), d.output());
        http_client c(port);
        auto const reg =
            post(c, "/api/auth/register",
                 R"({"email":"eve@example.com","password":")" + std::string(password) + "\"}");
        BOOST_REQUIRE_MESSAGE(reg.result_int() == 201, reg.body());
        d.signal(SIGTERM);
        BOOST_REQUIRE(d.wait(15s).value_or(-1) == 0);
    }
    auto const queued = account_rows(db);
    BOOST_REQUIRE_EQUAL(queued.size(), 1u);
    BOOST_TEST(queued[0].state == "pending");

    start_smtp();
    notify_socket notify(dir.path / "notify-2.sock");
    daemon_process d(args(smtp_port), {"NOTIFY_SOCKET=" + notify.path.string()},
                     dir.path / "kryptod-2.log");
    BOOST_REQUIRE_MESSAGE(notify.wait_for("READY=1", 15s), d.output());
    BOOST_REQUIRE_MESSAGE(eventually([&] { return account_rows(db)[0].state == "failed"; }, 20s),
                          d.output());
    BOOST_TEST(account_rows(db)[0].last_error.find("ask for a new email") != std::string::npos,
               account_rows(db)[0].last_error);
    BOOST_TEST(records_in(mail_dir).empty());

    http_client c(port);
    auto const asked = post(c, "/api/auth/password-reset", R"({"email":"eve@example.com"})");
    BOOST_TEST(asked.result_int() == 202);
    BOOST_REQUIRE_MESSAGE(eventually([&] { return records_in(mail_dir).size() == 1; }, 15s),
                          d.output());
    auto const token = token_in(std::string(records_in(mail_dir)[0].at("data").as_string()));
    BOOST_REQUIRE_EQUAL(token.size(), 64u);
    auto const done = post(c, "/api/auth/password-reset/confirm",
                           R"({"token":")" + token + R"(","password":"brand-new-pass"})");
    BOOST_TEST(done.result_int() == 204, done.body());
    BOOST_TEST(nowhere_on_disk(db, token));
}

BOOST_AUTO_TEST_SUITE_END()
