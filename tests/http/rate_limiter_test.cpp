// Tests for http/rate_limiter.hpp: the limit per key and window, the wait it
// announces, independent keys, counting without refusing, and the bounded
// table: its capacity, which key it forgets first, ended windows draining,
// long keys, and exact counts under concurrent callers.
#include "http/rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace kryptod::http;
using namespace std::chrono_literals;
using limiter_clock = kryptod::http::rate_limiter::clock;

namespace {

auto const t0 = limiter_clock::time_point{} + 1000s;

} // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(allows_the_limit_then_refuses_with_the_wait) {
    kryptod::http::rate_limiter limiter(3);
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
    BOOST_TEST(!limiter.hit("k", t0).has_value());
    BOOST_TEST(limiter.hit("k", t0 + 30s).has_value());
    BOOST_TEST(!limiter.hit("k", t0 + 60s).has_value());
    BOOST_TEST(limiter.hit("k", t0 + 61s).has_value());
}

BOOST_AUTO_TEST_CASE(keys_are_independent) {
    kryptod::http::rate_limiter limiter(1);
    BOOST_TEST(!limiter.hit("a", t0).has_value());
    BOOST_TEST(limiter.hit("a", t0).has_value());
    BOOST_TEST(!limiter.hit("b", t0).has_value());
}

BOOST_AUTO_TEST_CASE(count_and_spent_record_outcomes_without_refusing) {
    kryptod::http::rate_limiter limiter(2);
    BOOST_TEST(!limiter.spent("k", t0).has_value());
    BOOST_TEST(limiter.size() == 0u); // asking tracks nothing
    limiter.count("k", t0);
    BOOST_TEST(!limiter.spent("k", t0 + 1s).has_value());
    limiter.count("k", t0 + 2s);
    limiter.count("k", t0 + 3s); // past the limit: still no refusal, no overflow
    auto wait = limiter.spent("k", t0 + 10s);
    BOOST_TEST_REQUIRE(wait.has_value());
    BOOST_TEST(wait->count() == 50);
    BOOST_TEST(limiter.hit("k", t0 + 10s).has_value());
    BOOST_TEST(!limiter.spent("k", t0 + 60s).has_value());
}

BOOST_AUTO_TEST_CASE(memory_stays_bounded) {
    kryptod::http::rate_limiter limiter(1, 60s, 100);
    BOOST_TEST(limiter.capacity() == 100u);
    for (int i = 0; i < 1000; ++i) {
        limiter.hit("addr" + std::to_string(i), t0 + std::chrono::milliseconds(i));
        BOOST_TEST_REQUIRE(limiter.size() <= 100u);
    }
    BOOST_TEST(limiter.size() == 100u);
    // The most recent keys are still limited.
    BOOST_TEST(limiter.hit("addr999", t0 + 2s).has_value());
    BOOST_TEST(limiter.hit("addr900", t0 + 2s).has_value());
    // The oldest were forgotten.
    BOOST_TEST(!limiter.hit("addr0", t0 + 2s).has_value());
}

BOOST_AUTO_TEST_CASE(a_full_table_forgets_the_oldest_window_first) {
    kryptod::http::rate_limiter limiter(1, 60s, 2);
    BOOST_TEST(!limiter.hit("a", t0).has_value());
    BOOST_TEST(!limiter.hit("b", t0 + 30s).has_value());
    // a's window has ended: a new one starts and a becomes the youngest.
    BOOST_TEST(!limiter.hit("a", t0 + 61s).has_value());
    // Full: c pushes out b, whose window is now the oldest.
    BOOST_TEST(!limiter.hit("c", t0 + 62s).has_value());
    BOOST_TEST(limiter.size() == 2u);
    BOOST_TEST(limiter.hit("a", t0 + 63s).has_value());
    BOOST_TEST(limiter.hit("c", t0 + 63s).has_value());
    BOOST_TEST(!limiter.hit("b", t0 + 64s).has_value()); // forgotten, so allowed
}

BOOST_AUTO_TEST_CASE(ended_windows_drain_without_a_sweep) {
    kryptod::http::rate_limiter limiter(5, 60s, 1000);
    for (int i = 0; i < 100; ++i)
        limiter.hit("old" + std::to_string(i), t0);
    BOOST_TEST(limiter.size() == 100u);
    // Each later call drops a few ended windows; none is kept for long.
    for (int i = 0; i < 60; ++i)
        limiter.hit("live", t0 + 61s);
    BOOST_TEST(limiter.size() == 1u);
}

BOOST_AUTO_TEST_CASE(long_keys_are_shortened_but_stay_distinct) {
    kryptod::http::rate_limiter limiter(1);
    std::string const shared(64 * 1024, 'x');
    auto const a = shared + "a";
    auto const b = shared + "b";
    BOOST_TEST(!limiter.hit(a, t0).has_value());
    BOOST_TEST(limiter.hit(a, t0).has_value());
    BOOST_TEST(!limiter.hit(b, t0).has_value());
    // A short key equal to a long one's kept prefix is another key.
    BOOST_TEST(!limiter.hit(shared.substr(0, kryptod::http::rate_limiter::max_key_length - 17), t0)
                    .has_value());
    BOOST_TEST(limiter.size() == 3u);
}

BOOST_AUTO_TEST_CASE(concurrent_callers_get_exact_counts_and_the_bound) {
    constexpr std::uint32_t limit = 100;
    constexpr std::size_t capacity = 1000;
    kryptod::http::rate_limiter shared(limit, 60s, capacity);
    kryptod::http::rate_limiter flooded(1, 60s, capacity);
    std::atomic<int> allowed{0};
    std::atomic<bool> over_bound{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5000; ++i) {
                if (!shared.hit("one key", t0 + std::chrono::milliseconds(i))) allowed.fetch_add(1);
                std::string key = "k"; // appended: GCC 12 misreads `"k" + to_string()`
                key.append(std::to_string(t)).append("-").append(std::to_string(i));
                flooded.hit(key, t0 + std::chrono::milliseconds(i));
                if (flooded.size() > capacity) over_bound = true;
            }
        });
    for (auto& th : threads)
        th.join();
    BOOST_TEST(allowed.load() == static_cast<int>(limit));
    BOOST_TEST(!over_bound.load());
    BOOST_TEST(flooded.size() == capacity);
}

BOOST_AUTO_TEST_CASE(zero_limit_window_or_capacity_is_refused) {
    BOOST_CHECK_THROW(kryptod::http::rate_limiter(0), std::invalid_argument);
    BOOST_CHECK_THROW(kryptod::http::rate_limiter(1, 0s), std::invalid_argument);
    BOOST_CHECK_THROW(kryptod::http::rate_limiter(1, 60s, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
