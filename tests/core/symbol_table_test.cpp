// Tests of core/symbol_table.hpp: validation, case folding, dense ids.
#include "core/symbol_table.hpp"

#include <boost/test/unit_test.hpp>

#include <ostream>
#include <set>
#include <string>

using kryptod::core::symbol_error;
using kryptod::core::validate_symbol;

// Lets Boost.Test print a failed comparison as the reason's message.
namespace kryptod::core {
std::ostream& operator<<(std::ostream& out, symbol_error e) {
    return out << describe(e);
}
} // namespace kryptod::core

BOOST_AUTO_TEST_SUITE(symbol_table)

BOOST_AUTO_TEST_CASE(validates_charset_and_length) {
    BOOST_TEST(validate_symbol("BTCUSDT") == symbol_error::none);
    BOOST_TEST(validate_symbol("btcusdt") == symbol_error::none);
    BOOST_TEST(validate_symbol("1000SHIBUSDT") == symbol_error::none);
    BOOST_TEST(validate_symbol("") == symbol_error::empty);
    BOOST_TEST(validate_symbol("B") == symbol_error::too_short);
    BOOST_TEST(validate_symbol("ABCDEFGHIJKLMNOPQRSTU") == symbol_error::too_long);
    BOOST_TEST(validate_symbol("ABCDEFGHIJKLMNOPQRST") == symbol_error::none);
    BOOST_TEST(validate_symbol("BTC-USDT") == symbol_error::bad_character);
    BOOST_TEST(validate_symbol("BTC USDT") == symbol_error::bad_character);
    BOOST_TEST(validate_symbol("btc/usdt") == symbol_error::bad_character);
    std::set<std::string_view> messages;
    for (auto e : {symbol_error::none, symbol_error::empty, symbol_error::too_short,
                   symbol_error::too_long, symbol_error::bad_character})
        messages.insert(kryptod::core::describe(e));
    BOOST_TEST(messages.size() == 5u);
}

BOOST_AUTO_TEST_CASE(canonical_form_is_upper_case) {
    BOOST_TEST(*kryptod::core::canonical_symbol("ethUsdt") == "ETHUSDT");
    BOOST_TEST(!kryptod::core::canonical_symbol("eth_usdt"));
}

BOOST_AUTO_TEST_CASE(interns_to_dense_ids_case_insensitively) {
    kryptod::core::symbol_table table;
    auto const btc = table.intern("BTCUSDT");
    auto const eth = table.intern("ethusdt");
    BOOST_TEST(btc == 0u);
    BOOST_TEST(eth == 1u);
    BOOST_TEST(table.intern("btcUSDT") == btc);
    BOOST_TEST(table.size() == 2u);
    BOOST_TEST(table.name(eth) == "ETHUSDT");
    BOOST_TEST(*table.find("EthUsdt") == eth);
    BOOST_TEST(!table.find("SOLUSDT"));
    BOOST_TEST(!table.find("not a symbol"));
}

BOOST_AUTO_TEST_CASE(refuses_invalid_symbols_without_adding_them) {
    kryptod::core::symbol_table table;
    BOOST_TEST(!table.try_intern("BTC-USDT"));
    BOOST_TEST(!table.try_intern(""));
    BOOST_TEST(table.size() == 0u);
    BOOST_TEST(*table.try_intern("SOLUSDT") == 0u);
}

BOOST_AUTO_TEST_CASE(names_stay_valid_as_the_table_grows) {
    kryptod::core::symbol_table table;
    for (int i = 0; i < 1000; ++i)
        table.intern("COIN" + std::to_string(i));
    for (int i = 0; i < 1000; ++i) {
        auto const id = *table.find("coin" + std::to_string(i));
        BOOST_TEST(id == static_cast<unsigned>(i));
        BOOST_TEST(table.name(id) == "COIN" + std::to_string(i));
    }
}

BOOST_AUTO_TEST_SUITE_END()
