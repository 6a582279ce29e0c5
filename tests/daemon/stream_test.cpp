// Whole-daemon tests of the live stream, GET /api/stream (SPEC §9): the
// real kryptod fed by the test exchange, read by plain-socket SSE clients.
// A user's stream shows their own alert events (a trade firing their alert
// included) and nobody else's; a client resuming with Last-Event-ID in the
// middle of a burst gets every event exactly once, in order; a client that
// never reads is cut off while other streams and the API carry on; the
// stream limits answer 429 and 503; SIGTERM ends streams; prices come at
// most once a second per coin, the last price of the second.
#include "tests/support/daemon_harness.hpp"
#include "tests/support/sse_client.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

using namespace kryptod::test;

namespace {

// A second user, registered and logged in; returns their access token.
std::string second_user(daemon_harness& h, std::string const& email) {
    http_client c(h.http_port);
    auto const body = R"({"email":")" + email + R"(","password":"correct horse battery"})";
    BOOST_REQUIRE_EQUAL(c.call(bhttp::verb::post, "/api/auth/register", body).result_int(), 201);
    http_client l(h.http_port);
    auto const login = l.call(bhttp::verb::post, "/api/auth/login", body);
    BOOST_REQUIRE_EQUAL(login.result_int(), 200);
    return std::string(json::parse(login.body()).at("access").as_string());
}

std::int64_t create_alert_as(daemon_harness& h, std::string const& token, std::string const& body) {
    http_client c(h.http_port);
    auto const res = c.call(bhttp::verb::post, "/api/alerts", body, token);
    BOOST_REQUIRE_MESSAGE(res.result_int() == 201, res.body());
    return json::parse(res.body()).at("id").as_int64();
}

// Creates an alert from a thread of its own (no Boost.Test assertion
// there): its id, or 0 when the API refused it.
std::int64_t post_alert(unsigned short port, std::string const& token, std::string const& body) {
    try {
        http_client c(port);
        auto const res = c.call(bhttp::verb::post, "/api/alerts", body, token);
        if (res.result_int() != 201) return 0;
        return json::parse(res.body()).at("id").as_int64();
    } catch (std::exception const&) {
        return 0;
    }
}

// `count` alerts created by four threads at once; their ids (0: refused).
std::vector<std::int64_t> create_many(unsigned short port, std::string const& token, int count,
                                      std::string const& name) {
    std::vector<std::int64_t> ids(static_cast<std::size_t>(count));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = t; i < count; i += 4)
                ids[static_cast<std::size_t>(i)] = post_alert(
                    port, token,
                    R"({"symbol":"BTCUSDT","target_price":")" + std::to_string(60000 + i) +
                        R"(","direction":"above","name":")" + name + "\"}");
        });
    for (auto& t : threads)
        t.join();
    return ids;
}

json::object data_of(sse_event const& e) {
    return json::parse(e.data).as_object();
}

} // namespace

BOOST_AUTO_TEST_SUITE(stream)

BOOST_AUTO_TEST_CASE(a_stream_shows_its_own_alert_firing_and_never_another_users) {
    daemon_harness h;
    h.start();
    h.trade("50000");
    BOOST_REQUIRE(h.sees_price("50000"));
    auto const bob = second_user(h, "bob@example.com");

    sse_client mine(h.http_port, h.token, "/api/stream?symbols=BTCUSDT");
    sse_client theirs(h.http_port, bob, "/api/stream");
    BOOST_REQUIRE_EQUAL(mine.status(), 200);
    BOOST_REQUIRE_EQUAL(theirs.status(), 200);
    BOOST_TEST(mine.head().find("Content-Type: text/event-stream") != std::string::npos);

    auto const id = h.create_alert(
        R"({"symbol":"BTCUSDT","target_price":"51000","direction":"above","name":"mine"})");
    auto created = mine.next_of("alert");
    BOOST_REQUIRE(created.has_value());
    auto const first = data_of(*created);
    BOOST_TEST(first.at("alert").at("id").as_int64() == id);
    BOOST_TEST(first.at("event").at("type").as_string() == "created");
    BOOST_TEST(*created->id == first.at("event").at("id").as_int64());

    h.trade("51500");
    auto fired = mine.next_of("alert");
    BOOST_REQUIRE(fired.has_value());
    auto const fire = data_of(*fired);
    BOOST_TEST(fire.at("event").at("type").as_string() == "triggered");
    BOOST_TEST(fire.at("event").at("price").as_string() == "51500");
    BOOST_TEST(fire.at("alert").at("status").as_string() == "triggered");
    BOOST_TEST(fire.at("alert").at("id").as_int64() == id);
    BOOST_TEST(*fired->id > *created->id);

    // Bob's stream: the first alert event it shows is his own alert's.
    auto const his = create_alert_as(
        h, bob, R"({"symbol":"BTCUSDT","target_price":"90000","direction":"above"})");
    auto seen = theirs.next_of("alert");
    BOOST_REQUIRE(seen.has_value());
    BOOST_TEST(data_of(*seen).at("alert").at("id").as_int64() == his);
}

