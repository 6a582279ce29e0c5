// Tests of daemon/feed/backoff: reconnection delays grow exponentially with
// jitter up to the cap and start over after a stable connection.
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

BOOST_AUTO_TEST_SUITE_END()
