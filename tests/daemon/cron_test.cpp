// Tests for daemon/cron.hpp: periodic jobs on one timer run in turn, can be
// brought forward, never run after stop(), and a cron dropped with a wait
// pending is kept alive by that wait. Bounded by a guard timer, never by the
// jobs' own timing.
#include "daemon/cron.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

using namespace kryptod::daemon;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// Stops `ioc` after `limit` whatever happens, so a broken cron fails the
// test instead of hanging it.
struct guard {
    asio::steady_timer timer;
    bool fired = false;
    guard(asio::io_context& ioc, std::chrono::seconds limit)
        : timer(ioc, limit) {
        timer.async_wait([this, &ioc](boost::system::error_code ec) {
            if (ec) return;
            fired = true;
            ioc.stop();
        });
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cron)

BOOST_AUTO_TEST_CASE(due_jobs_run_each_period_in_turn) {
    asio::io_context ioc;
    guard g(ioc, 10s);
    auto c = std::make_shared<kryptod::daemon::cron>(ioc);
    int fast = 0, slow = 0;
    std::vector<std::string> order;
    c->every(
        "fast", 5ms,
        [&] {
            ++fast;
            order.push_back("fast");
            if (fast == 5) ioc.stop();
        },
        0ms);
    c->every(
        "slow", 1h, [&] { ++slow; }, 1h);
    c->every(
        "first", 1h, [&] { order.push_back("first"); }, 0ms);
    c->start();
    ioc.run();
    BOOST_TEST(!g.fired);
    BOOST_TEST(fast == 5);
    BOOST_TEST(slow == 0); // not due within the run
    // Both due at start: run in the order they were added.
    BOOST_REQUIRE(order.size() >= 2u);
    BOOST_TEST(order[0] == "fast");
    BOOST_TEST(order[1] == "first");
    BOOST_TEST(c->names() == (std::vector<std::string>{"fast", "slow", "first"}));
}

BOOST_AUTO_TEST_CASE(run_in_brings_a_job_forward_from_inside_another) {
    asio::io_context ioc;
    guard g(ioc, 10s);
    auto c = std::make_shared<kryptod::daemon::cron>(ioc);
    int backlog = 3, runs = 0;
    kryptod::daemon::cron::job_id id = 0;
    // A chore that asks to come back at once while it has a backlog; its
    // period alone (1 h) would never bring it back within the test.
    id = c->every(
        "retention", 1h,
        [&] {
            ++runs;
            if (--backlog > 0)
                c->run_in(id, 0ms);
            else
                ioc.stop();
        },
        0ms);
    c->start();
    ioc.run();
    BOOST_TEST(!g.fired);
    BOOST_TEST(runs == 3);
}

BOOST_AUTO_TEST_CASE(nothing_runs_after_stop_and_a_dropped_cron_is_safe) {
    asio::io_context ioc;
    guard g(ioc, 10s);
    auto c = std::make_shared<kryptod::daemon::cron>(ioc);
    int runs = 0;
    c->every(
        "job", 1ms,
        [&] {
            if (++runs == 2) {
                c->stop();
                // Added after stop: never runs.
                c->every(
                    "late", 1ms, [&] { runs += 100; }, 0ms);
            }
        },
        0ms);
    c->start();
    asio::steady_timer after(ioc, 50ms);
    after.async_wait([&](boost::system::error_code) { ioc.stop(); });
    ioc.run();
    BOOST_TEST(runs == 2);

    // A cron whose owner lets go while its wait is pending: the wait holds it
    // until the io_context lets go of the wait.
    asio::io_context other;
    int later = 0;
    {
        auto d = std::make_shared<kryptod::daemon::cron>(other);
        d->every(
            "once", 1h, [&] { ++later; }, 0ms);
        d->start();
    }
    other.run_for(20ms);
    BOOST_TEST(later == 1);
}

BOOST_AUTO_TEST_SUITE_END()
