// Tests for daemon/metrics.hpp: the Prometheus text a scraper reads.
#include "daemon/metrics.hpp"

#include <boost/test/unit_test.hpp>

using namespace kryptod::daemon;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(metrics_text)

BOOST_AUTO_TEST_CASE(families_requests_and_histogram) {
    metrics m;
    m.record_request("/api/alerts/{id}", "GET", 200);
    m.record_request("/api/alerts/{id}", "GET", 200);
    m.record_request("", "PUT", 404);
    m.record_latency(3us);
    m.record_latency(30us);
    m.record_latency(2s);
    auto text = m.render({{"kryptod_ticks_total", "trades evaluated", "counter", {{"", 12345}}},
                          {"kryptod_notifications_total",
                           "notification outcomes",
                           "counter",
                           {{R"(channel="email",outcome="delivered")", 3}}}});
    BOOST_TEST(text.find("# TYPE kryptod_ticks_total counter\nkryptod_ticks_total 12345\n") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(kryptod_notifications_total{channel="email",outcome="delivered"} 3)") !=
               std::string::npos);
    BOOST_TEST(
        text.find(
            R"(kryptod_http_requests_total{route="/api/alerts/{id}",method="GET",status="200"} 2)") !=
        std::string::npos);
    BOOST_TEST(
        text.find(
            R"(kryptod_http_requests_total{route="unmatched",method="PUT",status="404"} 1)") !=
        std::string::npos);
    // Buckets are cumulative and end with +Inf == count.
    BOOST_TEST(text.find(R"(kryptod_tick_to_trigger_seconds_bucket{le="5e-06"} 1)") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(kryptod_tick_to_trigger_seconds_bucket{le="5e-05"} 2)") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(kryptod_tick_to_trigger_seconds_bucket{le="0.1"} 2)") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(kryptod_tick_to_trigger_seconds_bucket{le="+Inf"} 3)") !=
               std::string::npos);
    BOOST_TEST(text.find("kryptod_tick_to_trigger_seconds_count 3\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(label_values_are_escaped) {
    BOOST_TEST(escape_label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

BOOST_AUTO_TEST_SUITE_END()
