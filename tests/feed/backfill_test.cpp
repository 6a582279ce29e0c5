// The gap tests: the test server replays a price path, the connection is cut
// (and, separately, stalled) while the price crosses several alert targets,
// then the feed comes back. Every trade must reach the evaluator exactly once
// and in order, the ones from the gap marked backfilled, every crossed alert
// must fire exactly once, and the feed must have asked the REST API for
// `aggTrades?fromId=<last seen id + 1>`. Also: 429 with Retry-After, and the
// kline fallback for a gap longer than backfill_max. And a backfill that
// cannot be had (REST down, or rate-limited with a huge Retry-After) does not
// hold live trades past backfill_hold: they are evaluated as they come, and
// the gap's trades follow once each when REST answers again.
#include "daemon/feed/rest_backfill.hpp"
#include "feed_fixture.hpp"
#include "printing.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>

using namespace std::chrono_literals;
using kryptod::test::feed_fixture;
namespace core = kryptod::core;
namespace feed = kryptod::daemon::feed;

namespace {

enum class fault { cut, stall };

void run_gap(feed_fixture& f, fault kind) {
    // Alerts above 105, 110 and 118, below 95: the path crosses all four,
    // three of them while the feed is away.
    f.arm(1, "105", core::direction::above);
    f.arm(2, "110", core::direction::above);
    f.arm(3, "118", core::direction::above);
    f.arm(4, "95", core::direction::below);
    f.arm(5, "200", core::direction::above); // never reached
    f.start({"BTCUSDT"});
    BOOST_REQUIRE(f.run_until([&] { return f.up(); }));

    auto t = kryptod::test::wall_ms();
    for (int p : {100, 101, 102})
        f.server->trade("BTCUSDT", std::to_string(p) + ".00000000", t++);
    BOOST_REQUIRE(f.run_until([&] { return f.sink.trades.size() == 3; }));
    std::int64_t const last_seen = f.sink.trades.back().id;

    if (kind == fault::cut)
        f.server->cut();
    else
        f.server->stall();
    // The path while the feed is away: up through 105 and 110, down through
    // 95, up again.
    for (int p : {104, 106, 111, 108, 99, 94, 97, 103})
        f.server->trade("BTCUSDT", std::to_string(p), t++);
    std::size_t const gap_trades = 8;

    BOOST_REQUIRE(f.run_until([&] { return f.server->accepted() == 2 && f.up(); }, 5000ms));
    // Live trading resumes once the gap is filled (trades sent earlier would
    // be served by the REST page too, and rightly delivered as backfilled).
    BOOST_REQUIRE(f.run_until([&] { return f.sink.trades.size() == 3 + gap_trades; }, 5000ms));
    BOOST_REQUIRE(f.run_until([&] { return f.feed->status().catching_up == 0; }, 5000ms));
    for (int p : {112, 119, 115})
        f.server->trade("BTCUSDT", std::to_string(p), t++);
    BOOST_REQUIRE(f.run_until([&] { return f.sink.trades.size() == 3 + gap_trades + 3; }, 5000ms));
    f.run_for(100ms); // nothing more may arrive

    auto const& history = f.server->history("BTCUSDT");
    BOOST_REQUIRE_EQUAL(f.sink.trades.size(), history.size());
    for (std::size_t i = 0; i < history.size(); ++i) {
        BOOST_TEST_CONTEXT("trade " << i) {
            BOOST_TEST(f.sink.trades[i].id == history[i].id);
            BOOST_TEST(f.sink.trades[i].price == core::price::parse(history[i].price).value);
            BOOST_TEST(f.sink.trades[i].time == history[i].time);
            bool const in_gap = i >= 3 && i < 3 + gap_trades;
            BOOST_TEST(f.sink.trades[i].backfilled == in_gap);
        }
    }
    // Each crossed alert fired exactly once; the ones crossed in the gap say so.
    std::vector<core::alert_id> ids;
    for (auto const& fa : f.sink.fired)
        ids.push_back(fa.id);
    std::sort(ids.begin(), ids.end());
    BOOST_TEST((ids == std::vector<core::alert_id>{1, 2, 3, 4}));
    for (auto const& fa : f.sink.fired)
        BOOST_TEST(fa.backfilled == (fa.id != 3), "alert " << fa.id);

    auto const expected =
        "/api/v3/aggTrades?symbol=BTCUSDT&fromId=" + std::to_string(last_seen + 1) + "&limit=1000";
    auto const& reqs = f.server->rest_requests();
    BOOST_TEST(std::count(reqs.begin(), reqs.end(), expected) == 1);
    BOOST_TEST(f.feed->metrics().backfilled_trades == gap_trades);
    BOOST_TEST(f.feed->metrics().reconnects == 1u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(backfill)

BOOST_FIXTURE_TEST_CASE(a_cut_loses_nothing_and_fires_each_crossed_alert_once, feed_fixture) {
    run_gap(*this, fault::cut);
}

BOOST_FIXTURE_TEST_CASE(a_stall_loses_nothing_and_fires_each_crossed_alert_once, feed_fixture) {
    run_gap(*this, fault::stall);
}

BOOST_FIXTURE_TEST_CASE(a_restart_resumes_from_the_persisted_id, feed_fixture) {
    auto t = kryptod::test::wall_ms() - 10'000;
    for (int p : {100, 101, 102, 103, 104})
        server->trade("BTCUSDT", std::to_string(p), t++);
    auto const& history = server->history("BTCUSDT");
    // The daemon stopped after the second trade.
    start({"BTCUSDT"}, {{"BTCUSDT", history[1].id, history[1].time}});
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 3; }));
    for (std::size_t i = 0; i < 3; ++i) {
        BOOST_TEST(sink.trades[i].id == history[i + 2].id);
        BOOST_TEST(sink.trades[i].backfilled);
    }
}

