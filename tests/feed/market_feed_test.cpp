// Tests of daemon/feed/market_feed against binance_test_server on loopback:
// subscriptions follow the coin list at run time, pings are answered, a
// stalled or unreachable exchange is retried with backoff, a connection that
// worked is retried at once however often it is cut, within the exchange's
// connection-rate limit, and hostile frames never stop the feed.
#include "daemon/feed/market_feed.hpp"
#include "feed_fixture.hpp"
#include "printing.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using kryptod::test::feed_fixture;
namespace core = kryptod::core;

namespace {

std::set<std::string> streams(std::initializer_list<char const*> names) {
    std::set<std::string> out;
    for (auto n : names)
        out.insert(n);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(market_feed)

BOOST_FIXTURE_TEST_CASE(subscribes_the_coin_list_and_delivers_trades_in_order, feed_fixture) {
    start({"BTCUSDT", "ethusdt"});
    BOOST_REQUIRE(run_until([&] { return up(); }));
    BOOST_TEST((server->subscriptions() == streams({"btcusdt@aggTrade", "ethusdt@aggTrade"})));
    auto const t0 = kryptod::test::wall_ms();
    server->trade("BTCUSDT", "65000.10000000", t0);
    server->trade("ETHUSDT", "3000.5", t0 + 1);
    server->trade("BTCUSDT", "65000.2", t0 + 2);
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 3; }));
    BOOST_TEST(sink.trades[0].symbol == btc);
    BOOST_TEST(sink.trades[0].price == core::price::parse("65000.1").value);
    BOOST_TEST(sink.trades[1].symbol == eth);
    BOOST_TEST(sink.trades[2].id == sink.trades[0].id + 1);
    for (auto const& t : sink.trades)
        BOOST_TEST(!t.backfilled);
    BOOST_TEST(feed->metrics().trades == 3u);
    BOOST_TEST(feed->status().streams == 2u);
}

BOOST_FIXTURE_TEST_CASE(coins_change_at_run_time_without_reconnect_within_rate_limit,
                        feed_fixture) {
    std::vector<std::string> extra;
    for (int i = 0; i < 9; ++i) {
        extra.push_back("COIN" + std::to_string(i) + "USDT");
        book.symbols().intern(extra.back());
    }
    start({"BTCUSDT", "ETHUSDT"});
    BOOST_REQUIRE(run_until([&] { return up(); }));
    // Ten requests in a burst: Binance (and the test server) close a
    // connection that sends more than 5 messages a second.
    for (auto const& c : extra)
        BOOST_TEST(feed->add_coin(c));
    BOOST_TEST(feed->remove_coin("ETHUSDT"));
    BOOST_TEST(!feed->remove_coin("ETHUSDT"));
    BOOST_TEST(!feed->add_coin("NOTINTERNED"));
    BOOST_REQUIRE(run_until(
        [&] {
            auto const subs = server->subscriptions();
            return subs.count("coin8usdt@aggTrade") == 1 && subs.count("ethusdt@aggTrade") == 0;
        },
        6000ms));
    BOOST_TEST(server->subscriptions().size() == 10u);
    BOOST_TEST(server->subscriptions().count("coin8usdt@aggTrade") == 1u);
    BOOST_TEST(server->subscriptions().count("ethusdt@aggTrade") == 0u);
    BOOST_TEST(server->rate_violations() == 0u);
    BOOST_TEST(server->accepted() == 1u); // no reconnect
    BOOST_TEST(feed->metrics().reconnects == 0u);
    // An unsubscribed coin delivers nothing, a new one delivers at once.
    server->trade("ETHUSDT", "3000", kryptod::test::wall_ms());
    server->trade("COIN8USDT", "1.5", kryptod::test::wall_ms());
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 1; }));
    BOOST_TEST(sink.trades[0].symbol == *book.symbols().find("COIN8USDT"));
}

BOOST_AUTO_TEST_CASE(server_pings_are_answered) {
    kryptod::test::binance_test_server::options o;
    o.ping_interval = 100ms;
    o.pong_timeout = 300ms;
    feed_fixture f(o);
    f.options.stale_after = 5000ms; // only the server pings here
    f.start({"BTCUSDT"});
    BOOST_REQUIRE(f.run_until([&] { return f.up(); }));
    f.run_for(1200ms);
    BOOST_TEST(f.server->pongs() >= 5u);
    BOOST_TEST(f.server->ping_drops() == 0u);
    BOOST_TEST(f.server->accepted() == 1u);
    BOOST_TEST(f.up());
}

BOOST_FIXTURE_TEST_CASE(a_quiet_healthy_feed_is_not_taken_for_dead, feed_fixture) {
    start({"BTCUSDT"});
    BOOST_REQUIRE(run_until([&] { return up(); }));
    run_for(3 * options.stale_after); // no trades at all; the feed's own pings keep it alive
    BOOST_TEST(feed->metrics().reconnects == 0u);
    BOOST_TEST(server->accepted() == 1u);
    BOOST_TEST(server->pongs() == 0u); // server pings off: these are the feed's pings answered
    BOOST_TEST(up());
}

