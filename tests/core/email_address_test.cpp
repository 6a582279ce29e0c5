// Tests for core/email_address.hpp: which addresses pass, and their normal
// form.
#include "core/email_address.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace kryptod::core;

BOOST_AUTO_TEST_SUITE(email_address)

BOOST_AUTO_TEST_CASE(plain_addresses_pass) {
    for (std::string good : {"a@b", "ops@example.com", "first.last+tag@sub.example.co",
                             "kryptod@localhost", "x_y@a-b.c", "o'neil@example.ie"})
        BOOST_TEST(valid_email(good), good);
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused) {
    for (std::string const& bad : std::vector<std::string>{"",
                                                           "a",
                                                           "@b.c",
                                                           "a@",
                                                           "a@@b.c",
                                                           "a@b@c",
                                                           "a b@c.d",
                                                           "a@b c.d",
                                                           "a@-b.c",
                                                           "a@b-.c",
                                                           "a@b..c",
                                                           ".a@b.c",
                                                           "a.@b.c",
                                                           "a..b@c.d",
                                                           "a@b.c.",
                                                           "<a@b.c>",
                                                           "a@b.c\r\nBcc: x@y.z",
                                                           "\"a\"@b.c",
                                                           "a@[127.0.0.1]",
                                                           "ä@b.c",
                                                           std::string(65, 'a') + "@b.c",
                                                           "a@" + std::string(64, 'b') + ".c"})
        BOOST_TEST(!valid_email(bad), bad);
}

BOOST_AUTO_TEST_CASE(length_is_capped_at_254) {
    // 64 + 1 + 189 = 254: four labels of 63 less dots fit exactly.
    auto const domain =
        std::string(63, 'd') + "." + std::string(63, 'd') + "." + std::string(61, 'd');
    auto const longest = std::string(64, 'l') + "@" + domain;
    BOOST_TEST_REQUIRE(longest.size() == max_email_length);
    BOOST_TEST(valid_email(longest));
    BOOST_TEST(!valid_email(longest + "d"));
    BOOST_TEST(!valid_email(std::string(64 * 1024, 'a') + "@example.com"));
}

BOOST_AUTO_TEST_CASE(normal_form_is_ascii_lower_case) {
    BOOST_TEST(normalised_email("Ann.Lee@Example.COM").value() == "ann.lee@example.com");
    BOOST_TEST(normalised_email("ann@example.com").value() == "ann@example.com");
    BOOST_TEST(!normalised_email("Ann Lee@Example.COM").has_value());
    BOOST_TEST(!normalised_email(std::string(300, 'a')).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
