// Tests of core/threshold_index.hpp: arming, cancelling, retargeting, what a
// tick or range fires, and the sorted structure against std::set under churn.
#include "core/threshold_index.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace core = kryptod::core;
using core::direction;
using core::price;
using index_t = core::threshold_index;

namespace {

price p(std::int64_t units) {
    return price::from_units(units);
}

std::vector<index_t::handle> ids(std::vector<index_t::hit> const& hits) {
    std::vector<index_t::handle> out;
    for (auto const& h : hits)
        out.push_back(h.id);
    return out;
}

// Coin 0 with above targets 110, 120, 130 (ids 1-3) and below targets 90, 80,
// 70 (ids 4-6).
struct ladder {
    index_t index;
    std::vector<index_t::hit> fired;
    ladder() {
        index.arm(0, direction::above, p(110), 1);
        index.arm(0, direction::above, p(120), 2);
        index.arm(0, direction::above, p(130), 3);
        index.arm(0, direction::below, p(90), 4);
        index.arm(0, direction::below, p(80), 5);
        index.arm(0, direction::below, p(70), 6);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(threshold_index)

BOOST_FIXTURE_TEST_CASE(tick_between_fronts_fires_nothing, ladder) {
    for (std::int64_t u = 91; u <= 109; ++u)
        BOOST_TEST(index.on_tick(0, p(u), fired) == 0u);
    BOOST_TEST(fired.empty());
    BOOST_TEST(index.size() == 6u);
    BOOST_TEST(index.front(0, direction::above)->units() == 110);
    BOOST_TEST(index.front(0, direction::below)->units() == 90);
}

BOOST_FIXTURE_TEST_CASE(equality_fires, ladder) {
    BOOST_TEST(index.on_tick(0, p(110), fired) == 1u);
    BOOST_TEST(ids(fired) == std::vector<index_t::handle>{1});
    BOOST_TEST((fired[0].side == direction::above));
    BOOST_TEST(fired[0].target.units() == 110);
    fired.clear();
    BOOST_TEST(index.on_tick(0, p(90), fired) == 1u);
    BOOST_TEST(ids(fired) == std::vector<index_t::handle>{4});
    BOOST_TEST((fired[0].side == direction::below));
}

BOOST_FIXTURE_TEST_CASE(a_jump_fires_every_target_passed_nearest_first, ladder) {
    BOOST_TEST(index.on_tick(0, p(125), fired) == 2u);
    BOOST_TEST(ids(fired) == (std::vector<index_t::handle>{1, 2}));
    BOOST_TEST(index.front(0, direction::above)->units() == 130);
    fired.clear();
    BOOST_TEST(index.on_tick(0, p(1), fired) == 3u);
    BOOST_TEST(ids(fired) == (std::vector<index_t::handle>{4, 5, 6}));
    BOOST_TEST(!index.front(0, direction::below));
    BOOST_TEST(index.size() == 1u);
    fired.clear();
    BOOST_TEST(index.on_tick(0, p(1), fired) == 0u); // fired entries are gone
}

BOOST_AUTO_TEST_CASE(all_alerts_at_one_price_fire_together) {
    index_t index;
    for (index_t::handle id = 1; id <= 1000; ++id)
        index.arm(3, direction::above, p(500), id);
    std::vector<index_t::hit> fired;
    BOOST_TEST(index.on_tick(3, p(499), fired) == 0u);
    BOOST_TEST(index.on_tick(3, p(500), fired) == 1000u);
    auto got = ids(fired);
    std::sort(got.begin(), got.end());
    for (std::size_t i = 0; i < got.size(); ++i)
        BOOST_REQUIRE(got[i] == i + 1);
    BOOST_TEST(index.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(coins_are_independent, ladder) {
    index.arm(1, direction::above, p(100), 9);
    BOOST_TEST(index.on_tick(1, p(200), fired) == 1u);
    BOOST_TEST(index.size(0) == 6u);
    BOOST_TEST(index.on_tick(7, p(200), fired) == 0u); // a coin with no alerts
    BOOST_TEST(index.on_tick(1000000, p(200), fired) == 0u);
}

BOOST_FIXTURE_TEST_CASE(disarm_and_duplicates, ladder) {
    BOOST_TEST(!index.arm(0, direction::above, p(120), 2)); // already there
    BOOST_TEST(index.arm(0, direction::below, p(120), 2));  // other side is another entry
    BOOST_TEST(index.disarm(0, direction::below, p(120), 2));
    BOOST_TEST(index.disarm(0, direction::above, p(110), 1));
    BOOST_TEST(!index.disarm(0, direction::above, p(110), 1));
    BOOST_TEST(!index.disarm(0, direction::above, p(120), 3)); // wrong target for id 3
    BOOST_TEST(!index.disarm(5, direction::above, p(120), 2)); // unknown coin
    BOOST_TEST(index.front(0, direction::above)->units() == 120);
    BOOST_TEST(index.on_tick(0, p(115), fired) == 0u); // the cancelled one does not fire
    BOOST_TEST(index.size() == 5u);
}

BOOST_FIXTURE_TEST_CASE(retarget_moves_an_entry, ladder) {
    BOOST_TEST(index.retarget(0, direction::above, p(130), direction::above, p(105), 3));
    BOOST_TEST(index.front(0, direction::above)->units() == 105);
    BOOST_TEST(index.retarget(0, direction::above, p(105), direction::below, p(95), 3));
    BOOST_TEST(index.front(0, direction::below)->units() == 95);
    BOOST_TEST(!index.retarget(0, direction::above, p(105), direction::below, p(95), 3));
    BOOST_TEST(!index.retarget(0, direction::below, p(95), direction::below, p(80), 5));
    BOOST_TEST(index.contains(0, direction::below, p(95), 3));
    BOOST_TEST(index.on_tick(0, p(96), fired) == 0u);
    BOOST_TEST(index.on_tick(0, p(95), fired) == 1u);
    BOOST_TEST(fired.back().id == 3u);
}

BOOST_FIXTURE_TEST_CASE(range_fires_both_sides, ladder) {
    BOOST_TEST(index.on_range(0, p(85), p(115), fired) == 2u);
    BOOST_TEST(ids(fired) == (std::vector<index_t::handle>{1, 4}));
    fired.clear();
    BOOST_TEST(index.on_range(0, p(86), p(119), fired) == 0u);
    BOOST_TEST(index.on_range(0, p(60), p(200), fired) == 4u);
    BOOST_TEST(index.size() == 0u);
}

BOOST_AUTO_TEST_CASE(shared_targets_cancel_by_key) {
    // Half a million entries at one target: each cancel is a keyed search.
    index_t index;
    constexpr index_t::handle n = 500000;
    for (index_t::handle id = 0; id < n; ++id)
        index.arm(0, direction::below, p(7), id);
    for (index_t::handle id = 1; id < n; id += 2)
        BOOST_REQUIRE(index.disarm(0, direction::below, p(7), id));
    BOOST_TEST(index.size() == n / 2);
    std::vector<index_t::hit> fired;
    BOOST_TEST(index.on_tick(0, p(7), fired) == n / 2);
    for (auto const& h : fired)
        BOOST_REQUIRE(h.id % 2 == 0);
}

BOOST_AUTO_TEST_CASE(matches_a_sorted_set_under_churn) {
    // Random arms, cancels and ticks on one side against std::set, forcing
    // many chunk splits, merges and pops.
    std::mt19937_64 rng(7);
    index_t index;
    std::set<std::pair<std::int64_t, index_t::handle>> above, below;
    std::uniform_int_distribution<std::int64_t> target(0, 20000);
    std::vector<index_t::hit> fired;
    index_t::handle next = 0;
    for (int step = 0; step < 200000; ++step) {
        auto const r = rng() % 100;
        if (r < 55) {
            auto const t = target(rng);
            auto const side = rng() % 2 ? direction::above : direction::below;
            BOOST_REQUIRE(index.arm(0, side, p(t), next));
            (side == direction::above ? above : below).insert({t, next});
            ++next;
        } else if (r < 90) {
            auto& set = rng() % 2 ? above : below;
            if (set.empty()) continue;
            auto it = set.lower_bound({target(rng), 0});
            if (it == set.end()) it = set.begin();
            auto const side = &set == &above ? direction::above : direction::below;
            BOOST_REQUIRE(index.disarm(0, side, p(it->first), it->second));
            set.erase(it);
        } else {
            // A tick near one of the fronts fires a few entries.
            auto const t = above.empty() || rng() % 2
                               ? (below.empty() ? 10000 : below.rbegin()->first - 3)
                               : above.begin()->first + 3;
            fired.clear();
            index.on_tick(0, p(t), fired);
            std::vector<index_t::handle> expected;
            while (!above.empty() && above.begin()->first <= t) {
                expected.push_back(above.begin()->second);
                above.erase(above.begin());
            }
            while (!below.empty() && below.rbegin()->first >= t) {
                expected.push_back(below.rbegin()->second);
                below.erase(std::prev(below.end()));
            }
            auto got = ids(fired);
            std::sort(got.begin(), got.end());
            std::sort(expected.begin(), expected.end());
            BOOST_REQUIRE(got == expected);
        }
        BOOST_REQUIRE(index.size() == above.size() + below.size());
        if (!above.empty())
            BOOST_REQUIRE(index.front(0, direction::above)->units() == above.begin()->first);
        if (!below.empty())
            BOOST_REQUIRE(index.front(0, direction::below)->units() == below.rbegin()->first);
    }
    for (auto const& [t, id] : above)
        BOOST_REQUIRE(index.contains(0, direction::above, p(t), id));
    for (auto const& [t, id] : below)
        BOOST_REQUIRE(index.contains(0, direction::below, p(t), id));
}

BOOST_AUTO_TEST_SUITE_END()
