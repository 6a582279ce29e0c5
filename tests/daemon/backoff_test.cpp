// Tests of daemon/backoff: retries double from their base (notify.retry_base,
// the feed's first reconnect delay) up to their cap, with jitter only in the
// upper half.
#include "daemon/backoff.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::daemon;

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(delays_double_then_stop_at_the_cap) {
    // unit just below 1: the top of each range.
    double const top = 0.999999999;
    BOOST_TEST(retry_delay(1, 30s, 3600s, top).count() == 29999);
    BOOST_TEST(retry_delay(2, 30s, 3600s, top).count() == 59999);
    BOOST_TEST(retry_delay(3, 30s, 3600s, top).count() == 119999);
    BOOST_TEST(retry_delay(8, 30s, 3600s, top).count() == 3599999);
    BOOST_TEST(retry_delay(60, 30s, 3600s, top).count() == 3599999);
    BOOST_TEST(retry_delay(1000, 1ms, 1h, top).count() <= 3600000);
}

BOOST_AUTO_TEST_CASE(jitter_stays_in_the_upper_half) {
    BOOST_TEST(retry_delay(3, 100ms, 10s, 0.0).count() == 200);
    BOOST_TEST(retry_delay(3, 100ms, 10s, 0.5).count() == 300);
    for (double u = 0.0; u < 1.0; u += 0.01) {
        auto const d = retry_delay(4, 100ms, 500ms, u).count();
        BOOST_TEST(d >= 250);
        BOOST_TEST(d <= 500);
    }
}

BOOST_AUTO_TEST_CASE(never_zero) {
    BOOST_TEST(retry_delay(1, 1ms, 1ms, 0.0).count() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
