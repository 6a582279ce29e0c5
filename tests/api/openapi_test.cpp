// The OpenAPI document (daemon/api/openapi.json) against the daemon it
// describes: the router's routes and the document's operations are the same
// set; the document as served passes `redocly lint`; and the answers of a
// realistic session with the real kryptod binary (accounts, alerts fired by a
// trade on the feed, events, coins, prices, admin endpoints, and the error
// answers 400, 401, 403, 404, 409, 422) each have their status documented
// and validate against the documented schema (python3-jsonschema, draft
// 2020-12).
#include "account_server.hpp"
#include "daemon/api/alerts.hpp"
#include "daemon/api/market.hpp"
#include "daemon/api/openapi.hpp"
#include "daemon/api/telegram_link.hpp"
#include "daemon/live_alerts.hpp"
#include "daemon/options.hpp"
#include "daemon/stream/stream_route.hpp"
#include "storage/coin_store.hpp"
#include "storage/sample_store.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/default_config.hpp"
#include "tests/support/piped_process.hpp"
#include "tests/support/shell.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

using namespace kryptod;
using namespace kryptod::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

using operation = std::pair<http::verb, std::string>;

std::string describe(std::vector<std::string> const& lines) {
    std::string out;
    for (auto const& l : lines)
        out += "\n  " + l;
    return out;
}

