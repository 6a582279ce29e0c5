// Tests of core/move_index.hpp through the evaluator that owns it
// (core::alert_book): the exact edges of move alerts (SPEC §8) as a user
// would see them in fired alerts.
#include "core/alert_book.hpp"
#include "core/move_index.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace core = kryptod::core;
using core::alert_id;
using core::arm_outcome;
using core::millis;
using core::move_direction;
using core::price;
using core::repeat_mode;

namespace {

price p(std::int64_t units) {
    return price::from_units(units);
}

constexpr millis minute = 60'000;
constexpr millis hour = 60 * minute;

// A book with coin BTCUSDT (id 0) and ETHUSDT (id 1).
struct move_fixture {
    core::alert_book book;
    std::vector<core::fired_alert> fired;
    std::vector<alert_id> expired;
    core::symbol_id btc = book.symbols().intern("BTCUSDT");
    core::symbol_id eth = book.symbols().intern("ETHUSDT");

    core::alert_terms move(alert_id id, move_direction side, std::int64_t percent,
                           millis window = minute, repeat_mode repeat = repeat_mode::once) const {
        core::alert_terms t;
        t.id = id;
        t.symbol = btc;
        t.kind = core::alert_kind::move;
        t.move_side = side;
        t.move_percent = percent;
        t.window = window;
        t.repeat = repeat;
        t.cooldown = minute;
        return t;
    }

    // Ticks BTC at `units` with exchange time `time` (detected then too);
    // returns the fired ids, sorted.
    std::vector<alert_id> tick(std::int64_t units, millis time, bool backfilled = false) {
        fired.clear();
        book.on_tick(core::tick{btc, p(units), time, backfilled}, time, fired);
        return fired_ids();
    }

    std::vector<alert_id> range(std::int64_t low, std::int64_t high, millis time) {
        fired.clear();
        book.on_range(btc, p(low), p(high), time, time, fired);
        return fired_ids();
    }

    std::vector<alert_id> fired_ids() const {
        std::vector<alert_id> out;
        for (auto const& f : fired)
            out.push_back(f.id);
        std::sort(out.begin(), out.end());
        return out;
    }

    std::vector<alert_id> pass_time(millis now) {
        expired.clear();
        book.on_time(now, expired);
        return expired;
    }
};

using ids = std::vector<alert_id>;

} // namespace

BOOST_AUTO_TEST_SUITE(move_index)

