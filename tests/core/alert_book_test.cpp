// Tests of core/alert_book.hpp: the whole firing rule (repeat once and every,
// cooldown and crossing back, expiry, armed-before-trade, ranges).
#include "core/alert_book.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <vector>

namespace core = kryptod::core;
using core::alert_id;
using core::arm_outcome;
using core::direction;
using core::millis;
using core::price;
using core::repeat_mode;

namespace {

price p(std::int64_t units) {
    return price::from_units(units);
}

// A book with coin BTCUSDT (id 0) and ETHUSDT (id 1); time starts at 1000.
struct book_fixture {
    core::alert_book book;
    std::vector<core::fired_alert> fired;
    std::vector<alert_id> expired;
    core::symbol_id btc = book.symbols().intern("BTCUSDT");
    core::symbol_id eth = book.symbols().intern("ETHUSDT");

    core::alert_terms terms(alert_id id, std::int64_t target, direction side,
                            repeat_mode repeat = repeat_mode::once) const {
        core::alert_terms t;
        t.id = id;
        t.symbol = btc;
        t.target = p(target);
        t.side = side;
        t.repeat = repeat;
        t.cooldown = 60'000;
        return t;
    }

    // Ticks BTC at `units` with exchange time = now; returns the fired ids.
    std::vector<alert_id> tick(std::int64_t units, millis now) {
        fired.clear();
        book.on_tick(core::tick{btc, p(units), now, false}, now, fired);
        std::vector<alert_id> ids;
        for (auto const& f : fired)
            ids.push_back(f.id);
        std::sort(ids.begin(), ids.end());
        return ids;
    }

    std::vector<alert_id> pass_time(millis now) {
        expired.clear();
        book.on_time(now, expired);
        return expired;
    }
};

using ids = std::vector<alert_id>;

} // namespace

BOOST_AUTO_TEST_SUITE(alert_book)

BOOST_FIXTURE_TEST_CASE(arm_refusals, book_fixture) {
    BOOST_TEST((book.arm(terms(1, 100, direction::above), 1000) == arm_outcome::armed));
    BOOST_TEST((book.arm(terms(1, 200, direction::above), 1000) == arm_outcome::duplicate));
    auto lapsed = terms(2, 100, direction::above);
    lapsed.expires_at = 1000;
    BOOST_TEST((book.arm(lapsed, 1000) == arm_outcome::expired));
    auto unknown = terms(3, 100, direction::above);
    unknown.symbol = 99;
    BOOST_TEST((book.arm(unknown, 1000) == arm_outcome::unknown_symbol));
    BOOST_TEST(book.size() == 1u);
    BOOST_TEST(book.contains(1));
    BOOST_TEST(!book.contains(2));
}