BOOST_FIXTURE_TEST_CASE(many_pages_and_retry_after_are_honoured, feed_fixture) {
    options.backfill_page_limit = 100;
    auto t = kryptod::test::wall_ms() - 60'000;
    for (int i = 0; i < 250; ++i)
        server->trade("BTCUSDT", std::to_string(1000 + i % 7), t++);
    auto const first = server->history("BTCUSDT").front();
    server->throttle_rest(1, 1); // the first request answers 429, Retry-After: 1
    auto const started = std::chrono::steady_clock::now();
    start({"BTCUSDT"}, {{"BTCUSDT", first.id, first.time}});
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 249; }, 8000ms));
    auto const took = std::chrono::steady_clock::now() - started;
    BOOST_TEST(took >= 1000ms);
    auto const& reqs = server->rest_requests();
    BOOST_TEST(reqs.size() == 4u); // 429, then pages of 100, 100, 49
    BOOST_TEST(reqs[0] == reqs[1]);
    for (std::size_t i = 1; i < sink.trades.size(); ++i)
        BOOST_TEST(sink.trades[i].id == sink.trades[i - 1].id + 1);
}

BOOST_FIXTURE_TEST_CASE(a_long_gap_falls_back_to_klines, feed_fixture) {
    options.backfill_max = 60'000ms;
    arm(1, "130", core::direction::above);
    arm(2, "90", core::direction::below);
    arm(3, "500", core::direction::above); // outside the gap's range
    auto const now = kryptod::test::wall_ms();
    auto const gap_start = now - 10 * 60'000;
    server->trade("BTCUSDT", "100", gap_start);
    for (int m = 1; m <= 9; ++m)
        server->trade("BTCUSDT", std::to_string(100 + m * 4), gap_start + m * 60'000);
    server->trade("BTCUSDT", "85", gap_start + 5 * 60'000 + 1);
    auto const first = server->history("BTCUSDT").front();
    start({"BTCUSDT"}, {{"BTCUSDT", first.id, first.time}});
    BOOST_REQUIRE(run_until([&] { return sink.fired.size() == 2; }));
    run_for(100ms);
    BOOST_TEST(sink.fired.size() == 2u);
    for (auto const& fa : sink.fired)
        BOOST_TEST(fa.backfilled);
    BOOST_TEST(sink.trades.empty()); // replayed as ranges, not trade by trade
    BOOST_TEST(!sink.ranges.empty());
    auto const& reqs = server->rest_requests();
    BOOST_REQUIRE(!reqs.empty());
    BOOST_TEST(reqs[0].find("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=" +
                            std::to_string(first.time)) == 0u);
    // Live trading resumes from the next trade.
    server->trade("BTCUSDT", "101", now + 1);
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 1; }));
    BOOST_TEST(!sink.trades[0].backfilled);
}

