// Tests of core/price.hpp: exact parsing of exchange and API text, every
// rejection reason, trimmed printing, and the print/parse round trip.
#include "core/price.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

using price_t = kryptod::core::price;
using kryptod::core::price_error;

// Lets Boost.Test print a failed comparison as the reason's message.
namespace kryptod::core {
std::ostream& operator<<(std::ostream& out, price_error e) {
    return out << describe(e);
}
std::ostream& operator<<(std::ostream& out, price p) {
    return out << p.to_string();
}
} // namespace kryptod::core

namespace {

std::int64_t units_of(std::string const& text) {
    auto const parsed = price_t::parse(text);
    BOOST_TEST_INFO("text: " << text << ", error: " << kryptod::core::describe(parsed.error));
    BOOST_REQUIRE(parsed.ok());
    return parsed.value.units();
}

price_error error_of(std::string const& text) {
    return price_t::parse(text).error;
}

} // namespace

BOOST_AUTO_TEST_SUITE(price)

BOOST_AUTO_TEST_CASE(parses_exchange_strings_exactly) {
    BOOST_TEST(units_of("16850.12000000") == 1685012000000);
    BOOST_TEST(units_of("0.00000001") == 1);
    BOOST_TEST(units_of("0.00001234") == 1234);
    BOOST_TEST(units_of("65000") == 6500000000000);
    BOOST_TEST(units_of("0") == 0);
    BOOST_TEST(units_of("0.00000000") == 0);
    BOOST_TEST(units_of("92233720368.54775807") == std::numeric_limits<std::int64_t>::max());
}

BOOST_AUTO_TEST_CASE(parses_json_number_text) {
    BOOST_TEST(units_of("65000.5") == 6500050000000);
    BOOST_TEST(units_of("6.5e4") == 6500000000000);
    BOOST_TEST(units_of("6.5E+4") == 6500000000000);
    BOOST_TEST(units_of("1E-8") == 1);
    BOOST_TEST(units_of("1.5e-7") == 15);
    BOOST_TEST(units_of("123456789e-8") == 123456789);
    BOOST_TEST(units_of("1.234567891e1") == 1234567891);
    BOOST_TEST(units_of("0e400") == 0);
    BOOST_TEST(units_of("10e-9") == 1);
    BOOST_TEST(units_of("1.000000000e0") == price_t::scale);
}

BOOST_AUTO_TEST_CASE(rejects_empty) {
    BOOST_TEST(error_of("") == price_error::empty);
}

BOOST_AUTO_TEST_CASE(rejects_signs) {
    BOOST_TEST(error_of("+1") == price_error::sign);
    BOOST_TEST(error_of("-1") == price_error::sign);
    BOOST_TEST(error_of("-0.5") == price_error::sign);
}

BOOST_AUTO_TEST_CASE(rejects_garbage) {
    for (auto text : {" 1", "1 ", "1.", ".5", "NaN", "Infinity", "1e", "1e+", "1.2.3", "1,5",
                      "0x10", "abc", "1e5x", "e5", "1..2", "١"})
        BOOST_TEST(error_of(text) == price_error::garbage, "text: " << text);
}

BOOST_AUTO_TEST_CASE(rejects_more_than_eight_decimals) {
    BOOST_TEST(error_of("0.123456789") == price_error::too_many_decimals);
    // Strict on written digits even when the extra ones are zeros: the API
    // contract is "at most 8 fractional digits".
    BOOST_TEST(error_of("1.000000000") == price_error::too_many_decimals);
}

BOOST_AUTO_TEST_CASE(rejects_exponents_that_leave_too_many_decimals) {
    BOOST_TEST(error_of("1e-9") == price_error::exponent_out_of_range);
    BOOST_TEST(error_of("1.5e-8") == price_error::exponent_out_of_range);
    BOOST_TEST(error_of("1e-400") == price_error::exponent_out_of_range);
    BOOST_TEST(error_of("1e-99999999999999999999") == price_error::exponent_out_of_range);
}

BOOST_AUTO_TEST_CASE(rejects_overflow) {
    BOOST_TEST(error_of("1e400") == price_error::overflow);
    BOOST_TEST(error_of("1e99999999999999999999") == price_error::overflow);
    BOOST_TEST(error_of("92233720368.54775808") == price_error::overflow);
    BOOST_TEST(error_of("100000000000") == price_error::overflow);
    BOOST_TEST(error_of("99999999999999999999999999") == price_error::overflow);
}

BOOST_AUTO_TEST_CASE(api_input_must_be_positive) {
    BOOST_TEST(price_t::parse_positive("0").error == price_error::not_positive);
    BOOST_TEST(price_t::parse_positive("0e5").error == price_error::not_positive);
    BOOST_TEST(price_t::parse_positive("0.00000001").ok());
    BOOST_TEST(price_t::parse_positive("-1").error == price_error::sign);
}

BOOST_AUTO_TEST_CASE(every_error_has_its_own_message) {
    std::set<std::string_view> messages;
    for (auto e : {price_error::none, price_error::empty, price_error::sign, price_error::garbage,
                   price_error::too_many_decimals, price_error::exponent_out_of_range,
                   price_error::overflow, price_error::not_positive})
        messages.insert(kryptod::core::describe(e));
    BOOST_TEST(messages.size() == 8u);
}