BOOST_FIXTURE_TEST_CASE(once_fires_and_leaves, book_fixture) {
    book.arm(terms(1, 100, direction::above), 1000);
    book.arm(terms(2, 90, direction::below), 1000);
    BOOST_TEST(tick(95, 2000).empty());
    BOOST_TEST(tick(101, 3000) == ids{1});
    auto const& f = fired.front();
    BOOST_TEST(f.at.units() == 101);
    BOOST_TEST(f.exchange_time == 3000);
    BOOST_TEST(f.detected_at == 3000);
    BOOST_TEST(!f.backfilled);
    BOOST_TEST(f.final);
    BOOST_TEST(!book.contains(1));
    BOOST_TEST(tick(101, 4000).empty());
    BOOST_TEST(tick(90, 5000) == ids{2});
    BOOST_TEST(book.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(records_the_last_price, book_fixture) {
    tick(12345, 2000);
    auto const last = book.prices().get(btc);
    BOOST_REQUIRE(last);
    BOOST_TEST(last->last.units() == 12345);
    BOOST_TEST(last->time == 2000);
    BOOST_TEST(!book.prices().get(eth));
}

BOOST_FIXTURE_TEST_CASE(every_fires_once_while_hovering, book_fixture) {
    book.arm(terms(1, 100, direction::above, repeat_mode::every), 1000);
    BOOST_TEST(tick(100, 2000) == ids{1});
    BOOST_TEST(!fired.front().final);
    BOOST_TEST(book.contains(1));
    BOOST_TEST(!book.armed(1));
    // Hovering at and above the target, even long after the cooldown.
    for (millis t = 3000; t < 500'000; t += 1000) {
        BOOST_REQUIRE(tick(100 + t % 3, t).empty());
        pass_time(t);
    }
    BOOST_TEST(tick(99, 500'000).empty()); // back on the other side...
    BOOST_TEST(book.armed(1));             // ... and the cooldown is long over
    BOOST_TEST(tick(100, 501'000) == ids{1});
}

BOOST_FIXTURE_TEST_CASE(every_waits_for_the_cooldown_after_crossing_back, book_fixture) {
    book.arm(terms(1, 100, direction::below, repeat_mode::every), 1000);
    BOOST_TEST(tick(100, 2000) == ids{1});
    BOOST_TEST(tick(101, 3000).empty()); // crossed back, cooldown runs until 62000
    BOOST_TEST(tick(99, 4000).empty());
    pass_time(61'999);
    BOOST_TEST(tick(98, 61'999).empty());
    BOOST_TEST(!book.armed(1));
    pass_time(62'000);
    BOOST_TEST(book.armed(1));
    // The condition already holds: the next tick fires it.
    BOOST_TEST(tick(99, 62'001) == ids{1});
}

BOOST_FIXTURE_TEST_CASE(equality_is_not_crossing_back, book_fixture) {
    book.arm(terms(1, 100, direction::above, repeat_mode::every), 1000);
    BOOST_TEST(tick(105, 2000) == ids{1});
    pass_time(100'000);
    BOOST_TEST(tick(100, 100'000).empty()); // at the target is not the other side
    BOOST_TEST(!book.armed(1));
    BOOST_TEST(tick(99, 100'001).empty());
    BOOST_TEST(tick(100, 100'002) == ids{1});
}

BOOST_FIXTURE_TEST_CASE(trades_before_arming_do_not_fire, book_fixture) {
    book.arm(terms(1, 100, direction::above), 5000);
    fired.clear();
    // A replayed trade from before the alert existed.
    book.on_tick(core::tick{btc, p(150), 4999, true}, 6000, fired);
    BOOST_TEST(fired.empty());
    BOOST_TEST(book.armed(1));
    book.on_tick(core::tick{btc, p(150), 5000, true}, 6000, fired);
    BOOST_REQUIRE(fired.size() == 1u);
    BOOST_TEST(fired[0].backfilled);
    BOOST_TEST(fired[0].exchange_time == 5000);
    BOOST_TEST(fired[0].detected_at == 6000);
}

BOOST_FIXTURE_TEST_CASE(expired_alerts_never_fire, book_fixture) {
    auto t = terms(1, 100, direction::above);
    t.expires_at = 10'000;
    book.arm(t, 1000);
    auto t2 = terms(2, 100, direction::above, repeat_mode::every);
    t2.expires_at = 20'000;
    book.arm(t2, 1000);
    // At expiry but before on_time has run: still no fire.
    BOOST_TEST(tick(150, 10'000) == ids{2});
    BOOST_TEST(pass_time(9'999).empty());
    BOOST_TEST(pass_time(10'000) == ids{1});
    BOOST_TEST(!book.contains(1));
    BOOST_TEST(book.contains(2)); // cooling down, still expires
    BOOST_TEST(pass_time(25'000) == ids{2});
    BOOST_TEST(book.size() == 0u);
    BOOST_TEST(book.index().size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(range_backfill_fires_targets_within_reach, book_fixture) {
    book.arm(terms(1, 100, direction::above), 1000);
    book.arm(terms(2, 120, direction::above), 1000);
    book.arm(terms(3, 80, direction::below), 1000);
    book.arm(terms(4, 60, direction::below), 1000);
    fired.clear();
    BOOST_TEST(book.on_range(btc, p(70), p(110), 2000, 3000, fired) == 2u);
    std::sort(fired.begin(), fired.end(), [](auto& a, auto& b) { return a.id < b.id; });
    BOOST_TEST(fired[0].id == 1);
    BOOST_TEST(fired[0].at.units() == 100); // a range reports the target it reached
    BOOST_TEST(fired[0].backfilled);
    BOOST_TEST(fired[1].id == 3);
    BOOST_TEST(fired[1].at.units() == 80);
    BOOST_TEST(!book.prices().get(btc)); // a range is history, not the last price
    BOOST_TEST(book.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(every_fires_once_per_range, book_fixture) {
    book.arm(terms(1, 100, direction::above, repeat_mode::every), 1000);
    fired.clear();
    BOOST_TEST(book.on_range(btc, p(50), p(150), 2000, 2000, fired) == 1u);
    BOOST_TEST(book.on_range(btc, p(50), p(150), 3000, 3000, fired) == 0u); // crossed back
    pass_time(70'000);
    BOOST_TEST(book.on_range(btc, p(50), p(150), 70'000, 70'000, fired) == 1u);
}

BOOST_FIXTURE_TEST_CASE(disarm_and_update, book_fixture) {
    book.arm(terms(1, 100, direction::above, repeat_mode::every), 1000);
    BOOST_TEST(tick(100, 2000) == ids{1});
    // Updating re-arms at once, clearing the cooldown and the crossing.
    BOOST_TEST((book.update(terms(1, 100, direction::above, repeat_mode::every), 3000) ==
                arm_outcome::armed));
    BOOST_TEST(tick(100, 4000) == ids{1});
    BOOST_TEST((book.update(terms(1, 200, direction::above), 5000) == arm_outcome::armed));
    BOOST_TEST(tick(150, 6000).empty());
    BOOST_TEST(book.disarm(1));
    BOOST_TEST(!book.disarm(1));
    BOOST_TEST(tick(250, 7000).empty());
    BOOST_TEST(book.index().size() == 0u);
    // The freed slot is reused without confusing the old alert's timers.
    BOOST_TEST((book.arm(terms(2, 100, direction::above), 8000) == arm_outcome::armed));
    BOOST_TEST(pass_time(1'000'000).empty());
    BOOST_TEST(tick(100, 1'000'000) == ids{2});
}

BOOST_FIXTURE_TEST_CASE(many_alerts_at_one_price_all_fire, book_fixture) {
    for (alert_id id = 1; id <= 500; ++id)
        book.arm(terms(id, 100, direction::below), 1000);
    auto const got = tick(100, 2000);
    BOOST_TEST(got.size() == 500u);
    BOOST_TEST(book.size() == 0u);
}

BOOST_AUTO_TEST_CASE(terms_of_a_stored_alert) {
    core::alert a;
    a.id = 9;
    a.symbol = 2;
    a.target = p(5);
    a.side = direction::below;
    a.repeat = repeat_mode::every;
    a.cooldown_seconds = 120;
    a.expires_at = 77;
    auto const t = core::alert_terms::of(a);
    BOOST_TEST(t.id == 9);
    BOOST_TEST(t.symbol == 2u);
    BOOST_TEST(t.target.units() == 5);
    BOOST_TEST((t.side == direction::below));
    BOOST_TEST((t.repeat == repeat_mode::every));
    BOOST_TEST(t.cooldown == 120'000);
    BOOST_TEST(*t.expires_at == 77);
}

// After a restart, a repeat-every alert whose last fire was not followed by a
// change is put back in that fire's pause: no second notification for a
// price still at the target, even if the restart came after the cooldown.
BOOST_FIXTURE_TEST_CASE(restore_keeps_a_repeat_every_alert_in_its_pause, book_fixture) {
    // Fired at 5000 (cooldown 60 s, so until 65000); the daemon restarts at 10000.
    BOOST_TEST((book.restore(terms(1, 100, direction::above, repeat_mode::every), 1000, 5000,
                             10'000) == arm_outcome::armed));
    BOOST_TEST(book.contains(1));
    BOOST_TEST(!book.armed(1));
    BOOST_TEST(tick(100, 10'100).empty()); // still at the target: no second fire
    BOOST_TEST(tick(150, 10'200).empty());
    BOOST_TEST(tick(99, 10'300).empty()); // back across, but cooling
    BOOST_TEST(tick(120, 10'400).empty());
    pass_time(64'999);
    BOOST_TEST(tick(120, 64'999).empty());
    pass_time(65'000); // cooldown over, and it has crossed back: armed
    BOOST_TEST(book.armed(1));
    BOOST_TEST(tick(101, 65'100) == ids{1});
    BOOST_TEST(!book.armed(1)); // and paused again, as after any fire
}

BOOST_FIXTURE_TEST_CASE(restore_after_the_cooldown_still_needs_a_crossing, book_fixture) {
    // Fired at 5000; restarted long after its cooldown: it fires as soon as
    // the price has been back, without waiting for on_time().
    book.restore(terms(1, 100, direction::below, repeat_mode::every), 1000, 5000, 500'000);
    BOOST_TEST(!book.armed(1));
    BOOST_TEST(tick(100, 500'100).empty());
    BOOST_TEST(tick(90, 500'200).empty());
    BOOST_TEST(tick(101, 500'300).empty()); // strictly back above
    BOOST_TEST(book.armed(1));
    BOOST_TEST(tick(100, 500'400) == ids{1});
}

BOOST_FIXTURE_TEST_CASE(restore_without_a_pause_is_a_plain_arm, book_fixture) {
    // Never fired, or repeat once (re-armed by its owner): armed at once,
    // from armed_at, so that older trades still do not fire it.
    book.restore(terms(1, 100, direction::above, repeat_mode::every), 2000, std::nullopt, 9000);
    book.restore(terms(2, 100, direction::above, repeat_mode::once), 2000, 1500, 9000);
    BOOST_TEST(book.armed(1));
    BOOST_TEST(book.armed(2));
    fired.clear();
    book.on_tick(core::tick{btc, p(100), 1999, true}, 9000, fired);
    BOOST_TEST(fired.empty());
    BOOST_TEST(tick(100, 9100) == (ids{1, 2}));
    // Refusals are arm()'s, with expiry judged at armed_at.
    auto lapsed = terms(3, 100, direction::above, repeat_mode::every);
    lapsed.expires_at = 2000;
    BOOST_TEST((book.restore(lapsed, 2000, 1000, 9000) == arm_outcome::expired));
    BOOST_TEST((book.restore(terms(1, 100, direction::above, repeat_mode::every), 2000, 1000,
                             9000) == arm_outcome::duplicate));
    BOOST_TEST(!book.contains(3));
}

BOOST_FIXTURE_TEST_CASE(a_restored_pause_ends_with_its_alert, book_fixture) {
    // Disarmed (or updated) while paused, nothing of the pause is left: no
    // stale watcher fires it, and an update arms it afresh.
    book.restore(terms(1, 100, direction::above, repeat_mode::every), 1000, 5000, 6000);
    BOOST_TEST(book.disarm(1));
    BOOST_TEST(book.index().size() == 0u);
    book.restore(terms(1, 100, direction::above, repeat_mode::every), 1000, 5000, 6000);
    BOOST_TEST((book.update(terms(1, 100, direction::above, repeat_mode::every), 7000) ==
                arm_outcome::armed));
    BOOST_TEST(tick(100, 7100) == ids{1});
}

BOOST_AUTO_TEST_SUITE_END()