BOOST_AUTO_TEST_CASE(retry_after_is_clamped_to_300_s_without_overflow) {
    using rest = feed::rest_backfill;
    using s = std::chrono::seconds;
    // The value that once overflowed the conversion to milliseconds.
    BOOST_TEST((rest::parse_retry_after("100000000000000000") == s(300)));
    BOOST_TEST((rest::parse_retry_after(std::string(400, '9')) == s(300)));
    BOOST_TEST((rest::parse_retry_after("3600") == s(300)));
    BOOST_TEST((rest::parse_retry_after("300") == s(300)));
    BOOST_TEST((rest::parse_retry_after("301") == s(300)));
    BOOST_TEST((rest::parse_retry_after("2") == s(2)));
    BOOST_TEST((rest::parse_retry_after(" 7\t") == s(7)));
    BOOST_TEST((rest::parse_retry_after("0") == s(1))); // never a busy loop
    BOOST_TEST((rest::parse_retry_after("000000000000000000000000005") == s(5)));
    for (auto const* bad : {"", " ", "-5", "1.5", "5s", "+5", "Wed, 21 Oct 2015 07:28:00 GMT"})
        BOOST_TEST(!rest::parse_retry_after(bad).has_value(), bad);
}

BOOST_FIXTURE_TEST_CASE(a_huge_retry_after_neither_floods_nor_holds_live_trades, feed_fixture) {
    options.backfill_hold = 300ms;
    arm(1, "95", core::direction::below);  // crossed in the gap only
    arm(2, "110", core::direction::above); // crossed live
    start({"BTCUSDT"});
    BOOST_REQUIRE(run_until([&] { return up(); }));
    auto t = kryptod::test::wall_ms();
    server->trade("BTCUSDT", "100", t++);
    auto const before_gap = server->trade("BTCUSDT", "101", t++);
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 2; }));

    server->throttle_rest(1000, "100000000000000000", 418);
    server->cut();
    auto const in_gap = server->trade("BTCUSDT", "94", t++);
    BOOST_REQUIRE(run_until([&] { return server->accepted() == 2 && up(); }));
    auto const requests_then = server->rest_requests().size();
    server->trade("BTCUSDT", "111", t++);
    BOOST_REQUIRE(run_until([&] { return sink.fired.size() == 1; }));
    BOOST_TEST(sink.fired[0].id == 2u);
    BOOST_TEST(!sink.fired[0].backfilled);
    BOOST_REQUIRE_EQUAL(sink.trades.size(), 3u);
    BOOST_TEST(sink.trades[2].price == core::price::parse("111").value);
    BOOST_TEST(!sink.trades[2].backfilled);

    // The exchange asked for 300 s at most: one request, then a wait.
    run_for(1500ms);
    BOOST_TEST(server->rest_requests().size() <= requests_then + 1);
    BOOST_TEST(sink.fired.size() == 1u); // the gap's crossing waits for REST
    auto const st = feed->status();
    BOOST_REQUIRE_EQUAL(st.catch_ups.size(), 1u);
    BOOST_TEST(st.catch_ups[0].symbol == "BTCUSDT");
    BOOST_TEST(st.catch_ups[0].released);
    BOOST_TEST(st.catch_ups[0].from_id == in_gap);
    BOOST_TEST(st.backfill_error.find("Retry-After 300 s") != std::string::npos, st.backfill_error);
    // A restart now would resume before the gap.
    BOOST_TEST(feed->position(btc).last_id == before_gap);
    BOOST_TEST(feed->metrics().released == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_rest_outage_replays_the_gap_once_after_live_trades, feed_fixture) {
    options.backfill_hold = 300ms;
    arm(1, "105", core::direction::above);   // crossed in the gap only
    arm(2, "95", core::direction::below);    // crossed in the gap only
    arm(3, "102", core::direction::above);   // crossed in the gap, and live first
    arm(4, "103.2", core::direction::above); // the same
    arm(5, "200", core::direction::above);   // never reached
    start({"BTCUSDT"});
    BOOST_REQUIRE(run_until([&] { return up(); }));
    auto t = kryptod::test::wall_ms();
    server->trade("BTCUSDT", "100", t++);
    auto const before_gap = server->trade("BTCUSDT", "101", t++);
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 2; }));

    server->rest_down(true);
    server->cut();
    for (int p : {104, 106, 99, 94, 100})
        server->trade("BTCUSDT", std::to_string(p), t++);
    BOOST_REQUIRE(run_until([&] { return server->accepted() == 2 && up(); }));
    server->trade("BTCUSDT", "103", t++);
    server->trade("BTCUSDT", "103.5", t++);
    // Live trades pass after the hold though the gap is still missing.
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 4; }));
    BOOST_TEST(sink.fired.size() == 2u);
    for (auto const& fa : sink.fired) {
        BOOST_TEST((fa.id == 3u || fa.id == 4u), fa.id);
        BOOST_TEST(!fa.backfilled);
    }
    BOOST_TEST(feed->position(btc).last_id == before_gap);

    server->rest_down(false);
    BOOST_REQUIRE(run_until([&] { return feed->status().catching_up == 0; }, 10000ms));
    server->trade("BTCUSDT", "103.7", t++);
    BOOST_REQUIRE(run_until([&] { return sink.trades.size() == 10; }));
    run_for(100ms); // nothing more may arrive

    // Every trade once: before the gap, the live ones, the gap in id order,
    // the next live one.
    auto const& h = server->history("BTCUSDT");
    BOOST_REQUIRE_EQUAL(h.size(), 10u);
    std::vector<std::size_t> const order{0, 1, 7, 8, 2, 3, 4, 5, 6, 9};
    BOOST_REQUIRE_EQUAL(sink.trades.size(), order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        BOOST_TEST_CONTEXT("delivery " << i) {
            BOOST_TEST(sink.trades[i].id == h[order[i]].id);
            BOOST_TEST(sink.trades[i].backfilled == (order[i] >= 2 && order[i] <= 6));
        }
    }
    // Each crossed alert fired once: the gap's say so; 3 and 4, reached live
    // first, are not fired again by the gap's 104 and 106.
    std::map<core::alert_id, bool> fired;
    for (auto const& fa : sink.fired)
        BOOST_TEST(fired.emplace(fa.id, fa.backfilled).second, "alert " << fa.id << " twice");
    BOOST_TEST(
        (fired == std::map<core::alert_id, bool>{{1, true}, {2, true}, {3, false}, {4, false}}));
    // The replay did not move the price back.
    BOOST_TEST(book.prices().get(btc)->last == core::price::parse("103.7").value);
    BOOST_TEST(feed->position(btc).last_id == h.back().id);
}