BOOST_FIXTURE_TEST_CASE(a_stalled_feed_is_reconnected_within_stale_after_plus_one_step,
                        feed_fixture) {
    start({"BTCUSDT"});
    BOOST_REQUIRE(run_until([&] { return up(); }));
    auto const stalled_at = std::chrono::steady_clock::now();
    server->stall();
    BOOST_REQUIRE(run_until([&] { return server->accepted() == 2 && up(); }, 5000ms));
    auto const took = std::chrono::steady_clock::now() - stalled_at;
    // stale_after, plus at most one backoff step, plus handshake slack.
    BOOST_TEST(took <= options.stale_after + options.backoff_initial + 400ms);
    BOOST_TEST(took >= options.stale_after / 2);
    BOOST_TEST(feed->metrics().reconnects == 1u);
    BOOST_TEST(feed->status().last_error.find("stale") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(an_unreachable_exchange_is_retried_with_growing_backoff, feed_fixture) {
    // A port nobody listens on: connection refused at every attempt.
    unsigned short closed_port = 0;
    {
        boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
        closed_port = a.local_endpoint().port();
    }
    options.url = "ws://127.0.0.1:" + std::to_string(closed_port) + "/stream";
    start({"BTCUSDT"});
    run_for(1500ms);
    auto const st = feed->status();
    BOOST_TEST(!st.up);
    BOOST_TEST(st.connected == 0u);
    BOOST_TEST(st.last_error.find("connect") != std::string::npos);
    // 50, 100, 200, 400, 400... ms steps (jittered down to half): several
    // attempts, but far fewer than a tight loop would make.
    BOOST_TEST(feed->metrics().reconnects >= 4u);
    BOOST_TEST(feed->metrics().reconnects <= 16u);
}

BOOST_FIXTURE_TEST_CASE(a_connection_that_delivered_trades_resets_the_backoff, feed_fixture) {
    // A flapping exchange: every connection subscribes, carries a trade and
    // is cut. Were the backoff to grow, the 8th reconnect would wait 6.4 s.
    options.backoff_initial = 50ms;
    options.backoff_max = 60'000ms;
    start({"BTCUSDT"});
    auto t = kryptod::test::wall_ms();
    for (std::size_t cut = 1; cut <= 8; ++cut) {
        BOOST_REQUIRE_MESSAGE(run_until([&] { return up() && server->accepted() == cut; }),
                              "reconnect " << cut);
        server->trade("BTCUSDT", "100", t++);
        BOOST_REQUIRE(run_until([&] { return sink.trades.size() == cut; }));
        server->cut();
    }
    BOOST_REQUIRE(run_until([&] { return up() && server->accepted() == 9u; }, 2000ms));
    BOOST_TEST(feed->metrics().reconnects == 8u);
}

BOOST_FIXTURE_TEST_CASE(connection_attempts_stay_within_the_exchange_limit, feed_fixture) {
    options.backoff_initial = 20ms;
    options.connection_attempts_max = 3;
    options.connection_attempts_window = 1500ms;
    start({"BTCUSDT"});
    auto t = kryptod::test::wall_ms();
    for (std::size_t cut = 1; cut <= 4; ++cut) {
        BOOST_REQUIRE_MESSAGE(run_until([&] { return up() && server->accepted() == cut; }),
                              "reconnect " << cut);
        server->trade("BTCUSDT", "100", t++);
        BOOST_REQUIRE(run_until([&] { return sink.trades.size() == cut; }));
        server->cut();
    }
    BOOST_REQUIRE(run_until([&] { return up() && server->accepted() == 5u; }));
    // Never more than 3 connections within any 1.5 s.
    auto const& at = server->accept_times();
    for (std::size_t i = 3; i < at.size(); ++i)
        // (less the time a connect takes between the attempt and the accept)
        BOOST_TEST((at[i] - at[i - 3] >= options.connection_attempts_window - 100ms),
                   "connection " << i);
    BOOST_TEST(feed->metrics().limited_attempts >= 1u);
}

BOOST_FIXTURE_TEST_CASE(hostile_frames_never_stop_the_feed, feed_fixture) {
    start({"BTCUSDT"});
    BOOST_REQUIRE(run_until([&] { return up(); }));
    auto const t0 = kryptod::test::wall_ms();
    server->trade("BTCUSDT", "100", t0);
    server->send_raw("{not json");
    server->send_raw(
        R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","a":1e999,"p":"1","T":1}})");
    server->send_raw(
        R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","p":"1"}})");
    server->send_raw(
        R"({"e":"aggTrade","s":"BTCUSDT","a":99999999999999999999999999,"p":"1","T":1})");
    server->send_raw(std::string("\x01\x02\x03", 3), true); // binary
    server->trade("BTCUSDT", "101", t0 + 1);
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 2; }));
    BOOST_TEST(feed->metrics().decode_errors >= 5u);
    BOOST_TEST(feed->metrics().binary_frames == 1u);
    BOOST_TEST(feed->metrics().reconnects == 0u);

    // Oversized and invalid UTF-8 frames: the websocket layer refuses them
    // (bounded memory) and the connection is replaced; nothing is lost.
    server->send_raw(std::string(options.read_message_max * 4, 'x'));
    server->trade("BTCUSDT", "102", t0 + 2);
    BOOST_REQUIRE(run_until([&] { return server->accepted() == 2 && up(); }));
    server->send_raw("{\"e\":\"\xff\xfe\"}");
    server->trade("BTCUSDT", "103", t0 + 3);
    BOOST_REQUIRE(run_until([&] { return server->accepted() == 3 && up(); }));
    server->trade("BTCUSDT", "104", t0 + 4);
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 5; }));
    for (std::size_t i = 1; i < sink.trades.size(); ++i)
        BOOST_TEST(sink.trades[i].id == sink.trades[i - 1].id + 1);
    BOOST_TEST(up());
}

