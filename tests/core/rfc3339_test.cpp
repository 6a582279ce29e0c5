// Tests for core/rfc3339.hpp.
#include "core/rfc3339.hpp"

#include <boost/test/unit_test.hpp>

#include <random>

using namespace kryptod::core;

BOOST_AUTO_TEST_SUITE(rfc3339)

BOOST_AUTO_TEST_CASE(formats_utc_with_optional_milliseconds) {
    BOOST_TEST(format_rfc3339(0) == "1970-01-01T00:00:00Z");
    BOOST_TEST(format_rfc3339(1'723'161'255'123) == "2024-08-08T23:54:15.123Z");
    BOOST_TEST(format_rfc3339(951'782'400'000) == "2000-02-29T00:00:00Z");
    BOOST_TEST(format_rfc3339(-1000) == "1969-12-31T23:59:59Z");
}

BOOST_AUTO_TEST_CASE(parses_zulu_offsets_and_fractions) {
    BOOST_TEST(*parse_rfc3339("2024-08-08T23:54:15Z") == 1'723'161'255'000);
    BOOST_TEST(*parse_rfc3339("2024-08-08T23:54:15.123456Z") == 1'723'161'255'123);
    BOOST_TEST(*parse_rfc3339("2024-08-09T01:54:15+02:00") == 1'723'161'255'000);
    BOOST_TEST(*parse_rfc3339("2024-08-08t21:54:15-02:00") == 1'723'161'255'000);
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_a_date_time) {
    for (auto bad :
         {"", "2024-08-08", "2024-08-08T23:54:15", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
          "2024-13-01T00:00:00Z", "2024-08-08T24:00:00Z", "2024-08-08T23:60:00Z",
          "2024-08-08T23:59:60Z", "2024-08-08T23:54:15.Z", "2024-08-08T23:54:15+2:00",
          "2024-08-08T23:54:15Zjunk", "tomorrow", "2024-8-08T23:54:15Z"})
        BOOST_TEST(!parse_rfc3339(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(round_trips) {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<millis> dist(0, 253'402'300'799'999); // to 9999-12-31
    for (int i = 0; i < 100'000; ++i) {
        millis t = dist(rng);
        auto back = parse_rfc3339(format_rfc3339(t));
        BOOST_REQUIRE(back.has_value());
        BOOST_REQUIRE_EQUAL(*back, t);
    }
}

BOOST_AUTO_TEST_CASE(parses_both_date_forms) {
    BOOST_TEST(*parse_date("2024-08-09") == 1'723'161'600'000);
    BOOST_TEST(*parse_date("09-08-2024") == 1'723'161'600'000);
    BOOST_TEST(!parse_date("2024-02-30").has_value());
    BOOST_TEST(!parse_date("2024/08/09").has_value());
    BOOST_TEST(!parse_date("9-8-2024").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