BOOST_AUTO_TEST_CASE(rest_pages_parse_exactly_or_not_at_all) {
    std::vector<feed::agg_trade> trades;
    BOOST_TEST(
        feed::rest_backfill::parse_agg_trades(
            R"([{"a":26129,"p":"0.01633102","q":"4.70443515","f":27781,"l":27781,"T":1498793709153,"m":true,"M":true}])",
            trades)
            .empty());
    BOOST_REQUIRE_EQUAL(trades.size(), 1u);
    BOOST_TEST(trades[0].id == 26129);
    BOOST_TEST(trades[0].price.units() == 1633102);
    for (auto const* bad :
         {"", "{}", "[1]", R"([{"a":1,"p":1.5,"T":1}])",
          R"([{"a":2,"p":"1","T":1},{"a":1,"p":"1","T":2}])", R"([{"a":1,"p":"-1","T":1}])"}) {
        std::vector<feed::agg_trade> out;
        BOOST_TEST(!feed::rest_backfill::parse_agg_trades(bad, out).empty(), bad);
    }
    std::vector<feed::kline> klines;
    BOOST_TEST(
        feed::rest_backfill::parse_klines(
            R"([[1634947200000,"62000.1","62100.5","61900.25","62050","1.0",1634947259999,"1",1,"0","0","0"]])",
            klines)
            .empty());
    BOOST_REQUIRE_EQUAL(klines.size(), 1u);
    BOOST_TEST(klines[0].high == core::price::parse("62100.5").value);
    BOOST_TEST(klines[0].low == core::price::parse("61900.25").value);
    std::vector<feed::kline> bad;
    BOOST_TEST(!feed::rest_backfill::parse_klines(R"([[1,"2","1","3","1","1",2]])", bad)
                    .empty()); // low > high
}

BOOST_AUTO_TEST_SUITE_END()
