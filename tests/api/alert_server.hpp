// Test support: the alert and market API on a real listener on 127.0.0.1,
// with the alert engine on the server's io_context as in the daemon, three
// users (alice, bob, an admin) logged in, and coins with a little history.
#pragma once

#include "account_server.hpp"
#include "daemon/api/alert_transfer.hpp"
#include "daemon/api/alerts.hpp"
#include "daemon/api/market.hpp"
#include "daemon/live_alerts.hpp"
#include "daemon/log.hpp"
#include "daemon/options.hpp"
#include "storage/coin_store.hpp"
#include "storage/sample_store.hpp"
#include "tests/support/default_config.hpp"

#include <boost/test/unit_test.hpp>

#include <future>

namespace kryptod::test {

struct alert_server {
    std::filesystem::path dir = make_temp_dir();
    std::filesystem::path db_path = dir / "kryptod.db";
    boost::asio::io_context ioc;
    std::unique_ptr<storage::writer> writer;
    std::shared_ptr<daemon::api::api_context> services;
    std::unique_ptr<daemon::live_alerts> engine;
    std::shared_ptr<http::listener> server;
    std::thread thread;
    unsigned short port = 0;
    std::string alice, bob, admin; // access tokens

    explicit alert_server(std::size_t max_active = 1000) {
        daemon::log::set_level(daemon::log_level::warning);
        {
            auto db = storage::open_database(db_path);
            for (auto coin : {"BTCUSDT", "ETHUSDT", "SOLUSDT"})
                storage::coin_store::add(db, coin, 1);
            auto sample = [&](std::string sym, core::millis minute, char const* close) {
                auto p = core::price::parse(close).value;
                storage::sample_store::upsert(db, {sym, minute, p, p, p, p});
            };
            sample("BTCUSDT", 1'723'161'600'000, "60000");          // 2024-08-09T00:00
            sample("BTCUSDT", 1'723'161'660'000, "60010.5");        // 00:01
            sample("BTCUSDT", 1'723'161'600'000 - 60'000, "59990"); // 2024-08-08T23:59
        }
        for (auto [email, is_admin] :
             {std::pair{"alice@example.com", false}, std::pair{"bob@example.com", false},
              std::pair{"root@example.com", true}}) {
            daemon::config cfg;
            cfg.storage.path = db_path;
            std::istringstream in("correct horse battery\n");
            auto outcome =
                daemon::api::user_add(cfg, email, is_admin, in, http::password_cost::minimal());
            BOOST_REQUIRE_MESSAGE(outcome.exit_status == 0, outcome.message);
        }
        writer = std::make_unique<storage::writer>(
            storage::open_database(db_path),
            [this](std::function<void()> f) { boost::asio::post(ioc, std::move(f)); });
        services = make_context(*writer, db_path, std::string(64, 'k'));
        engine = std::make_unique<daemon::live_alerts>(
            ioc, *writer, daemon::live_alerts_options_from(kryptod::test::default_config()));
        {
            auto reader = storage::open_reader(db_path);
            engine->load(reader);
        }
        http::router r;
        daemon::api::add_account_routes(r, services);
        daemon::api::add_alert_routes(r, services, *engine, {max_active});
        daemon::api::add_market_routes(r, services, *engine, {});
        server = std::make_shared<http::listener>(
            ioc, boost::asio::ip::tcp::endpoint{boost::asio::ip::make_address("127.0.0.1"), 0},
            limits(), std::move(r));
        port = server->local_endpoint().port();
        server->run();
        thread = std::thread([this] { ioc.run(); });
        auto c = client();
        alice = bearer(login(c, "alice@example.com", "correct horse battery").access);
        bob = bearer(login(c, "bob@example.com", "correct horse battery").access);
        admin = bearer(login(c, "root@example.com", "correct horse battery").access);
    }
    ~alert_server() {
        boost::asio::post(ioc, [this] {
            server->stop();
            engine->stop();
        });
        services->stop();
        writer->stop();
        ioc.stop();
        thread.join();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    http_client client() { return http_client(port); }

    // The daemon's limits: the import route takes a larger body.
    static http::server_limits limits() {
        auto l = daemon::server_limits_from(kryptod::test::default_config());
        l.larger_bodies.emplace_back(daemon::api::import_path,
                                     daemon::api::import_body_limit(l.max_body));
        return l;
    }

    // A trade, as the feed delivers it, on the io_context thread.
    void tick(std::string const& symbol, char const* price) {
        std::promise<void> done;
        boost::asio::post(ioc, [&] {
            core::tick t;
            t.symbol = *engine->book().symbols().find(symbol);
            t.last = core::price::parse(price).value;
            t.exchange_time = daemon::wall_clock_now();
            engine->on_trade(t, std::chrono::steady_clock::now());
            done.set_value();
        });
        done.get_future().wait();
    }
};

} // namespace kryptod::test
