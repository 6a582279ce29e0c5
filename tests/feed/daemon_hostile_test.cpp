// Whole-daemon test of a hostile exchange (SPEC §4, §3 "never a crash"): the
// real kryptod reads a long stream of broken JSON, numbers out of range,
// aggTrades without price or time and binary frames, then an oversized frame
// and a frame of invalid UTF-8. It must stay up, answer /healthz throughout,
// count what it dropped, keep its memory bounded (sampled from
// /proc/<pid>/status: a leak per frame or a buffer that grows with the
// stream would pass the bound many times over), reconnect after the frames
// that break the websocket, and still fire an alert on the next real trade.
#include "tests/support/daemon_harness.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace kryptod::test;

namespace {

// VmRSS and VmHWM of a process, in KiB (0 when unreadable).
struct memory {
    long rss_kib = 0;
    long hwm_kib = 0;
};

memory memory_of(pid_t pid) {
    memory m;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("VmRSS:")) m.rss_kib = std::stol(line.substr(6));
        if (line.starts_with("VmHWM:")) m.hwm_kib = std::stol(line.substr(6));
    }
    return m;
}

bool healthy(daemon_harness& h) {
    return h.call(bhttp::verb::get, "/healthz").result_int() == 200;
}

} // namespace

BOOST_AUTO_TEST_SUITE(daemon_hostile)

BOOST_AUTO_TEST_CASE(a_hostile_stream_leaves_the_daemon_up_bounded_and_firing) {
    constexpr std::size_t frames = 20'000;
    constexpr std::size_t frame_size = 4096; // about 80 MB in all
    constexpr long growth_bound_kib = 32 * 1024;

    daemon_harness h;
    h.start();
    h.trade("100");
    BOOST_REQUIRE(h.sees_price("100"));
    auto const alert = h.create_alert(
        R"({"symbol":"BTCUSDT","target_price":"101","direction":"above","repeat":"every"})");
    pid_t const pid = h.daemon->pid();
    // Start VmHWM afresh (logging in hashes with argon2id, whose memory
    // would otherwise stand as the peak).
    std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";
    auto const base = memory_of(pid);
    BOOST_REQUIRE(base.rss_kib > 0);
    auto const errors0 = h.metric("kryptod_feed_decode_errors_total");
    auto const reconnects0 = h.metric("kryptod_feed_reconnects_total");

    long peak_rss = base.rss_kib;
    auto const sample = [&] {
        peak_rss = std::max(peak_rss, memory_of(pid).rss_kib);
        return true;
    };

    h.exchange.send("hostile mixed " + std::to_string(frames) + " " + std::to_string(frame_size));
    auto const queued = h.exchange.read_line(30s);
    BOOST_REQUIRE(queued && *queued == "HOSTILE " + std::to_string(frames));
    BOOST_REQUIRE_MESSAGE(
        eventually(
            [&] {
                sample();
                return healthy(h) &&
                       h.metric("kryptod_feed_decode_errors_total") >= errors0 + frames;
            },
            30s),
        "decode errors: " << h.metric("kryptod_feed_decode_errors_total") - errors0);
    // None of these frames is worth a reconnect.
    BOOST_TEST(h.metric("kryptod_feed_reconnects_total") == reconnects0);
    BOOST_TEST(h.daemon->running());

    // A frame far over the read limit, then one of invalid UTF-8: each ends
    // its connection at the websocket layer (never buffered whole), and the
    // feed comes back.
    for (auto const* kind : {"oversized 1 40000000", "utf8 1"}) {
        BOOST_TEST_CONTEXT(kind) {
            auto const before = h.metric("kryptod_feed_reconnects_total");
            h.exchange.send(std::string("hostile ") + kind);
            BOOST_REQUIRE(h.exchange.read_line(30s).value_or("").starts_with("HOSTILE "));
            BOOST_REQUIRE_MESSAGE(
                eventually(
                    [&] {
                        sample();
                        return h.metric("kryptod_feed_reconnects_total") > before &&
                               h.call(bhttp::verb::get, "/readyz").result_int() == 200;
                    },
                    20s),
                h.daemon->output());
            BOOST_TEST(healthy(h));
        }
    }
    sample();
    auto const after = memory_of(pid);
    BOOST_TEST_MESSAGE("VmRSS " << base.rss_kib << " KiB before, peak sampled " << peak_rss
                                << " KiB, VmHWM " << after.hwm_kib << " KiB after "
                                << frames * frame_size / 1024 << " KiB of hostile frames");
    BOOST_TEST(peak_rss - base.rss_kib < growth_bound_kib);
    BOOST_TEST(after.hwm_kib - base.rss_kib < growth_bound_kib);
    BOOST_TEST(after.rss_kib - base.rss_kib < growth_bound_kib / 2);

    // Still evaluating: the next real trade fires the alert, live.
    h.trade("101.5");
    BOOST_REQUIRE(eventually([&] { return h.alert(alert).at("trigger_count").as_int64() == 1; }));
    auto const fired = h.events(alert, "triggered");
    BOOST_REQUIRE(fired.size() == 1u);
    BOOST_TEST(fired[0].at("price").as_string() == "101.5");
    BOOST_TEST(fired[0].at("backfilled").as_bool() == false);
    BOOST_TEST(h.daemon->running());
    h.terminate();
}

BOOST_AUTO_TEST_SUITE_END()
