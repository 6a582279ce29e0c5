// The text of a page of candles equals what a Boost.JSON document of the
// same page serialises to (the serialiser it replaced), for random candles,
// times and prices at the edges of their formats.
#include "core/rfc3339.hpp"
#include "daemon/api/candle_json.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <random>

using namespace kryptod;
namespace json = boost::json;
namespace candles = kryptod::storage::candle_store;

namespace {

// The page as the document the API used to build.
json::object reference(std::string const& symbol, storage::page<candles::candle> const& p,
                       storage::page_request const& req) {
    json::array items;
    for (auto const& c : p.items)
        items.push_back(json::object{{"symbol", symbol},
                                     {"time", core::format_rfc3339(c.time)},
                                     {"price", c.close.to_string()},
                                     {"open", c.open.to_string()},
                                     {"high", c.high.to_string()},
                                     {"low", c.low.to_string()}});
    return {{"items", std::move(items)},
            {"total", p.total},
            {"limit", req.limit},
            {"offset", req.offset}};
}

std::string rfc3339_of(core::millis t) {
    std::string out;
    daemon::api::append_rfc3339(out, t);
    return out;
}

std::string price_of(std::int64_t units) {
    std::string out;
    daemon::api::append_price(out, core::price::from_units(units));
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(candle_json)

BOOST_AUTO_TEST_CASE(times_read_as_format_rfc3339_writes_them) {
    std::mt19937_64 rng(3);
    constexpr core::millis year_10000 = 253'402'300'800'000;
    std::uniform_int_distribution<core::millis> any(-year_10000, 2 * year_10000);
    std::vector<core::millis> times{0,          -1,
                                    1,          59'999,
                                    60'000,     86'399'999,
                                    86'400'000, year_10000 - 1,
                                    year_10000, 1'764'547'200'000};
    for (int i = 0; i < 20'000; ++i) {
        auto const t = any(rng);
        times.push_back(t);
        times.push_back(t / 60'000 * 60'000);
    }
    for (auto t : times)
        BOOST_TEST(rfc3339_of(t) == core::format_rfc3339(t), t);
}

BOOST_AUTO_TEST_CASE(prices_read_as_to_string_writes_them) {
    std::mt19937_64 rng(5);
    std::vector<std::int64_t> units{0,
                                    1,
                                    -1,
                                    10,
                                    100'000'000,
                                    -100'000'000,
                                    123'456'789,
                                    std::numeric_limits<std::int64_t>::max(),
                                    std::numeric_limits<std::int64_t>::min()};
    std::uniform_int_distribution<std::int64_t> any(std::numeric_limits<std::int64_t>::min(),
                                                    std::numeric_limits<std::int64_t>::max());
    std::uniform_int_distribution<std::int64_t> small(-1'000'000'000'000, 1'000'000'000'000);
    for (int i = 0; i < 20'000; ++i) {
        units.push_back(any(rng));
        units.push_back(small(rng));
        units.push_back(small(rng) / 1000 * 1000); // trailing zeros
    }
    for (auto u : units)
        BOOST_TEST(price_of(u) == core::price::from_units(u).to_string(), u);
}

BOOST_AUTO_TEST_CASE(a_page_reads_as_its_document) {
    std::mt19937_64 rng(8);
    std::uniform_int_distribution<std::int64_t> units(1, 10'000'000'000'000);
    std::uniform_int_distribution<int> gap(1, 3000);
    for (std::size_t n : {0u, 1u, 7u, 1000u}) {
        storage::page<candles::candle> p;
        core::millis t = 1'764'547'200'000;
        for (std::size_t i = 0; i < n; ++i) {
            t -= 60'000 * gap(rng); // newest first, across days
            p.items.push_back(
                {t, core::price::from_units(units(rng)), core::price::from_units(units(rng)),
                 core::price::from_units(units(rng)), core::price::from_units(units(rng))});
        }
        p.total = static_cast<std::int64_t>(n) * 3 + 1;
        storage::page_request const req{1000, static_cast<std::int64_t>(n)};
        auto const text = daemon::api::candle_page_text("H07USDT", p, req);
        BOOST_TEST(json::parse(text) == json::value(reference("H07USDT", p, req)));
        BOOST_TEST(text == json::serialize(reference("H07USDT", p, req)));
    }
}

BOOST_AUTO_TEST_SUITE_END()