BOOST_AUTO_TEST_CASE(resuming_with_last_event_id_mid_burst_gets_every_event_once_in_order) {
    daemon_harness h;
    h.start({"--alerts.max_active_per_user=5000"});
    h.trade("50000");
    BOOST_REQUIRE(h.sees_price("50000"));
    constexpr int burst = 1000;

    sse_client first(h.http_port, h.token, "/api/stream?symbols=BTCUSDT");
    BOOST_REQUIRE_EQUAL(first.status(), 200);
    std::vector<std::int64_t> created;
    std::thread writer([&] { created = create_many(h.http_port, h.token, burst, "burst"); });
    std::vector<std::int64_t> ids;
    std::vector<std::int64_t> alerts;
    while (ids.size() < burst / 3) {
        auto e = first.next_of("alert");
        BOOST_REQUIRE(e.has_value());
        ids.push_back(*e->id);
        alerts.push_back(data_of(*e).at("alert").at("id").as_int64());
    }
    first.close();
    sse_client second(h.http_port, h.token, "/api/stream?symbols=BTCUSDT",
                      {"Last-Event-ID: " + std::to_string(ids.back())});
    BOOST_REQUIRE_EQUAL(second.status(), 200);
    while (ids.size() < burst) {
        auto e = second.next_of("alert", 20s);
        BOOST_REQUIRE_MESSAGE(e.has_value(), "only " << ids.size() << " events came");
        ids.push_back(*e->id);
        alerts.push_back(data_of(*e).at("alert").at("id").as_int64());
    }
    writer.join();
    BOOST_TEST(std::count(created.begin(), created.end(), 0) == 0);
    for (std::size_t i = 1; i < ids.size(); ++i)
        BOOST_REQUIRE_MESSAGE(ids[i] > ids[i - 1], "event " << ids[i] << " after " << ids[i - 1]);
    BOOST_TEST(std::set<std::int64_t>(alerts.begin(), alerts.end()) ==
               std::set<std::int64_t>(created.begin(), created.end()));
    // Nothing more: no event came twice.
    BOOST_TEST(!second.next_of("alert", 500ms).has_value());
}

BOOST_AUTO_TEST_CASE(a_client_that_never_reads_is_cut_off_while_the_others_carry_on) {
    daemon_harness h;
    h.start({"--alerts.max_active_per_user=5000", "--stream.max_per_user=200"});
    auto const bob = second_user(h, "bob@example.com");
    // Bob's stalled stream: a tiny receive window, never read.
    sse_client stalled(h.http_port, bob, "/api/stream", {}, 4096);
    sse_client reading(h.http_port, bob, "/api/stream");
    BOOST_REQUIRE_EQUAL(reading.status(), 200);
    std::vector<std::unique_ptr<sse_client>> others;
    for (int i = 0; i < 100; ++i) {
        others.push_back(std::make_unique<sse_client>(h.http_port, h.token, "/api/stream"));
        BOOST_REQUIRE_EQUAL(others.back()->status(), 200);
    }
    // About 1.7 MiB of Bob's alert events: past the 1 MiB bound.
    constexpr int count = 2000;
    std::vector<std::int64_t> created;
    std::thread burst(
        [&] { created = create_many(h.http_port, bob, count, std::string(200, 'x')); });
    int got = 0;
    while (got < count) {
        auto e = reading.next_of("alert", 20s);
        BOOST_REQUIRE_MESSAGE(e.has_value(), "the reading stream got only " << got);
        ++got;
    }
    burst.join();
    BOOST_TEST(std::count(created.begin(), created.end(), 0) == 0);
    BOOST_TEST(eventually([&] { return h.metric("kryptod_stream_slow_cutoffs_total") == 1; }));
    // The stalled client's connection was closed: draining it ends in EOF.
    BOOST_TEST(eventually([&] {
        while (stalled.poll_read()) {
        }
        return stalled.ended();
    }));
    // The API answers, and every other stream still gets its user's events.
    BOOST_TEST(h.call(bhttp::verb::get, "/healthz").result_int() == 200);
    auto const id =
        h.create_alert(R"({"symbol":"BTCUSDT","target_price":"1","direction":"below"})");
    for (auto& o : others) {
        auto e = o->next_of("alert");
        BOOST_REQUIRE(e.has_value());
        BOOST_TEST(data_of(*e).at("alert").at("id").as_int64() == id);
    }
    BOOST_TEST(h.metric("kryptod_streams_open") == 101);
}

