// UTF-8 counting: characters, not bytes, and every malformed form refused.
#include "core/utf8.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using kryptod::core::utf8_length;

BOOST_AUTO_TEST_SUITE(utf8)

BOOST_AUTO_TEST_CASE(counts_code_points) {
    BOOST_TEST(utf8_length("").value() == 0u);
    BOOST_TEST(utf8_length("BTC above 100k").value() == 14u);
    BOOST_TEST(utf8_length("\xC3\xA9t\xC3\xA9").value() == 3u);                // "été"
    BOOST_TEST(utf8_length("\xE2\x82\xAC").value() == 1u);                     // €
    BOOST_TEST(utf8_length("\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80").value() == 2u); // two rockets
    BOOST_TEST(utf8_length("\xF4\x8F\xBF\xBF").value() == 1u);                 // U+10FFFF
    BOOST_TEST(utf8_length(std::string("a\0b", 3)).value() == 3u);
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_utf8) {
    for (std::string bad : {
             "\x80",             // a lone continuation byte
             "\xC3",             // truncated
             "\xE2\x82",         // truncated
             "\xC0\xAF",         // overlong '/'
             "\xE0\x80\xAF",     // overlong
             "\xF0\x80\x80\xAF", // overlong
             "\xED\xA0\x80",     // a surrogate, U+D800
             "\xF4\x90\x80\x80", // above U+10FFFF
             "\xF5\x80\x80\x80", // never a lead byte
             "\xFF",             // never a lead byte
             "ok\xC3(",          // a bad continuation byte
         })
        BOOST_TEST(!utf8_length(bad), "accepted " << bad.size() << " bytes");
}

BOOST_AUTO_TEST_SUITE_END()