void write_file(std::filesystem::path const& path, std::string const& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    BOOST_REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

std::filesystem::path test_server_binary() {
    char const* bin = std::getenv("KRYPTOD_TEST_SERVER");
    BOOST_REQUIRE_MESSAGE(bin != nullptr, "KRYPTOD_TEST_SERVER is not set (run through ctest)");
    return bin;
}

template <class F>
bool eventually(F&& ok, std::chrono::milliseconds timeout = 15s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ok()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return ok();
}

// The real daemon on a free port with its own database, fed by the Binance
// test server; an admin and a user exist before it starts, and BTCUSDT has
// stored price samples.
struct live_daemon {
    temp_dir dir;
    std::optional<piped_process> exchange;
    std::optional<daemon_process> process;
    unsigned short port = 0;

    live_daemon() {
        exchange.emplace(std::vector<std::string>{test_server_binary().string()});
        auto port_line = exchange->read_line(10s);
        BOOST_REQUIRE_MESSAGE(port_line && port_line->starts_with("PORT "),
                              "test server did not start");
        auto const feed_port = port_line->substr(5);
        auto const db = dir.path / "kryptod.db";
        {
            auto seeded = storage::open_database(db);
            storage::coin_store::add(seeded, "BTCUSDT", 1);
            auto const minute = daemon::wall_clock_now() / 60'000 * 60'000;
            for (int i = 1; i <= 3; ++i) {
                auto const p = core::price::parse(i == 2 ? "60010.5" : "60000").value;
                storage::sample_store::upsert(seeded, {"BTCUSDT", minute - i * 60'000, p, p, p, p});
            }
            // 24 hours ago, for change_24h.
            auto const base = core::price::parse("50000").value;
            storage::sample_store::upsert(
                seeded, {"BTCUSDT", minute - 86'400'000 - 60'000, base, base, base, base});
        }
        for (auto [email, admin] :
             {std::pair{"root@example.com", true}, std::pair{"alice@example.com", false}}) {
            daemon::config cfg;
            cfg.storage.path = db;
            std::istringstream in("correct horse battery\n");
            auto outcome =
                daemon::api::user_add(cfg, email, admin, in, http::password_cost::minimal());
            BOOST_REQUIRE_MESSAGE(outcome.exit_status == 0, outcome.message);
        }
        port = free_port();
        process.emplace(
            std::vector<std::string>{"--http.listen=127.0.0.1:" + std::to_string(port),
                                     "--storage.path=" + db.string(),
                                     "--auth.secret_file=" + (dir.path / "secret").string(),
                                     "--feed.url=ws://127.0.0.1:" + feed_port + "/stream",
                                     "--feed.rest_url=http://127.0.0.1:" + feed_port,
                                     "--feed.coins=BTCUSDT ETHUSDT", "--smtp.tls=off"},
            std::vector<std::string>{}, dir.path / "kryptod.log");
        BOOST_REQUIRE_MESSAGE(eventually([&] { return port_accepts(port) || !process->running(); }),
                              "kryptod did not start: " << process->output());
        BOOST_REQUIRE_MESSAGE(process->running(), "kryptod exited: " << process->output());
    }

    ~live_daemon() {
        if (process && process->running()) {
            process->signal(SIGTERM);
            process->wait(10s);
        }
    }

    std::string served_document() {
        http_client c(port);
        auto res = c.call(bhttp::verb::get, "/api/openapi.json");
        BOOST_REQUIRE_EQUAL(res.result_int(), 200);
        BOOST_REQUIRE_EQUAL(res[bhttp::field::content_type], "application/json");
        return res.body();
    }
};

// Every answer of a session, with the operation it came from.
struct recorder {
    http_client client;
    json::array exchanges;

    explicit recorder(unsigned short port)
        : client(port) {}

    // Sends `method target` and records the answer under `path_template`.
    http_response call(bhttp::verb method, std::string const& path_template,
                       std::string const& target, std::string body = {},
                       std::string const& authorization = {}) {
        auto res = client.call(method, target, std::move(body), authorization);
        exchanges.push_back(
            json::object{{"method", std::string(bhttp::to_string(method))},
                         {"path", path_template},
                         {"status", res.result_int()},
                         {"content_type", std::string(res[bhttp::field::content_type])},
                         {"body", res.body()}});
        return res;
    }
    // GET of a path without parameters.
    http_response get(std::string const& path, std::string const& authorization = {}) {
        return call(bhttp::verb::get, path, path, {}, authorization);
    }
    http_response send(bhttp::verb method, std::string const& path, json::value const& body,
                       std::string const& authorization = {}) {
        return call(method, path, path, json::serialize(body), authorization);
    }

    // Whether some answer came from `method path`.
    bool exercised(std::string_view method, std::string_view path) const {
        return std::any_of(exchanges.begin(), exchanges.end(), [&](json::value const& e) {
            return e.at("method").as_string() == method && e.at("path").as_string() == path;
        });
    }
};

std::string token_of(http_response const& res) {
    BOOST_REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return bearer(text_of(json_of(res).at("access")));
}

} // namespace

BOOST_AUTO_TEST_SUITE(openapi)

BOOST_AUTO_TEST_CASE(the_document_describes_exactly_the_routes) {
    // The routes as the daemon registers them. service.cpp adds /healthz,
    // /readyz and /metrics itself, with handlers bound to its own state, so
    // here they only hold their place; the live test below checks the
    // daemon's real router through its own start-up comparison.
    auto const dir = make_temp_dir();
    boost::asio::io_context ioc;
    storage::writer writer(storage::open_database(dir / "kryptod.db"),
                           [&](std::function<void()> f) { boost::asio::post(ioc, std::move(f)); });
    auto services = make_context(writer, dir / "kryptod.db", std::string(64, 'k'));
    daemon::live_alerts engine(ioc, writer,
                               daemon::live_alerts_options_from(kryptod::test::default_config()));
    http::router r;
    std::vector<operation> const operations_only = {
        {http::verb::get, "/healthz"}, {http::verb::get, "/readyz"}, {http::verb::get, "/metrics"}};
    for (auto const& [method, path] : operations_only)
        r.add(method, path, [](http::incoming in, http::responder respond) {
            respond(http::problem(http::status::service_unavailable, "not served in this test", {},
                                  in.req.version()));
        });
    daemon::api::add_account_routes(r, services);
    daemon::api::add_user_routes(r, services);
    daemon::api::add_alert_routes(r, services, engine,
                                  daemon::alert_api_settings_from(kryptod::test::default_config()));
    daemon::api::add_market_routes(r, services, engine, {});
    // Never started: the routes of a daemon without a bot.
    daemon::notify::poller_options bot_options;
    bot_options.database = dir / "kryptod.db";
    bot_options.long_poll = std::chrono::seconds(25);
    bot_options.retry_base = std::chrono::seconds(1);
    bot_options.retry_max = std::chrono::seconds(60);
    daemon::notify::telegram_poller bot(bot_options, writer);
    daemon::api::add_telegram_routes(r, services, bot);
    auto const streams = std::make_shared<daemon::stream::stream_hub>(
        ioc, daemon::hub_options_from(kryptod::test::default_config()), [](auto&) {},
        [](auto, auto) { return true; });
    daemon::stream::add_stream_route(r, services, engine, streams);
    daemon::api::add_openapi_route(r);

    auto const routes = r.routes();
    std::set<operation> const routed(routes.begin(), routes.end());
    BOOST_TEST(routed.size() == routes.size());
    auto const ops = daemon::api::openapi_operations();
    std::set<operation> const documented(ops.begin(), ops.end());
    BOOST_TEST(documented.size() == ops.size());
    BOOST_TEST(documented.count({http::verb::get, "/api/openapi.json"}) == 1u);
    auto const differences = daemon::api::openapi_differences(routes);
    BOOST_TEST(differences.empty(), "router and document differ:" << describe(differences));
    BOOST_TEST((routed == documented));

    // The comparison names what is missing on either side.
    auto fewer = routes;
    fewer.erase(std::remove(fewer.begin(), fewer.end(),
                            operation{http::verb::get, "/api/alerts/{id}/events"}),
                fewer.end());
    fewer.emplace_back(http::verb::put, "/api/alerts/{id}");
    auto const found = daemon::api::openapi_differences(fewer);
    BOOST_TEST_REQUIRE(found.size() == 2u, describe(found));
    BOOST_TEST(found[0] == "route PUT /api/alerts/{id} is not in the OpenAPI document");
    BOOST_TEST(found[1] == "the OpenAPI document describes GET /api/alerts/{id}/events, which no "
                           "route serves");

    services->stop();
    writer.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

BOOST_AUTO_TEST_CASE(the_served_document_passes_redocly_lint) {
    char const* redocly = std::getenv("KRYPTOD_REDOCLY");
    BOOST_REQUIRE_MESSAGE(redocly != nullptr && *redocly != '\0',
                          "KRYPTOD_REDOCLY is not set (run the tests through ctest)");
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists(redocly),
                          "@redocly/cli is not installed at "
                              << redocly << "; run `.ci/install-deps test` (or `make test-deps`)");
    live_daemon d;
    auto const document = d.served_document();
    BOOST_TEST(json::parse(document).as_object().at("openapi").as_string().starts_with("3.1"));
    auto const file = d.dir.path / "openapi.json";
    write_file(file, document);
    auto const [status, output] =
        run("REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 " +
            quoted(redocly) + " lint --format=summary --config " +
            quoted(source_dir() / "tests" / "api" / "redocly.yaml") + " " + quoted(file));
    BOOST_TEST(status == 0, "redocly lint failed:\n" << output);
    // The summary lists one line per rule that reported anything.
    BOOST_TEST(output.find("warning ") == std::string::npos, "redocly lint warned:\n" << output);
    BOOST_TEST(output.find("error ") == std::string::npos, "redocly lint erred:\n" << output);
}

BOOST_AUTO_TEST_CASE(the_answer_check_refuses_what_the_document_does_not_say) {
    auto const dir = make_temp_dir();
    auto const document = dir / "openapi.json";
    auto const exchanges = dir / "exchanges.json";
    write_file(document, json::serialize(daemon::api::openapi_document()));
    auto answer = [](char const* method, char const* path, int status, char const* type,
                     std::string body) {
        return json::object{{"method", method},
                            {"path", path},
                            {"status", status},
                            {"content_type", type},
                            {"body", body}};
    };
    write_file(exchanges,
               json::serialize(json::array{
                   answer("GET", "/healthz", 200, "application/json", R"({"status":"ok"})"),
                   answer("GET", "/api/alerts/{id}", 409, "application/problem+json",
                          R"({"type":"about:blank","title":"Conflict","status":409,"detail":"x"})"),
                   answer("GET", "/api/coins", 200, "application/json",
                          R"({"items":[{"symbol":"BTCUSDT","price":65000.5}]})"),
                   answer("DELETE", "/api/alerts/{id}", 204, "", "unexpected"),
                   answer("GET", "/api/nothing", 200, "application/json", "{}")}));
    auto const [status, output] =
        run("/usr/bin/python3 " + quoted(source_dir() / "tests" / "api" / "openapi_validate.py") +
            " " + quoted(document) + " " + quoted(exchanges));
    BOOST_TEST(status == 1, output);
    BOOST_TEST(output.find("GET /healthz") == std::string::npos, output);
    BOOST_TEST(output.find("GET /api/alerts/{id} -> 409: the status is not documented") !=
                   std::string::npos,
               output);
    BOOST_TEST(output.find("GET /api/coins -> 200: at $.items[0]") != std::string::npos, output);
    BOOST_TEST(output.find("DELETE /api/alerts/{id} -> 204: documented without a body") !=
                   std::string::npos,
               output);
    BOOST_TEST(output.find("GET /api/nothing -> 200: the path is not documented") !=
                   std::string::npos,
               output);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

BOOST_AUTO_TEST_CASE(live_answers_match_the_document) {
    live_daemon d;
    recorder r(d.port);
    using bhttp::verb;

    // Operations and public market data.
    BOOST_TEST(r.get("/healthz").result_int() == 200);
    BOOST_TEST(r.get("/metrics").result_int() == 200);
    BOOST_TEST(r.get("/api/openapi.json").result_int() == 200);
    BOOST_REQUIRE_MESSAGE(eventually([&] { return r.get("/readyz").result_int() == 200; }),
                          "the feed never came up: " << d.process->output());
    d.exchange->send("trade BTCUSDT 61000.25");
    BOOST_REQUIRE(eventually([&] {
        auto coins = json_of(r.get("/api/coins"));
        for (auto const& c : coins.at("items").as_array())
            if (c.at("symbol") == "BTCUSDT") return c.at("price").is_string();
        return false;
    }));
    BOOST_TEST(
        r.call(verb::get, "/api/prices", "/api/prices?symbol=btcusdt&limit=2").result_int() == 200);
    BOOST_TEST(r.call(verb::get, "/api/prices", "/api/prices?limit=0").result_int() == 422);

    // Accounts.
    json::object const bob = {{"email", "bob@example.com"}, {"password", "bob's long password"}};
    BOOST_TEST(r.send(verb::post, "/api/auth/register", bob).result_int() == 201);
    BOOST_TEST(r.send(verb::post, "/api/auth/register", bob).result_int() == 409);
    BOOST_TEST(r.send(verb::post, "/api/auth/register",
                      {{"email", "carol@example.com"}, {"password", "short"}})
                   .result_int() == 422);
    BOOST_TEST(
        r.call(verb::post, "/api/auth/register", "/api/auth/register", "{not json").result_int() ==
        400);
    BOOST_TEST(r.send(verb::post, "/api/auth/login",
                      {{"email", "bob@example.com"}, {"password", "wrong password"}})
                   .result_int() == 401);
    auto login = r.send(verb::post, "/api/auth/login", bob);
    auto const bob_token = token_of(login);
    auto const bob_refresh = text_of(json_of(login).at("refresh"));
    auto refreshed = r.send(verb::post, "/api/auth/refresh", {{"refresh", bob_refresh}});
    BOOST_TEST(refreshed.result_int() == 200);
    BOOST_TEST(r.send(verb::post, "/api/auth/refresh", {{"refresh", bob_refresh}}).result_int() ==
               401);
    BOOST_TEST(r.get("/api/auth/me", bob_token).result_int() == 200);
    BOOST_TEST(r.get("/api/auth/me").result_int() == 401);
    BOOST_TEST(r.send(verb::patch, "/api/auth/me", {{"webhook_url", "https://hooks.example.com/k"}},
                      bob_token)
                   .result_int() == 200);
    BOOST_TEST(
        r.send(verb::patch, "/api/auth/me", {{"webhook_url", nullptr}}, bob_token).result_int() ==
        200);
    BOOST_TEST(
        r.send(verb::patch, "/api/auth/me", {{"webhook_url", "ftp://x"}}, bob_token).result_int() ==
        422);
    // The live daemon runs without a Telegram bot.
    BOOST_TEST(r.call(verb::post, "/api/auth/me/telegram", "/api/auth/me/telegram", {}, bob_token)
                   .result_int() == 503);
    BOOST_TEST(
        r.call(verb::post, "/api/auth/me/telegram", "/api/auth/me/telegram", {}).result_int() ==
        401);
    BOOST_TEST(
        r.call(verb::delete_, "/api/auth/me/telegram", "/api/auth/me/telegram", {}, bob_token)
            .result_int() == 204);
    BOOST_TEST(r.send(verb::post, "/api/auth/verify-email", {{"token", std::string(64, 'a')}})
                   .result_int() == 422);
    BOOST_TEST(r.send(verb::post, "/api/auth/password-reset", {{"email", "bob@example.com"}})
                   .result_int() == 202);
    BOOST_TEST(r.send(verb::post, "/api/auth/password-reset/confirm",
                      {{"token", std::string(64, 'b')}, {"password", "a new long password"}})
                   .result_int() == 422);

    // Alerts.
    auto const alice =
        token_of(r.send(verb::post, "/api/auth/login",
                        {{"email", "alice@example.com"}, {"password", "correct horse battery"}}));
    // Channels must be set up before an alert names them (SPEC §10).
    BOOST_TEST(r.send(verb::patch, "/api/auth/me",
                      {{"webhook_url", "https://hooks.example.com/alice"},
                       {"discord_webhook_url", "https://discord.example/api/webhooks/1/x"},
                       {"ntfy_url", "https://ntfy.example/alice"},
                       {"ntfy_token", "tk_alice"}},
                      alice)
                   .result_int() == 200);
    BOOST_TEST(
        r.send(verb::patch, "/api/auth/me", {{"slack_webhook_url", "http://x.example/"}}, alice)
            .result_int() == 422);
    auto created =
        r.send(verb::post, "/api/alerts",
               {{"symbol", "btcusdt"}, {"target_price", "62000"}, {"name", "up"}}, alice);
    BOOST_REQUIRE_MESSAGE(created.result_int() == 201, created.body());
    auto const id = std::to_string(json_of(created).at("id").as_int64());
    auto compat = r.send(verb::post, "/api/alerts/create/",
                         {{"symbol", "BTCUSDT"},
                          {"price", 50000.5},
                          {"direction", "below"},
                          {"repeat", "every"},
                          {"cooldown_seconds", 120},
                          {"channels", json::array{"email", "webhook", "discord", "ntfy"}},
                          {"expires_at", "2099-01-01T00:00:00Z"}},
                         alice);
    BOOST_REQUIRE_MESSAGE(compat.result_int() == 201, compat.body());
    auto const compat_id = std::to_string(json_of(compat).at("id").as_int64());
    auto move = r.send(verb::post, "/api/alerts",
                       {{"symbol", "BTCUSDT"},
                        {"kind", "move"},
                        {"percent", "2.5"},
                        {"window_seconds", 900},
                        {"direction", "down"}},
                       alice);
    BOOST_REQUIRE_MESSAGE(move.result_int() == 201, move.body());
    BOOST_TEST(r.send(verb::post, "/api/alerts",
                      {{"symbol", "BTCUSDT"},
                       {"kind", "move"},
                       {"percent", "1000.01"},
                       {"window_seconds", 60},
                       {"direction", "up"}},
                      alice)
                   .result_int() == 422);
    BOOST_TEST(r.call(verb::get, "/api/alerts", "/api/alerts?kind=move", {}, alice).result_int() ==
               200);
    BOOST_TEST(
        r.send(verb::post, "/api/alerts", {{"symbol", "BTCUSDT"}, {"target_price", "-1"}}, alice)
            .result_int() == 422);
    BOOST_TEST(r.send(verb::post, "/api/alerts", {{"symbol", "BTCUSDT"}, {"target_price", "1"}})
                   .result_int() == 401);
    auto imported = r.send(
        verb::post, "/api/alerts/import",
        {{"items", json::array{json::object{
                       {"symbol", "BTCUSDT"}, {"target_price", "90000"}, {"direction", "above"}}}}},
        alice);
    BOOST_TEST(imported.result_int() == 201, imported.body());
    BOOST_TEST(r.send(verb::post, "/api/alerts/import",
                      {{"items", json::array{json::object{{"symbol", "BTCUSDT"}}}}}, alice)
                   .result_int() == 422);
    BOOST_TEST(
        r.call(verb::get, "/api/alerts/export", "/api/alerts/export", {}, alice).result_int() ==
        200);
    d.exchange->send("trade BTCUSDT 62000.5");
    BOOST_REQUIRE(eventually([&] {
        return json_of(r.call(verb::get, "/api/alerts/{id}", "/api/alerts/" + id, {}, alice))
                   .at("status") == "triggered";
    }));
    BOOST_TEST(
        r.call(verb::get, "/api/alerts/{id}/events", "/api/alerts/" + id + "/events", {}, alice)
            .result_int() == 200);
    BOOST_TEST(r.call(verb::get, "/api/alerts/{id}/events",
                      "/api/alerts/" + id + "/events?limit=5000", {}, alice)
                   .result_int() == 422);
    BOOST_TEST(r.call(verb::get, "/api/alerts", "/api/alerts?status=triggered&limit=5", {}, alice)
                   .result_int() == 200);
    BOOST_TEST(
        r.call(verb::get, "/api/alerts", "/api/alerts?status=sleeping", {}, alice).result_int() ==
        422);
    BOOST_TEST(r.call(verb::patch, "/api/alerts/{id}", "/api/alerts/" + id,
                      R"({"status": "active", "target_price": 63000})", alice)
                   .result_int() == 200);
    BOOST_TEST(
        r.call(verb::patch, "/api/alerts/{id}", "/api/alerts/" + id, R"({"owner": 2})", alice)
            .result_int() == 422);
    BOOST_TEST(
        r.call(verb::patch, "/api/alerts/{id}", "/api/alerts/" + id, "[1,", alice).result_int() ==
        400);
    BOOST_TEST(
        r.call(verb::get, "/api/alerts/{id}", "/api/alerts/" + id, {}, bob_token).result_int() ==
        404);
    BOOST_TEST(r.call(verb::delete_, "/api/alerts/delete/{id}/",
                      "/api/alerts/delete/" + compat_id + "/", {}, alice)
                   .result_int() == 204);
    BOOST_TEST(r.call(verb::delete_, "/api/alerts/{id}", "/api/alerts/" + compat_id, {}, alice)
                   .result_int() == 404);

    // Administration.
    auto const root =
        token_of(r.send(verb::post, "/api/auth/login",
                        {{"email", "root@example.com"}, {"password", "correct horse battery"}}));
    BOOST_TEST(
        r.call(verb::get, "/api/users", "/api/users?limit=2&offset=1", {}, root).result_int() ==
        200);
    BOOST_TEST(r.call(verb::get, "/api/users", "/api/users", {}, alice).result_int() == 403);
    BOOST_TEST(r.call(verb::get, "/api/users", "/api/users?page=2", {}, root).result_int() == 422);
    auto dave = r.send(
        verb::post, "/api/users",
        {{"email", "dave@example.com"}, {"password", "dave's password"}, {"role", "admin"}}, root);
    BOOST_REQUIRE_MESSAGE(dave.result_int() == 201, dave.body());
    auto const dave_id = std::to_string(json_of(dave).at("id").as_int64());
    BOOST_TEST(r.send(verb::post, "/api/users",
                      {{"email", "dave@example.com"}, {"password", "dave's password"}}, root)
                   .result_int() == 409);
    BOOST_TEST(r.call(verb::patch, "/api/users/{id}", "/api/users/" + dave_id,
                      R"({"role": "user", "disabled": true})", root)
                   .result_int() == 200);
    BOOST_TEST(
        r.call(verb::patch, "/api/users/{id}", "/api/users/99999", R"({"disabled": true})", root)
            .result_int() == 404);
    BOOST_TEST(r.send(verb::post, "/api/auth/login",
                      {{"email", "dave@example.com"}, {"password", "dave's password"}})
                   .result_int() == 403);
    BOOST_TEST(r.send(verb::post, "/api/coins", {{"symbol", "solusdt"}}, root).result_int() == 201);
    BOOST_TEST(r.send(verb::post, "/api/coins", {{"symbol", "sol-usdt"}}, root).result_int() ==
               422);
    BOOST_TEST(r.send(verb::post, "/api/coins", {{"symbol", "XRPUSDT"}}, alice).result_int() ==
               403);
    BOOST_TEST(
        r.call(verb::delete_, "/api/coins/{symbol}", "/api/coins/BTCUSDT", {}, root).result_int() ==
        409);
    BOOST_TEST(
        r.call(verb::delete_, "/api/coins/{symbol}", "/api/coins/SOLUSDT", {}, root).result_int() ==
        204);
    BOOST_TEST(
        r.call(verb::delete_, "/api/coins/{symbol}", "/api/coins/SOLUSDT", {}, root).result_int() ==
        404);

    // The live stream's refusals (a 200 stream never ends: the whole-daemon
    // stream tests read those).
    BOOST_TEST(r.get("/api/stream").result_int() == 401);
    BOOST_TEST(
        r.call(verb::get, "/api/stream", "/api/stream?symbols=NOPEUSDT", {}, alice).result_int() ==
        422);

    // Presenting the rotated token again revoked its family, successor
    // included: logging out with that successor is 401, a fresh session 204.
    auto const revoked = text_of(json_of(refreshed).at("refresh"));
    BOOST_TEST(r.send(verb::post, "/api/auth/logout", {{"refresh", revoked}}).result_int() == 401);
    auto const fresh = text_of(json_of(r.send(verb::post, "/api/auth/login", bob)).at("refresh"));
    BOOST_TEST(r.send(verb::post, "/api/auth/logout", {{"refresh", fresh}}).result_int() == 204);
    BOOST_TEST(
        r.call(verb::delete_, "/api/alerts/{id}", "/api/alerts/" + id, {}, alice).result_int() ==
        204);

    // Every recorded answer against the document the daemon serves.
    auto const document = d.dir.path / "openapi.json";
    auto const exchanges = d.dir.path / "exchanges.json";
    write_file(document, d.served_document());
    write_file(exchanges, json::serialize(r.exchanges));
    auto const [status, output] =
        run("/usr/bin/python3 " + quoted(source_dir() / "tests" / "api" / "openapi_validate.py") +
            " " + quoted(document) + " " + quoted(exchanges));
    BOOST_TEST(status == 0, "answers that do not match the document:\n" << output);
    BOOST_TEST_MESSAGE(output);
    // The session exercised every documented operation.
    for (auto const& [method, path] : daemon::api::openapi_operations())
        BOOST_TEST(r.exercised(std::string(bhttp::to_string(method)), path),
                   "the session never called " << bhttp::to_string(method) << " " << path);

    // The daemon compared its own router with the document at start-up.
    auto const log = d.process->output();
    BOOST_TEST(log.find("OpenAPI document") == std::string::npos, log);
}

BOOST_AUTO_TEST_SUITE_END()
