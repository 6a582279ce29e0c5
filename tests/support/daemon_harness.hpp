// The whole-daemon harness: the real `kryptod` binary
// (KRYPTOD_BIN) on its own database, fed by the binance_test_server process
// (KRYPTOD_TEST_SERVER) and driven through its HTTP API, and restartable on
// the same database (SIGTERM or SIGKILL) while the test server keeps its
// trade history. One user exists from the start; the API is called as them.
//
// Every wait is bounded; the destructors stop only the processes started
// here (kryptod, then the test server).
#pragma once

#include "tests/support/whole_daemon.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kryptod::test {

namespace json = boost::json;
using namespace std::chrono_literals;

struct daemon_harness {
    temp_dir dir;
    piped_process exchange{{test_server_binary().string()}};
    std::string feed_port;
    std::filesystem::path db = dir.path / "kryptod.db";
    unsigned short http_port = 0;
    std::unique_ptr<notify_socket> notify;
    std::unique_ptr<daemon_process> daemon;
    std::string token;
    std::string smtp_url; // smtp://host:port of a test mail server, if any
    int runs = 0;

    daemon_harness() {
        feed_port = exchange_port(exchange);
        add_user(db, "alice@example.com", "correct horse battery", dir.path / "add.log");
    }

    ~daemon_harness() { daemon.reset(); }

    // Starts kryptod (again) on the same database, with `extra` flags, and
    // waits until it is ready with its feed connected and the user is
    // logged in.
    void start(std::vector<std::string> const& extra = {}) {
        BOOST_REQUIRE(!daemon || !daemon->running());
        ++runs;
        http_port = free_port();
        notify.reset();
        notify = std::make_unique<notify_socket>(dir.path / ("notify-" + std::to_string(runs)));
        std::vector<std::string> args{
            "--http.listen=127.0.0.1:" + std::to_string(http_port), "--storage.path=" + db.string(),
            "--auth.secret_file=" + (dir.path / "secret").string(),
            "--feed.url=ws://127.0.0.1:" + feed_port + "/stream",
            "--feed.rest_url=http://127.0.0.1:" + feed_port, "--feed.coins=BTCUSDT",
            // No mail server unless a test brings one: nothing is sent.
            "--smtp.url=" +
                (smtp_url.empty() ? "smtp://127.0.0.1:" + std::to_string(free_port()) : smtp_url),
            "--smtp.tls=off", "--smtp.from=alerts@kryptod.test"};
        args.insert(args.end(), extra.begin(), extra.end());
        daemon = std::make_unique<daemon_process>(
            args, std::vector<std::string>{"NOTIFY_SOCKET=" + notify->path.string()},
            dir.path / ("kryptod-" + std::to_string(runs) + ".log"));
        BOOST_REQUIRE_MESSAGE(notify->wait_for("READY=1", 15s), daemon->output());
        BOOST_REQUIRE_MESSAGE(
            eventually([&] { return call(bhttp::verb::get, "/readyz").result_int() == 200; }),
            "the feed never came up: " << daemon->output());
        auto login = call(bhttp::verb::post, "/api/auth/login",
                          R"({"email":"alice@example.com","password":"correct horse battery"})");
        BOOST_REQUIRE_EQUAL(login.result_int(), 200);
        token = std::string(json::parse(login.body()).at("access").as_string());
    }

    // SIGTERM: must stop cleanly within 10 s (SPEC §7).
    void terminate() {
        daemon->signal(SIGTERM);
        auto const status = daemon->wait(10s);
        BOOST_REQUIRE_MESSAGE(status == std::optional<int>(0), daemon->output());
    }

    void kill() {
        daemon->signal(SIGKILL);
        BOOST_REQUIRE(daemon->wait(5s).has_value());
    }

    bhttp::response<bhttp::string_body> call(bhttp::verb method, std::string const& target,
                                             std::string body = {}) {
        http_client c(http_port);
        return c.call(method, target, std::move(body), token);
    }

    json::value get(std::string const& target) {
        auto res = call(bhttp::verb::get, target);
        BOOST_REQUIRE_MESSAGE(res.result_int() == 200, target << ": " << res.body());
        return json::parse(res.body());
    }

    std::int64_t create_alert(std::string const& body) {
        auto res = call(bhttp::verb::post, "/api/alerts", body);
        BOOST_REQUIRE_MESSAGE(res.result_int() == 201, res.body());
        return json::parse(res.body()).at("id").as_int64();
    }

    json::object alert(std::int64_t id) {
        return get("/api/alerts/" + std::to_string(id)).as_object();
    }

    // The alert's events of `type`, oldest first.
    std::vector<json::object> events(std::int64_t id, std::string_view type) {
        auto const page = get("/api/alerts/" + std::to_string(id) + "/events?limit=1000");
        std::vector<json::object> out;
        for (auto const& e : page.at("items").as_array())
            if (e.at("type").as_string() == type) out.insert(out.begin(), e.as_object());
        return out;
    }

    // A trade on the exchange (time: now); returns its aggregate id.
    std::int64_t trade(std::string const& price) {
        exchange.send("trade BTCUSDT " + price);
        auto const line = exchange.read_line(5s);
        BOOST_REQUIRE_MESSAGE(line && line->starts_with("ID "), "no trade id");
        return std::stoll(line->substr(3));
    }

    // Waits until the daemon's last BTCUSDT price is `price`: every trade
    // before it has been evaluated too.
    bool sees_price(std::string const& price) {
        return eventually([&] {
            auto const coins = get("/api/coins");
            for (auto const& c : coins.at("items").as_array())
                if (c.at("symbol").as_string() == "BTCUSDT")
                    return c.at("price").is_string() && c.at("price").as_string() == price;
            return false;
        });
    }

    // The targets of every REST request the test server has received.
    std::vector<std::string> rest_requests() {
        exchange.send("requests");
        auto const head = exchange.read_line(5s);
        BOOST_REQUIRE_MESSAGE(head && head->starts_with("REQUESTS "), "no request log");
        std::vector<std::string> out(std::stoul(head->substr(9)));
        for (auto& t : out) {
            auto const line = exchange.read_line(5s);
            BOOST_REQUIRE(line.has_value());
            t = *line;
        }
        return out;
    }

    // A value of the daemon's /metrics, summed over its labels.
    double metric(std::string const& name) {
        auto const text = call(bhttp::verb::get, "/metrics").body();
        double sum = 0;
        std::size_t at = 0;
        while ((at = text.find(name, at)) != std::string::npos) {
            bool const line_start = at == 0 || text[at - 1] == '\n';
            auto const end = text.find('\n', at);
            auto const line = text.substr(at, end - at);
            at = end;
            if (!line_start) continue;
            auto const rest = line.substr(name.size());
            if (rest.empty() || (rest[0] != ' ' && rest[0] != '{')) continue;
            sum += std::stod(line.substr(line.rfind(' ') + 1));
            if (end == std::string::npos) break;
        }
        return sum;
    }
};

} // namespace kryptod::test
