// Tests of notify::circuit_breaker: a destination that stops answering is
// skipped after the threshold, probed once after the cooldown, closed by
// any answer; other destinations never notice.
#include "daemon/notify/circuit_breaker.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::daemon::notify;
using namespace std::chrono_literals;
using breaker = kryptod::daemon::notify::circuit_breaker;
using verdict = breaker::verdict;

BOOST_AUTO_TEST_SUITE(circuit_breaker)

BOOST_AUTO_TEST_CASE(silence_trips_it_an_answer_closes_it) {
    breaker b(breaker_options{3, 1000ms, 4000ms});
    std::string const tarpit = "webhook http://tarpit:80";
    std::string const fine = "webhook https://fine:443";
    for (int i = 0; i < 2; ++i) {
        BOOST_TEST((b.admit(tarpit, 0) == verdict::pass));
        b.record(tarpit, false, 0);
    }
    BOOST_TEST((b.admit(tarpit, 0) == verdict::pass)); // two silences are not yet a pattern
    b.record(tarpit, false, 10);
    BOOST_TEST((b.admit(tarpit, 11) == verdict::skip));
    BOOST_TEST((b.admit(tarpit, 1009) == verdict::skip));
    BOOST_TEST((b.admit(fine, 11) == verdict::pass)); // nobody else is affected

    // After the cooldown one probe, the others wait for it.
    BOOST_TEST((b.admit(tarpit, 1010) == verdict::probe));
    BOOST_TEST((b.admit(tarpit, 1010) == verdict::wait));
    b.record(tarpit, false, 1500); // still silent: twice as long
    BOOST_TEST((b.admit(tarpit, 3499) == verdict::skip));
    BOOST_TEST((b.admit(tarpit, 3500) == verdict::probe));
    b.record(tarpit, false, 3500);
    b.admit(tarpit, 7500);
    b.record(tarpit, false, 7500); // capped at max_cooldown
    BOOST_TEST((b.admit(tarpit, 11499) == verdict::skip));
    BOOST_TEST((b.admit(tarpit, 11500) == verdict::probe));

    b.record(tarpit, true, 11600); // an answer of any kind closes it
    BOOST_TEST((b.admit(tarpit, 11601) == verdict::pass));
    BOOST_TEST(b.tracked() == 0u);
}

BOOST_AUTO_TEST_CASE(an_answer_between_silences_resets_the_count) {
    breaker b(breaker_options{2, 1000ms, 1000ms});
    b.record("d", false, 0);
    b.record("d", true, 1);
    b.record("d", false, 2);
    BOOST_TEST((b.admit("d", 3) == verdict::pass));
    b.record("d", false, 3);
    BOOST_TEST((b.admit("d", 4) == verdict::skip));
}

BOOST_AUTO_TEST_SUITE_END()
