// Test support: the account and admin-user endpoints served in-process on
// 127.0.0.1 with a temporary database, a real storage::writer and a cheap
// argon2id cost, as the daemon wires them.
#pragma once

#include "daemon/api/accounts.hpp"
#include "daemon/api/user_add.hpp"
#include "daemon/api/users.hpp"
#include "daemon/notify/notice.hpp"
#include "daemon/options.hpp"
#include "http/listener.hpp"
#include "http_client.hpp"
#include "storage/database.hpp"
#include "storage/writer.hpp"
#include "tests/support/default_config.hpp"
#include "tests/support/temp_dir.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/asio.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace kryptod::test {

using test_support::make_temp_dir;
using test_support::temp_dir;

inline daemon::api::api_settings test_settings() {
    auto s = daemon::api_settings_from(default_config());
    s.cost = http::password_cost::minimal();
    s.rate_limit = 1000;
    s.worker_threads = 2;
    return s;
}

// An api_context as the service builds it: its alert page cache follows
// the writer's changes.
inline std::shared_ptr<daemon::api::api_context>
make_context(storage::writer& writer, std::filesystem::path const& db, std::string const& secret,
             daemon::api::api_settings settings = test_settings()) {
    auto pages = std::make_shared<daemon::api::alert_page_cache>();
    daemon::api::follow_alert_writes(writer, pages);
    return std::make_shared<daemon::api::api_context>(writer, db, secret, settings, pages);
}

struct account_server {
    std::filesystem::path dir = make_temp_dir("kryptod-api");
    std::filesystem::path db_path = dir / "kryptod.db";
    std::string secret = std::string(32, 'a') + std::string(32, 'b');
    boost::asio::io_context ioc;
    std::unique_ptr<storage::writer> writer;
    std::shared_ptr<daemon::api::api_context> services;
    std::shared_ptr<http::listener> server;
    std::thread thread;
    unsigned short port = 0;

    explicit account_server(daemon::api::api_settings settings = test_settings()) {
        writer = std::make_unique<storage::writer>(
            storage::open_database(db_path),
            [this](std::function<void()> f) { boost::asio::post(ioc, std::move(f)); });
        services = make_context(*writer, db_path, secret, settings);
        http::router r;
        daemon::api::add_account_routes(r, services);
        daemon::api::add_user_routes(r, services);
        server = std::make_shared<http::listener>(
            ioc, boost::asio::ip::tcp::endpoint{boost::asio::ip::make_address("127.0.0.1"), 0},
            kryptod::daemon::server_limits_from(kryptod::test::default_config()), std::move(r));
        port = server->local_endpoint().port();
        server->run();
        thread = std::thread([this] { ioc.run(); });
    }

    ~account_server() {
        boost::asio::post(ioc, [this] { server->stop(); });
        services->stop();
        writer->stop();
        ioc.stop();
        thread.join();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }

    http_client client() { return http_client(port); }

    // A client connecting from another loopback address, e.g. "127.0.0.2".
    http_client client_from(std::string const& address) { return http_client(port, address); }

    // Creates an account directly in the database, as `kryptod user add`.
    void add_user(std::string const& email, std::string const& password, bool admin) {
        daemon::config cfg;
        cfg.storage.path = db_path;
        std::istringstream in(password + "\n");
        auto outcome = daemon::api::user_add(cfg, email, admin, in, http::password_cost::minimal());
        if (outcome.exit_status != 0) throw std::runtime_error(outcome.message);
    }

    // The outbox's account emails to `to` as the sender reads them ({to,
    // subject, body}, the token put back from memory), oldest first.
    std::vector<boost::json::object> emails_to(std::string const& to) {
        auto db = storage::open_reader(db_path);
        SQLite::Statement st(db, "SELECT payload FROM outbox WHERE alert_id IS NULL ORDER BY id");
        std::vector<boost::json::object> out;
        while (st.executeStep()) {
            auto decoded = daemon::notify::decode(st.getColumn(0).getString());
            if (!decoded.value) throw std::runtime_error("bad account email: " + decoded.error);
            auto const& mail = std::get<daemon::notify::account_email>(*decoded.value);
            if (mail.to == to)
                out.push_back({{"to", mail.to}, {"subject", mail.subject}, {"body", mail.body}});
        }
        return out;
    }

    // The account emails to `to` once there are at least `n` (they are
    // queued after the answer for a password reset); polls for up to 10 s,
    // then returns what there is.
    std::vector<boost::json::object> await_emails_to(std::string const& to, std::size_t n) {
        auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        auto mails = emails_to(to);
        while (mails.size() < n && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            mails = emails_to(to);
        }
        return mails;
    }

    // The 64-hex token in the last account email to `to`.
    std::string token_in_last_email(std::string const& to) {
        auto mails = emails_to(to);
        if (mails.empty()) throw std::runtime_error("no email to " + to);
        auto body = std::string(mails.back().at("body").as_string());
        for (std::size_t i = 0; i + 64 <= body.size(); ++i) {
            auto candidate = body.substr(i, 64);
            if (candidate.find_first_not_of("0123456789abcdef") == std::string::npos)
                return candidate;
        }
        throw std::runtime_error("no token in the email to " + to);
    }
};

// Login through the API: {access, refresh}; throws when it does not answer 200.
struct token_pair {
    std::string access;
    std::string refresh;
};

inline token_pair login(http_client& c, std::string const& email, std::string const& password) {
    auto res = c.post("/api/auth/login", {{"email", email}, {"password", password}});
    if (res.result_int() != 200) throw std::runtime_error("login failed: " + res.body());
    auto body = json_of(res);
    return {text_of(body.at("access")), text_of(body.at("refresh"))};
}

} // namespace kryptod::test
