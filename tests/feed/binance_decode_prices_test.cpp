// Tests of daemon/feed/binance_decode's prices and symbols: the decoder's
// one-pass reading of Binance's plain decimal prices must give exactly the
// price core::price::parse() gives for the same text, whatever its shape
// (and leave every other text to it), and its memory of recent coins must
// never hand out an id the symbol table does not give.
#include "daemon/feed/binance_decode.hpp"
#include "printing.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

namespace feed = kryptod::daemon::feed;
namespace core = kryptod::core;
using feed::frame_kind;

namespace {

std::string trade_frame(std::string const& symbol, std::string const& price) {
    return R"({"stream":"x@aggTrade","data":{"e":"aggTrade","E":5,"s":")" + symbol +
           R"(","a":7,"p":")" + price + R"(","q":"1","T":4,"m":true,"M":true}})";
}

struct prices_fixture {
    core::symbol_table symbols;
    feed::binance_decoder decoder;
    prices_fixture() {
        symbols.intern("BTCUSDT");
        symbols.intern("ETHUSDT");
    }
};

// What the decoder must report for `price`: core's verdict.
void expect_as_core(feed::decoded_frame const& d, std::string const& price) {
    auto const parsed = core::price::parse(price);
    if (!parsed) {
        BOOST_TEST(d.kind == frame_kind::malformed);
        BOOST_TEST(d.reason == "invalid price");
    } else if (parsed.value.units() <= 0) {
        BOOST_TEST(d.kind == frame_kind::malformed);
        BOOST_TEST(d.reason == "price is not positive");
    } else {
        BOOST_TEST(d.kind == frame_kind::trade);
        BOOST_TEST(d.price.units() == parsed.value.units());
    }
}

constexpr core::symbol_id no_id = 999999; // stands for "no id" in comparisons

} // namespace

BOOST_AUTO_TEST_SUITE(binance_decode_prices)

BOOST_FIXTURE_TEST_CASE(edge_prices_decode_as_core_parses_them, prices_fixture) {
    std::vector<std::string> const texts{"1",
                                         "0",
                                         "0.0",
                                         "0.00000001",
                                         "00001.5",
                                         "61837.63000000",
                                         "61837.63",
                                         "9999999999.99999999",
                                         "9999999999",
                                         "10000000000",
                                         "99999999999.5",
                                         "92233720368.54775807",
                                         "92233720368.54775808",
                                         "0.000000001",
                                         "1.",
                                         ".5",
                                         "1.2.3",
                                         "1e3",
                                         "1E-8",
                                         "-1",
                                         "+1",
                                         "",
                                         " 1",
                                         "1 ",
                                         "12a",
                                         "0x10",
                                         "1.000000000"};
    for (auto const& text : texts) {
        BOOST_TEST_CONTEXT("price `" << text << "`") {
            expect_as_core(decoder.decode(trade_frame("BTCUSDT", text), symbols), text);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(random_plain_prices_decode_as_core_parses_them, prices_fixture) {
    std::mt19937_64 rng(2024);
    for (int i = 0; i < 20000; ++i) {
        std::string text;
        auto const whole = 1 + rng() % 12; // up to 12 digits: both sides of the fast path
        for (std::size_t k = 0; k < whole; ++k)
            text += static_cast<char>('0' + rng() % 10);
        if (auto const decimals = rng() % 11; decimals != 0) {
            text += '.';
            for (std::size_t k = 0; k < decimals; ++k)
                text += static_cast<char>('0' + rng() % 10);
        }
        BOOST_TEST_CONTEXT("price `" << text << "`") {
            expect_as_core(decoder.decode(trade_frame("BTCUSDT", text), symbols), text);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(remembered_coins_are_checked_against_the_table, prices_fixture) {
    auto const btc = *symbols.find("BTCUSDT");
    auto const eth = *symbols.find("ETHUSDT");
    // Alternating coins, any case, always the table's ids.
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(decoder.decode(trade_frame("BTCUSDT", "1"), symbols).symbol.value_or(no_id) ==
                   btc);
        BOOST_TEST(decoder.decode(trade_frame("ethusdt", "1"), symbols).symbol.value_or(no_id) ==
                   eth);
    }
    // A coin unknown at first is found once interned.
    BOOST_TEST(!decoder.decode(trade_frame("SOLUSDT", "1"), symbols).symbol.has_value());
    auto const sol = symbols.intern("SOLUSDT");
    BOOST_TEST(decoder.decode(trade_frame("SOLUSDT", "1"), symbols).symbol.value_or(no_id) == sol);
    // The same decoder against another table, where the ids differ.
    core::symbol_table other;
    auto const other_eth = other.intern("ETHUSDT");
    BOOST_TEST(other_eth != eth);
    BOOST_TEST(decoder.decode(trade_frame("ETHUSDT", "1"), other).symbol.value_or(no_id) ==
               other_eth);
    BOOST_TEST(!decoder.decode(trade_frame("BTCUSDT", "1"), other).symbol.has_value());
    // Invalid symbols stay invalid, remembered coins or not.
    auto const& bad = decoder.decode(trade_frame("BTC-USDT", "1"), symbols);
    BOOST_TEST(bad.kind == frame_kind::malformed);
    BOOST_TEST(bad.reason == "invalid symbol");
}

BOOST_AUTO_TEST_SUITE_END()