BOOST_AUTO_TEST_CASE(exact_comparison) {
    // 5 % up from 1.00000000 is exactly 1.05000000; one unit less is not.
    BOOST_TEST(core::moved(move_direction::up, 105'000'000, 100'000'000, 500));
    BOOST_TEST(!core::moved(move_direction::up, 104'999'999, 100'000'000, 500));
    BOOST_TEST(core::moved(move_direction::down, 95'000'000, 100'000'000, 500));
    BOOST_TEST(!core::moved(move_direction::down, 95'000'001, 100'000'000, 500));
    // No overflow at the largest prices and percents.
    constexpr std::int64_t max = INT64_MAX;
    BOOST_TEST(!core::moved(move_direction::up, max, max, 1));
    BOOST_TEST(core::moved(move_direction::up, max, max / 11, 100'000));
    // A fall of more than 100 % cannot happen to a positive price.
    BOOST_TEST(!core::moved(move_direction::down, 0, 100'000'000, 10'001));
    BOOST_TEST(core::moved(move_direction::down, 0, 100'000'000, 10'000));
}

BOOST_FIXTURE_TEST_CASE(up_fires_at_exactly_the_percent, move_fixture) {
    BOOST_TEST((book.arm(move(1, move_direction::up, 500), 1000) == arm_outcome::armed));
    BOOST_TEST(tick(100'000'000, 2000).empty());
    BOOST_TEST(tick(104'999'999, 3000).empty());
    BOOST_TEST(tick(105'000'000, 4000) == ids{1});
    auto const& f = fired.front();
    BOOST_TEST(f.at.units() == 105'000'000);
    BOOST_TEST(f.exchange_time == 4000);
    BOOST_TEST(f.final);
    BOOST_REQUIRE(f.reference_price);
    BOOST_TEST(f.reference_price->units() == 100'000'000);
    BOOST_TEST(f.reference_time == 2000);
    BOOST_TEST(!book.contains(1));
}

BOOST_FIXTURE_TEST_CASE(down_fires_at_exactly_the_percent, move_fixture) {
    book.arm(move(1, move_direction::down, 500), 1000);
    book.arm(move(2, move_direction::down, 501), 1000);
    BOOST_TEST(tick(200'000'000, 2000).empty());
    BOOST_TEST(tick(190'000'001, 3000).empty());
    BOOST_TEST(tick(190'000'000, 4000) == ids{1});
    BOOST_TEST(fired.front().reference_price->units() == 200'000'000);
    BOOST_TEST(fired.front().reference_time == 2000);
    BOOST_TEST(tick(189'980'000, 5000) == ids{2}); // 200 x (1 - 5.01 %)
}

BOOST_FIXTURE_TEST_CASE(the_latest_of_equal_lows_is_the_reference, move_fixture) {
    book.arm(move(1, move_direction::up, 100), 0);
    tick(1000, 1000);
    tick(1005, 2000);
    tick(1000, 3000);
    BOOST_TEST(tick(1010, 4000) == ids{1});
    BOOST_TEST(fired.front().reference_time == 3000);
}

BOOST_FIXTURE_TEST_CASE(equal_times_count_in_stream_order, move_fixture) {
    book.arm(move(1, move_direction::up, 500), 0);
    // One trade never moves against itself.
    BOOST_TEST(tick(100, 5000).empty());
    // A trade with the same time that came first is before it.
    BOOST_TEST(tick(105, 5000) == ids{1});
    BOOST_TEST(fired.front().reference_time == 5000);
}

BOOST_FIXTURE_TEST_CASE(a_point_exactly_a_window_old_still_counts, move_fixture) {
    book.arm(move(1, move_direction::up, 500), 0);
    tick(100, 10'000);
    tick(104, 40'000);
    BOOST_TEST(tick(105, 10'000 + minute) == ids{1});
    BOOST_TEST(fired.front().reference_price->units() == 100);

    book.arm(move(2, move_direction::up, 500), 100'000);
    tick(100, 110'000);
    tick(104, 140'000);
    // One millisecond later the low of 100 has left: 104 is the low, and
    // 109 < 104 x 1.05 = 109.2.
    BOOST_TEST(tick(109, 110'001 + minute).empty());
    // Once 104 has left too, 109 is the low: 115 >= 109 x 1.05 = 114.45.
    BOOST_TEST(tick(115, 140'001 + minute) == ids{2});
    BOOST_TEST(fired.front().reference_price->units() == 109);
    BOOST_TEST(fired.front().reference_time == 110'001 + minute);
}

BOOST_FIXTURE_TEST_CASE(a_move_before_the_arm_does_not_fire, move_fixture) {
    tick(100, 1000);
    book.arm(move(1, move_direction::up, 500), 1500);
    // 105 is 5 % over 100, but 100 traded before the alert was armed.
    BOOST_TEST(tick(105, 2000).empty());
    BOOST_TEST(tick(110, 3000).empty()); // 105 x 1.05 = 110.25
    BOOST_TEST(tick(111, 4000) == ids{1});
    BOOST_TEST(fired.front().reference_price->units() == 105);
    BOOST_TEST(fired.front().reference_time == 2000);
}

BOOST_FIXTURE_TEST_CASE(a_trade_before_the_arm_time_never_fires, move_fixture) {
    tick(100, 7000);
    book.arm(move(1, move_direction::up, 500), 6000);
    // Replayed late: counts at the window clock (8000), after the arm, but
    // it traded at 5900, before the alert existed.
    BOOST_TEST(tick(100, 8000).empty());
    BOOST_TEST(tick(105, 5900, true).empty());
    BOOST_TEST(tick(105, 9000) == ids{1});
    BOOST_TEST(fired.front().reference_price->units() == 100);
    BOOST_TEST(fired.front().reference_time == 8000);
}

BOOST_FIXTURE_TEST_CASE(backfilled_trades_count_like_live_ones, move_fixture) {
    book.arm(move(1, move_direction::down, 1000), 0);
    BOOST_TEST(tick(1000, 1000, true).empty());
    BOOST_TEST(tick(900, 2000, true) == ids{1});
    BOOST_TEST(fired.front().backfilled);
}

BOOST_FIXTURE_TEST_CASE(the_window_starts_afresh_after_a_fire, move_fixture) {
    book.arm(move(1, move_direction::up, 500, hour, repeat_mode::every), 0);
    tick(100'000, 1000);
    BOOST_TEST(tick(105'000, 2000) == ids{1});
    BOOST_TEST(!fired.front().final);
    BOOST_TEST(book.contains(1));
    BOOST_TEST(!book.armed(1));
    // Resting: no fire however far it moves.
    BOOST_TEST(tick(120'000, 3000).empty());
    BOOST_TEST(pass_time(2000 + minute).empty());
    BOOST_TEST(book.armed(1));
    // The window starts at the firing trade: 100,000 is no longer in it.
    BOOST_TEST(tick(110'249, 70'000).empty());
    BOOST_TEST(tick(110'250, 71'000) == ids{1});
    BOOST_TEST(fired.front().reference_price->units() == 105'000);
    BOOST_TEST(fired.front().reference_time == 2000);
}

BOOST_FIXTURE_TEST_CASE(every_waits_for_its_cooldown, move_fixture) {
    auto t = move(1, move_direction::down, 200, 5 * minute, repeat_mode::every);
    t.cooldown = 2 * minute;
    book.arm(t, 0);
    tick(1000, 1000);
    BOOST_TEST(tick(980, 2000) == ids{1});
    BOOST_TEST(tick(900, 3000).empty());
    BOOST_TEST(pass_time(2000 + minute).empty());
    BOOST_TEST(tick(800, 4000 + minute).empty());
    pass_time(2000 + 2 * minute);
    // Back on watch: the window since the fire holds 980 as its high.
    BOOST_TEST(tick(961, 3000 + 2 * minute).empty()); // 980 x 0.98 = 960.4
    BOOST_TEST(tick(960, 4000 + 2 * minute) == ids{1});
    BOOST_TEST(fired.front().reference_price->units() == 980);
}

BOOST_FIXTURE_TEST_CASE(expiry, move_fixture) {
    auto t = move(1, move_direction::up, 100);
    t.expires_at = 5000;
    book.arm(t, 0);
    tick(1000, 1000);
    BOOST_TEST(tick(1010, 5000).empty()); // at expires_at: lapsed
    BOOST_TEST(pass_time(5000) == ids{1});
    BOOST_TEST(!book.contains(1));
}

BOOST_FIXTURE_TEST_CASE(disarm_and_update, move_fixture) {
    book.arm(move(1, move_direction::up, 500), 0);
    book.arm(move(2, move_direction::up, 500), 0);
    tick(100, 1000);
    BOOST_TEST(book.disarm(1));
    BOOST_TEST(!book.disarm(1));
    // The update re-arms at 1500: the window restarts there.
    BOOST_TEST((book.update(move(2, move_direction::up, 400), 1500) == arm_outcome::armed));
    BOOST_TEST(tick(104, 2000).empty());
    BOOST_TEST(tick(108, 3000).empty()); // 104 x 1.04 = 108.16
    BOOST_TEST(tick(109, 4000) == ids{2});
    BOOST_TEST(fired.front().reference_price->units() == 104);
    BOOST_TEST(book.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(invalid_terms_are_refused, move_fixture) {
    BOOST_TEST((book.arm(move(1, move_direction::up, 0), 0) == arm_outcome::invalid_terms));
    BOOST_TEST((book.arm(move(1, move_direction::up, 100'001), 0) == arm_outcome::invalid_terms));
    BOOST_TEST((book.arm(move(1, move_direction::up, 1, 59'999), 0) == arm_outcome::invalid_terms));
    BOOST_TEST(
        (book.arm(move(1, move_direction::up, 1, 24 * hour + 1), 0) == arm_outcome::invalid_terms));
    BOOST_TEST(
        (book.arm(move(1, move_direction::up, 100'000, 24 * hour), 0) == arm_outcome::armed));
    BOOST_TEST(book.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(windows_of_other_coins_and_lengths_are_apart, move_fixture) {
    book.arm(move(1, move_direction::up, 500, minute), 0);
    book.arm(move(2, move_direction::up, 500, 2 * minute), 0);
    auto eth_alert = move(3, move_direction::up, 500, minute);
    eth_alert.symbol = eth;
    book.arm(eth_alert, 0);
    tick(100, 1000);
    BOOST_TEST(tick(104, 1000 + minute + 1).empty());
    // 100 left the one-minute window but not the two-minute one.
    BOOST_TEST(tick(105, 1000 + minute + 2) == ids{2});
    fired.clear();
    book.on_tick(core::tick{eth, p(100), 1000 + minute + 3, false}, 0, fired);
    BOOST_TEST(fired.empty());
}

BOOST_FIXTURE_TEST_CASE(a_range_is_measured_against_the_window_before_it, move_fixture) {
    book.arm(move(1, move_direction::up, 500), 0);
    book.arm(move(2, move_direction::down, 500), 0);
    // Its own low is not the reference of its own high.
    BOOST_TEST(range(100, 200, 1000).empty());
    // Window: 100 (low) and 200 (high). Up fires on high 105 = 100 x 1.05;
    // down fires on low 190 = 200 x 0.95.
    BOOST_TEST((range(190, 200, 2000) == ids{1, 2}));
    for (auto const& f : fired) {
        BOOST_TEST(f.backfilled);
        BOOST_TEST(f.exchange_time == 2000);
        BOOST_TEST(f.reference_time == 1000);
        BOOST_TEST(f.at.units() == (f.id == 1 ? 200 : 190));
        BOOST_TEST(f.reference_price->units() == (f.id == 1 ? 100 : 200));
    }
}

BOOST_FIXTURE_TEST_CASE(a_move_across_a_restart_fires_from_the_seeded_minutes, move_fixture) {
    // Before the restart: armed at 0; minutes 0 and 1 traded 100..101.
    auto const t = move(1, move_direction::up, 500, hour);
    core::alert_book restarted;
    restarted.symbols().intern("BTCUSDT");
    BOOST_TEST((restarted.restore(t, 0, std::nullopt, 3 * minute) == arm_outcome::armed));
    auto late = move(2, move_direction::up, 500, hour);
    restarted.restore(late, 2 * minute, std::nullopt, 3 * minute);
    restarted.seed_minute(btc, 0, p(100), p(101));
    restarted.seed_minute(btc, minute, p(102), p(103));
    // After the restart the price reaches 105: 5 % over the seeded low.
    fired.clear();
    restarted.on_tick(core::tick{btc, p(105), 3 * minute, false}, 3 * minute, fired);
    BOOST_TEST(fired_ids() == ids{1});
    BOOST_TEST(fired.front().reference_price->units() == 100);
    BOOST_TEST(fired.front().reference_time == minute - 1); // minute 0's last millisecond
    // Alert 2 was armed after those minutes: they are not in its window.
    BOOST_TEST(restarted.contains(2));
}

BOOST_FIXTURE_TEST_CASE(a_restored_fire_rests_and_starts_afresh, move_fixture) {
    core::alert_book restarted;
    restarted.symbols().intern("BTCUSDT");
    auto const t = move(1, move_direction::up, 500, hour, repeat_mode::every);
    // Fired at 30 minutes, cooldown one minute, restarted at 31 minutes.
    restarted.restore(t, 0, 30 * minute, 30 * minute + 30'000);
    BOOST_TEST(!restarted.armed(1));
    restarted.seed_minute(btc, 29 * minute, p(100), p(100));
    restarted.seed_minute(btc, 30 * minute, p(104), p(104));
    std::vector<alert_id> expired;
    restarted.on_time(31 * minute, expired);
    BOOST_TEST(restarted.armed(1));
    fired.clear();
    // The window starts at the last fire: 100 (minute 29) is not in it.
    restarted.on_tick(core::tick{btc, p(106), 31 * minute + 1, false}, 31 * minute + 1, fired);
    BOOST_TEST(fired.empty());
    restarted.on_tick(core::tick{btc, p(110), 31 * minute + 2, false}, 31 * minute + 2, fired);
    BOOST_TEST(fired_ids() == ids{1});
    BOOST_TEST(fired.front().reference_price->units() == 104);
}

BOOST_FIXTURE_TEST_CASE(price_and_move_alerts_fire_on_one_tick, move_fixture) {
    core::alert_terms price_alert;
    price_alert.id = 1;
    price_alert.symbol = btc;
    price_alert.target = p(105);
    price_alert.side = core::direction::above;
    book.arm(price_alert, 0);
    book.arm(move(2, move_direction::up, 500), 0);
    tick(100, 1000);
    BOOST_TEST((tick(105, 2000) == ids{1, 2}));
    for (auto const& f : fired)
        BOOST_TEST(f.reference_price.has_value() == (f.id == 2));
}

BOOST_FIXTURE_TEST_CASE(many_alerts_share_windows, move_fixture) {
    // 200 alerts of percents 0.01 % .. 2.00 %: a 1 % rise fires exactly the
    // 100 smallest, in one tick.
    for (alert_id id = 1; id <= 200; ++id)
        book.arm(move(id, move_direction::up, id), 0);
    tick(10'000'000, 1000);
    BOOST_TEST(tick(10'100'000, 3000).size() == 100u);
    BOOST_TEST(book.size() == 100u);
    BOOST_TEST(book.moves().window_points(btc) > 0u);
    for (alert_id id = 101; id <= 200; ++id)
        book.disarm(id);
    // No alert left: the coin's window state is gone.
    BOOST_TEST(book.moves().window_points(btc) == 0u);
    BOOST_TEST(!book.moves().watched(btc));
}

BOOST_AUTO_TEST_SUITE_END()
