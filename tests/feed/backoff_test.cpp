// Tests of daemon/feed/backoff: reconnection delays grow exponentially with
// jitter up to the cap and start over after a stable connection; the
// attempt window never allows more than its limit in any window.
#include "daemon/feed/backoff.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <set>

using delays = kryptod::daemon::feed::backoff;
using ms = std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(grows_with_jitter_up_to_the_cap_and_resets) {
    delays b(ms(1000), ms(60000));
    std::mt19937_64 rng(1);
    ms step(1000);
    for (int i = 0; i < 10; ++i) {
        auto const d = b.next(rng);
        BOOST_TEST(d.count() >= step.count() / 2);
        BOOST_TEST(d.count() <= step.count());
        step = std::min(ms(60000), step * 2);
    }
    BOOST_TEST(b.current_step().count() == 60000); // capped
    BOOST_TEST(b.failures() == 10u);
    b.reset();
    BOOST_TEST(b.current_step().count() == 1000);
    auto const d = b.next(rng);
    BOOST_TEST(d.count() >= 500);
    BOOST_TEST(d.count() <= 1000);
}

BOOST_AUTO_TEST_CASE(jitter_spreads_delays) {
    // Many daemons cut at once must not all come back at the same instant.
    std::mt19937_64 rng(2);
    std::set<long> seen;
    for (int i = 0; i < 50; ++i) {
        delays b(ms(1000), ms(60000));
        for (int k = 0; k < 3; ++k)
            b.next(rng);
        seen.insert(static_cast<long>(b.next(rng).count()));
    }
    BOOST_TEST(seen.size() > 30u);
}

BOOST_AUTO_TEST_CASE(the_attempt_window_allows_max_attempts_per_window) {
    using clock = kryptod::daemon::feed::attempt_window::clock;
    kryptod::daemon::feed::attempt_window w(3, std::chrono::minutes(5));
    auto const t0 = clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 3; ++i) {
        auto const at = t0 + std::chrono::seconds(i);
        BOOST_TEST((w.next_allowed(at) == at));
        w.record(at);
    }
    // The fourth waits until the first leaves the window.
    auto const later = t0 + std::chrono::seconds(10);
    BOOST_TEST((w.next_allowed(later) == t0 + std::chrono::minutes(5)));
    BOOST_TEST(w.in_window(later) == 3u);
    auto const free = t0 + std::chrono::minutes(5);
    BOOST_TEST((w.next_allowed(free) == free));
    w.record(free);
    BOOST_TEST((w.next_allowed(free) == t0 + std::chrono::seconds(1) + std::chrono::minutes(5)));
}

BOOST_AUTO_TEST_SUITE_END()