BOOST_AUTO_TEST_CASE(past_the_limits_streams_are_refused_with_429_and_503) {
    daemon_harness h;
    h.start({"--stream.max_per_user=2", "--stream.max_clients=3"});
    auto const bob = second_user(h, "bob@example.com");
    sse_client a1(h.http_port, h.token, "/api/stream");
    sse_client a2(h.http_port, h.token, "/api/stream");
    BOOST_REQUIRE_EQUAL(a1.status(), 200);
    BOOST_REQUIRE_EQUAL(a2.status(), 200);
    sse_client a3(h.http_port, h.token, "/api/stream");
    BOOST_TEST(a3.status() == 429);
    sse_client b1(h.http_port, bob, "/api/stream");
    BOOST_REQUIRE_EQUAL(b1.status(), 200);
    sse_client b2(h.http_port, bob, "/api/stream");
    BOOST_TEST(b2.status() == 503);
    // A stream that ends frees its place.
    a1.close();
    BOOST_TEST(eventually([&] {
        sse_client again(h.http_port, h.token, "/api/stream");
        return again.status() == 200;
    }));
    // Bad requests are refused naming the field, unauthenticated ones 401.
    sse_client unknown(h.http_port, h.token, "/api/stream?symbols=NOPEUSDT");
    BOOST_TEST(unknown.status() == 422);
    sse_client stray(h.http_port, h.token, "/api/stream?limit=5");
    BOOST_TEST(stray.status() == 422);
    sse_client bad_id(h.http_port, h.token, "/api/stream", {"Last-Event-ID: soon"});
    BOOST_TEST(bad_id.status() == 422);
    sse_client anonymous(h.http_port, "", "/api/stream");
    BOOST_TEST(anonymous.status() == 401);
}

BOOST_AUTO_TEST_CASE(sigterm_ends_open_streams) {
    daemon_harness h;
    h.start();
    sse_client s(h.http_port, h.token, "/api/stream");
    BOOST_REQUIRE_EQUAL(s.status(), 200);
    h.terminate();
    BOOST_TEST(eventually([&] {
        while (s.poll_read()) {
        }
        return s.ended();
    }));
}

BOOST_AUTO_TEST_CASE(prices_come_at_most_once_a_second_per_coin_with_the_seconds_last_price) {
    daemon_harness h;
    h.start();
    h.trade("100");
    BOOST_REQUIRE(h.sees_price("100"));
    sse_client s(h.http_port, h.token, "/api/stream?symbols=BTCUSDT");
    BOOST_REQUIRE_EQUAL(s.status(), 200);
    auto const started = std::chrono::steady_clock::now();
    // 40 trades, about 3 s in all.
    std::string last;
    for (int i = 1; i <= 40; ++i) {
        last = std::to_string(100 + i);
        h.trade(last);
        std::this_thread::sleep_for(75ms);
    }
    BOOST_REQUIRE(h.sees_price(last));
    // The frame of the trades' last second carries the last price.
    std::vector<std::string> prices;
    for (;;) {
        auto e = s.next_of("price", 3s);
        if (!e) break;
        auto const d = data_of(*e);
        BOOST_TEST(d.at("symbol").as_string() == "BTCUSDT");
        prices.emplace_back(d.at("price").as_string());
        if (prices.back() == last) break;
    }
    auto const seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count();
    BOOST_REQUIRE(!prices.empty());
    BOOST_TEST(prices.back() == last);
    BOOST_TEST(prices.size() <= static_cast<std::size_t>(seconds + 2));
    BOOST_TEST(prices.size() < 40u);
    // An unchanged price is not sent again.
    BOOST_TEST(!s.next_of("price", 2500ms).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