BOOST_AUTO_TEST_CASE(prints_shortest_exact_form) {
    BOOST_TEST(price_t::from_units(6500050000000).to_string() == "65000.5");
    BOOST_TEST(price_t::from_units(6500000000000).to_string() == "65000");
    BOOST_TEST(price_t::from_units(1).to_string() == "0.00000001");
    BOOST_TEST(price_t::from_units(0).to_string() == "0");
    BOOST_TEST(price_t::from_units(1685012000000).to_string() == "16850.12");
    BOOST_TEST(price_t::from_units(-150000000).to_string() == "-1.5");
    BOOST_TEST(price_t::from_units(std::numeric_limits<std::int64_t>::min()).to_string() ==
               "-92233720368.54775808");
}

BOOST_AUTO_TEST_CASE(orders_by_value) {
    BOOST_TEST((price_t::from_units(1) < price_t::from_units(2)));
    BOOST_TEST((units_of("1.10") == units_of("1.1")));
}

BOOST_AUTO_TEST_CASE(round_trips_through_text) {
    std::mt19937_64 rng(20240611);
    std::uniform_int_distribution<std::int64_t> any(0, std::numeric_limits<std::int64_t>::max());
    std::uniform_int_distribution<int> digits(0, 18);
    for (int i = 0; i < 200000; ++i) {
        // Mix full-range values with short ones, which exercise trimming.
        std::int64_t units = any(rng);
        if (i % 2 == 0) {
            std::int64_t modulus = 1;
            for (int d = digits(rng); d > 0; --d)
                modulus *= 10;
            units %= modulus;
        }
        auto const p = price_t::from_units(units);
        auto const text = p.to_string();
        auto const parsed = price_t::parse(text);
        BOOST_REQUIRE_MESSAGE(parsed.ok() && parsed.value == p,
                              "units " << units << " -> " << text);
        // The exchange form (always 8 decimals) parses to the same value.
        std::string exchange = std::to_string(units / price_t::scale) + ".";
        auto const fraction = std::to_string(units % price_t::scale);
        exchange += std::string(8 - fraction.size(), '0') + fraction;
        BOOST_REQUIRE(price_t::parse(exchange).value == p);
        // And so does scientific notation of the raw units.
        BOOST_REQUIRE(price_t::parse(std::to_string(units) + "e-8").value == p);
    }
}

BOOST_AUTO_TEST_CASE(parses_recorded_binance_trade_prices) {
    // Recorded frames when available; the same shapes otherwise.
    std::vector<std::string> texts = {"58942.01000000", "28.23000000", "0.00031500"};
    if (char const* dir = std::getenv("KRYPTOD_FIXTURES")) {
        std::ifstream in(std::string(dir) +
                         "/binance/crypto-msg-parser/binance_spot_test_messages.jsonl");
        std::string line;
        while (std::getline(in, line))
            for (auto at = line.find("\"p\":\""); at != std::string::npos;
                 at = line.find("\"p\":\"", at + 1)) {
                auto const from = at + 5;
                texts.push_back(line.substr(from, line.find('"', from) - from));
            }
    }
    for (auto const& text : texts) {
        auto const parsed = price_t::parse(text);
        BOOST_TEST_REQUIRE(parsed.ok(), text);
        BOOST_TEST(parsed.value.units() > 0);
        // Binance pads to 8 decimals; printing trims and parsing restores.
        BOOST_TEST(price_t::parse(parsed.value.to_string()).value == parsed.value);
        auto const printed = parsed.value.to_string();
        BOOST_TEST((printed.find('.') == std::string::npos || printed.back() != '0'), printed);
    }
}

BOOST_AUTO_TEST_CASE(percent_change_is_exact_to_two_decimals_truncated) {
    using kryptod::core::percent_change;
    auto p = [](char const* text) { return price_t::parse(text).value; };
    BOOST_TEST(percent_change(p("60010.5"), p("60000")).value() == "0.01");
    BOOST_TEST(percent_change(p("61500"), p("60000")).value() == "2.50");
    BOOST_TEST(percent_change(p("60000"), p("60000")).value() == "0.00");
    BOOST_TEST(percent_change(p("59990"), p("60000")).value() == "-0.01");
    BOOST_TEST(percent_change(p("59999"), p("60000")).value() == "0.00"); // -0.0016 truncates
    BOOST_TEST(percent_change(p("57000"), p("60000")).value() == "-5.00");
    BOOST_TEST(percent_change(p("0"), p("60000")).value() == "-100.00");
    BOOST_TEST(percent_change(p("3"), p("1")).value() == "200.00");
    BOOST_TEST(percent_change(p("1"), p("3")).value() == "-66.66");
    // 1/3 of a percent, where binary floating point would print 0.33 or 0.34
    BOOST_TEST(percent_change(p("300.01"), p("300")).value() == "0.00");
    BOOST_TEST(percent_change(p("301"), p("300")).value() == "0.33");
    // the extremes: the quotient exceeds 64 bits and stays exact
    BOOST_TEST(percent_change(price_t::from_units(INT64_MAX), price_t::from_units(1)).value() ==
               "922337203685477580600.00");
    BOOST_TEST(percent_change(price_t::from_units(1), price_t::from_units(INT64_MAX)).value() ==
               "-99.99");
    BOOST_TEST(!percent_change(p("1"), p("0")));
}

BOOST_AUTO_TEST_SUITE_END()
