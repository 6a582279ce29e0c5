// Tests of core/alert_slots.hpp: the open-addressing id map against
// std::unordered_map under random inserts and removals.
#include "core/alert_slots.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <unordered_map>

namespace core = kryptod::core;

BOOST_AUTO_TEST_SUITE(alert_slots)

BOOST_AUTO_TEST_CASE(basic_operations) {
    core::alert_slots map;
    BOOST_TEST(map.find(1) == nullptr);
    BOOST_TEST(!map.erase(1));
    BOOST_TEST(map.insert(1, 10));
    BOOST_TEST(!map.insert(1, 11)); // present: unchanged
    BOOST_TEST(*map.find(1) == 10u);
    BOOST_TEST(map.insert(-5, 3)); // any id but the reserved one
    BOOST_TEST(map.size() == 2u);
    BOOST_TEST(map.erase(1));
    BOOST_TEST(map.find(1) == nullptr);
    BOOST_TEST(*map.find(-5) == 3u);
    BOOST_TEST(map.size() == 1u);
}

// reserve() keeps what is there and makes room without changing lookups,
// whether called on an empty map, a filled one, or with less than its size.
BOOST_AUTO_TEST_CASE(reserve_keeps_entries) {
    core::alert_slots map;
    map.reserve(1000);
    for (core::alert_id id = 1; id <= 600; ++id)
        BOOST_REQUIRE(map.insert(id, static_cast<core::alert_slots::slot_number>(id * 2)));
    map.reserve(10); // less than the size: nothing to do
    map.reserve(100000);
    for (core::alert_id id = 601; id <= 5000; ++id)
        BOOST_REQUIRE(map.insert(id, static_cast<core::alert_slots::slot_number>(id * 2)));
    BOOST_TEST(map.size() == 5000u);
    for (core::alert_id id = 1; id <= 5000; ++id) {
        auto const* slot = map.find(id);
        BOOST_REQUIRE(slot != nullptr);
        BOOST_TEST(*slot == static_cast<core::alert_slots::slot_number>(id * 2));
    }
    BOOST_TEST(map.find(5001) == nullptr);
    BOOST_TEST(!map.insert(42, 0));
}

BOOST_AUTO_TEST_CASE(matches_unordered_map_under_churn) {
    // A small id range forces long probe runs, wrap-around at the end of
    // the table and many backward shifts on removal.
    std::mt19937_64 rng(99);
    core::alert_slots map;
    std::unordered_map<core::alert_id, std::uint32_t> model;
    for (int step = 0; step < 300000; ++step) {
        core::alert_id const id = static_cast<core::alert_id>(rng() % 5000) * 1024;
        if (rng() % 3 != 0) {
            auto const slot = static_cast<std::uint32_t>(rng());
            BOOST_REQUIRE(map.insert(id, slot) == model.emplace(id, slot).second);
        } else {
            BOOST_REQUIRE(map.erase(id) == (model.erase(id) == 1));
        }
        BOOST_REQUIRE(map.size() == model.size());
        if (step % 1000 == 0)
            for (core::alert_id probe = 0; probe < 5000 * 1024; probe += 1024) {
                auto const* found = map.find(probe);
                auto const it = model.find(probe);
                BOOST_REQUIRE((found == nullptr) == (it == model.end()));
                if (found) BOOST_REQUIRE(*found == it->second);
            }
    }
}

BOOST_AUTO_TEST_SUITE_END()