BOOST_FIXTURE_TEST_CASE(server_shutdown_replaces_the_connection_make_before_break, feed_fixture) {
    start({"BTCUSDT"});
    BOOST_REQUIRE(run_until([&] { return up(); }));
    auto const t0 = kryptod::test::wall_ms();
    server->trade("BTCUSDT", "100", t0);
    server->announce_shutdown();
    // Trades keep coming while the replacement connects and subscribes.
    for (int i = 1; i <= 20; ++i) {
        server->trade("BTCUSDT", std::to_string(100 + i), t0 + i);
        run_for(5ms);
    }
    BOOST_REQUIRE(
        run_until([&] { return feed->metrics().rolls == 1 && server->sessions() == 1 && up(); }));
    server->trade("BTCUSDT", "200", t0 + 100);
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 22; }));
    BOOST_TEST(server->accepted() == 2u);
    BOOST_TEST(feed->metrics().reconnects == 0u); // the old connection was retired, not lost
    for (std::size_t i = 1; i < sink.trades.size(); ++i)
        BOOST_TEST(sink.trades[i].id == sink.trades[i - 1].id + 1);
}

BOOST_FIXTURE_TEST_CASE(more_streams_than_one_connection_takes_open_more_connections,
                        feed_fixture) {
    options.max_streams_per_connection = 2; // Binance: 1024
    std::vector<std::string> coins{"BTCUSDT", "ETHUSDT"};
    for (int i = 0; i < 3; ++i) {
        coins.push_back("ALT" + std::to_string(i) + "USDT");
        book.symbols().intern(coins.back());
    }
    start(coins);
    BOOST_REQUIRE(run_until([&] { return up() && server->subscriptions().size() == 5; }));
    BOOST_TEST(feed->status().connections == 3u);
    BOOST_TEST(feed->status().connected == 3u);
    BOOST_TEST(server->sessions() == 3u);
    auto const t0 = kryptod::test::wall_ms();
    for (auto const& c : coins)
        server->trade(c, "2", t0);
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 5; }));
    // Two more coins at run time: the first fills the third connection, the
    // second opens a fourth.
    for (auto const* c : {"NEW1USDT", "NEW2USDT"}) {
        book.symbols().intern(c);
        BOOST_TEST(feed->add_coin(c));
    }
    BOOST_REQUIRE(run_until([&] { return up() && server->subscriptions().size() == 7; }));
    BOOST_TEST(feed->status().connections == 4u);
    BOOST_TEST(server->accepted() == 4u);
}

BOOST_FIXTURE_TEST_CASE(connections_are_rolled_before_their_age_limit, feed_fixture) {
    options.max_connection_age = 300ms; // Binance: 24 hours
    start({"BTCUSDT"});
    BOOST_REQUIRE(run_until([&] { return up(); }));
    auto const t0 = kryptod::test::wall_ms();
    int sent = 0;
    // Trade steadily across two rolls.
    while (feed->metrics().rolls < 2 || server->sessions() != 1) {
        server->trade("BTCUSDT", std::to_string(100 + sent % 10), t0 + sent);
        ++sent;
        run_for(10ms);
        BOOST_REQUIRE(sent < 500);
    }
    server->trade("BTCUSDT", "1", t0 + sent++);
    BOOST_REQUIRE(run_until([&] { return static_cast<int>(sink.trades.size()) == sent; }));
    for (std::size_t i = 1; i < sink.trades.size(); ++i)
        BOOST_TEST(sink.trades[i].id == sink.trades[i - 1].id + 1);
    BOOST_TEST(feed->metrics().reconnects == 0u);
    BOOST_TEST(server->accepted() >= 3u);
}

BOOST_AUTO_TEST_SUITE_END()
