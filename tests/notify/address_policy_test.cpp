// Tests of notify::address_policy: a table with every special-purpose block
// of IANA's registries (refused), the forms that embed an IPv4 address
// (judged by it), and public addresses (allowed).
#include "daemon/notify/address_policy.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

using kryptod::daemon::notify::is_global_address;

BOOST_AUTO_TEST_SUITE(address_policy)

BOOST_AUTO_TEST_CASE(every_special_purpose_block_is_refused) {
    for (char const* a : {
             // IPv4
             "0.0.0.0",
             "0.1.2.3",
             "10.0.0.1",
             "10.255.255.255",
             "100.64.0.1",
             "100.100.100.200",
             "100.127.255.254",
             "127.0.0.1",
             "127.255.1.2",
             "169.254.169.254",
             "172.16.0.1",
             "172.31.255.255",
             "192.0.0.1",
             "192.0.0.170",
             "192.0.2.1",
             "192.88.99.1",
             "192.168.1.1",
             "198.18.0.1",
             "198.19.255.255",
             "198.51.100.7",
             "203.0.113.9",
             "224.0.0.1",
             "239.255.255.250",
             "240.0.0.1",
             "254.1.2.3",
             "255.255.255.255",
             // IPv6
             "::",
             "::1",
             "::ffff:127.0.0.1",
             "::ffff:10.1.2.3",
             "::ffff:100.64.0.1",
             "::ffff:169.254.169.254",
             "64:ff9b::7f00:1",
             "64:ff9b::a9fe:a9fe",
             "64:ff9b:1::8.8.8.8",
             "::8.8.8.8",
             "::127.0.0.1",
             "100::1",
             "2001::1",
             "2001:0:4136:e378:8000:63bf:3fff:fdd2",
             "2001:2::1",
             "2001:10::1",
             "2001:db8::1",
             "2001:db8:ffff::1",
             "2002:7f00:1::1",
             "2002:a00:1::1",
             "2002:a9fe:a9fe::1",
             "3fff::1",
             "5f00::1",
             "fc00::1",
             "fd12:3456::1",
             "fe80::1",
             "febf::1",
             "fec0::1",
             "feff::1",
             "ff02::1",
             "ff05::2",
         })
        BOOST_TEST(!is_global_address(a), a);
}

BOOST_AUTO_TEST_CASE(public_addresses_and_their_embedded_forms_are_allowed) {
    for (char const* a :
         {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.0",
          "192.0.1.1", "192.169.0.1", "169.255.0.1", "198.17.255.255", "198.20.0.1",
          "223.255.255.255", "2606:4700::1111", "2a00:1450::1", "2001:4860:4860::8888",
          "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"})
        BOOST_TEST(is_global_address(a), a);
}

BOOST_AUTO_TEST_CASE(text_that_is_not_a_numeric_address_is_refused) {
    for (char const* a : {"", "localhost", "example.com", "2130706433", "127.1", "[::1]",
                          "1.2.3.4.5", "::ffff:1.2.3"})
        BOOST_TEST(!is_global_address(a), a);
}

BOOST_AUTO_TEST_CASE(socket_addresses_are_judged_the_same) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    inet_pton(AF_INET, "100.64.0.1", &v4.sin_addr);
    BOOST_TEST(!is_global_address(reinterpret_cast<sockaddr const*>(&v4)));
    inet_pton(AF_INET, "8.8.4.4", &v4.sin_addr);
    BOOST_TEST(is_global_address(reinterpret_cast<sockaddr const*>(&v4)));
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2002:c0a8:101::1", &v6.sin6_addr);
    BOOST_TEST(!is_global_address(reinterpret_cast<sockaddr const*>(&v6)));
    inet_pton(AF_INET6, "2a00:1450::1", &v6.sin6_addr);
    BOOST_TEST(is_global_address(reinterpret_cast<sockaddr const*>(&v6)));
    sockaddr_un local{};
    local.sun_family = AF_UNIX;
    BOOST_TEST(!is_global_address(reinterpret_cast<sockaddr const*>(&local)));
    BOOST_TEST(!is_global_address(static_cast<sockaddr const*>(nullptr)));
}

BOOST_AUTO_TEST_SUITE_END()
