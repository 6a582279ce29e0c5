// Tests for http/rate_limiter.hpp: the limit per key and window, the wait it
// announces, independent keys, and bounded memory.
#include "http/rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::http;
using namespace std::chrono_literals;
using limiter_clock = kryptod::http::rate_limiter::clock;

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(allows_the_limit_then_refuses_with_the_wait) {
    kryptod::http::rate_limiter limiter(3);
    auto t0 = limiter_clock::time_point{} + 1000s;
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(!limiter.hit("1.2.3.4", t0 + std::chrono::seconds(i)).has_value());
    auto wait = limiter.hit("1.2.3.4", t0 + 20s);
    BOOST_TEST_REQUIRE(wait.has_value());
    BOOST_TEST(wait->count() == 40);
    auto almost = limiter.hit("1.2.3.4", t0 + 59s + 500ms);
    BOOST_TEST_REQUIRE(almost.has_value());
    BOOST_TEST(almost->count() == 1); // rounded up, never 0
}

BOOST_AUTO_TEST_CASE(a_new_window_starts_after_the_old_one) {
    kryptod::http::rate_limiter limiter(1);
    auto t0 = limiter_clock::time_point{} + 1000s;
    BOOST_TEST(!limiter.hit("k", t0).has_value());
    BOOST_TEST(limiter.hit("k", t0 + 30s).has_value());
    BOOST_TEST(!limiter.hit("k", t0 + 60s).has_value());
    BOOST_TEST(limiter.hit("k", t0 + 61s).has_value());
}

BOOST_AUTO_TEST_CASE(keys_are_independent) {
    kryptod::http::rate_limiter limiter(1);
    auto t0 = limiter_clock::time_point{} + 1000s;
    BOOST_TEST(!limiter.hit("a", t0).has_value());
    BOOST_TEST(limiter.hit("a", t0).has_value());
    BOOST_TEST(!limiter.hit("b", t0).has_value());
}

BOOST_AUTO_TEST_CASE(memory_stays_bounded) {
    kryptod::http::rate_limiter limiter(1, 60s, 100);
    auto t0 = limiter_clock::time_point{} + 1000s;
    for (int i = 0; i < 1000; ++i)
        limiter.hit("addr" + std::to_string(i), t0 + std::chrono::milliseconds(i));
    BOOST_TEST(limiter.size() <= 100u);
    // The most recent keys are still limited.
    BOOST_TEST(limiter.hit("addr999", t0 + 2s).has_value());
}

BOOST_AUTO_TEST_CASE(zero_limit_is_refused) {
    BOOST_CHECK_THROW(kryptod::http::rate_limiter(0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
