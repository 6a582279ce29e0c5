// Tests for http/trusted_proxies.hpp: the list's syntax, membership, and the
// client found behind proxies from X-Forwarded-For and Forwarded, including
// headers a hostile client or a broken proxy could send.
#include "http/trusted_proxies.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace kryptod::http;
namespace asio = boost::asio;

// The suite below is named after the class; inside it, this name is the class.
using proxy_list = kryptod::http::trusted_proxies;

namespace {

asio::ip::address ip(std::string const& text) {
    return asio::ip::make_address(text);
}

boost::beast::http::fields headers(std::vector<std::pair<std::string, std::string>> const& list) {
    boost::beast::http::fields f;
    for (auto const& [name, value] : list)
        f.insert(name, value);
    return f;
}

// The client behind `peer` with the given headers, as text.
std::string client(proxy_list const& proxies, std::string const& peer,
                   std::vector<std::pair<std::string, std::string>> const& list) {
    return proxies.client_of(ip(peer), headers(list)).to_string();
}

// One proxy on the loopback address, one internal network of proxies.
proxy_list const proxies = proxy_list::parse("127.0.0.1, 10.0.0.0/8 fd00::/8");

} // namespace

BOOST_AUTO_TEST_SUITE(trusted_proxies)

BOOST_AUTO_TEST_CASE(list_syntax_and_membership) {
    auto const p = proxy_list::parse(" 192.168.1.5,10.0.0.0/8\t2001:db8::/32  ::1 ");
    BOOST_TEST(p.contains(ip("192.168.1.5")));
    BOOST_TEST(!p.contains(ip("192.168.1.6")));
    BOOST_TEST(p.contains(ip("10.255.3.4")));
    BOOST_TEST(!p.contains(ip("11.0.0.1")));
    BOOST_TEST(p.contains(ip("2001:db8:1::7")));
    BOOST_TEST(!p.contains(ip("2001:db9::7")));
    BOOST_TEST(p.contains(ip("::1")));
    // A dual-stack listener sees IPv4 peers as mapped IPv6 addresses.
    BOOST_TEST(p.contains(ip("::ffff:10.1.2.3")));
    BOOST_TEST(p.contains(ip("::ffff:192.168.1.5")));
    BOOST_TEST(proxy_list::parse("::ffff:172.16.0.0/108").contains(ip("172.16.9.9")));
    // Prefix lengths that are not multiples of 8.
    auto const odd = proxy_list::parse("100.64.0.0/10");
    BOOST_TEST(odd.contains(ip("100.127.255.255")));
    BOOST_TEST(!odd.contains(ip("100.128.0.0")));
    BOOST_TEST(proxy_list::parse("0.0.0.0/0").contains(ip("8.8.8.8")));
    BOOST_TEST(!proxy_list::parse("0.0.0.0/0").contains(ip("::1")));
    BOOST_TEST(proxy_list::parse("").empty());
    BOOST_TEST(!proxy_list().contains(ip("127.0.0.1")));
}

BOOST_AUTO_TEST_CASE(bad_entries_are_refused_with_their_text) {
    for (std::string bad :
         {"localhost", "10.0.0.0/33", "::/129", "10.0.0.1/8", "10.0.0.0/", "10.0.0.0/8x",
          "10.0.0.0/-1", "[::1]", "1.2.3", "fe80::1%1", "127.0.0.1 nonsense"}) {
        BOOST_TEST_INFO(bad);
        try {
            (void)proxy_list::parse(bad);
            BOOST_ERROR("accepted");
        } catch (std::invalid_argument const& e) {
            BOOST_TEST(std::string(e.what()).find('"') != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(an_untrusted_peer_is_the_client_whatever_it_claims) {
    BOOST_TEST(client(proxies, "203.0.113.9", {{"X-Forwarded-For", "1.1.1.1"}}) == "203.0.113.9");
    BOOST_TEST(client(proxies, "203.0.113.9", {{"Forwarded", "for=1.1.1.1"}}) == "203.0.113.9");
    BOOST_TEST(client(proxy_list(), "127.0.0.1", {{"X-Forwarded-For", "1.1.1.1"}}) == "127.0.0.1");
    BOOST_TEST(client(proxies, "::ffff:203.0.113.9", {}) == "203.0.113.9");
}

BOOST_AUTO_TEST_CASE(the_rightmost_untrusted_hop_is_the_client) {
    // The client forged the leftmost entries; the proxy appended the real one.
    BOOST_TEST(client(proxies, "127.0.0.1",
                      {{"X-Forwarded-For", "6.6.6.6, 7.7.7.7, 198.51.100.7"}}) == "198.51.100.7");
    // Two proxies: the inner one's address is skipped.
    BOOST_TEST(client(proxies, "127.0.0.1",
                      {{"X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.1.1.1"}}) == "198.51.100.7");
    // Several header lines are one list, in order.
    BOOST_TEST(client(proxies, "127.0.0.1",
                      {{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "198.51.100.7"}}) ==
               "198.51.100.7");
    // No header, or nothing but proxies: the leftmost proxy, or the peer.
    BOOST_TEST(client(proxies, "127.0.0.1", {}) == "127.0.0.1");
    BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", "10.0.0.2, 10.0.0.3"}}) ==
               "10.0.0.2");
    BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", ""}}) == "127.0.0.1");
    // Empty list elements do not count.
    BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", "198.51.100.7,, ,"}}) ==
               "198.51.100.7");
}

BOOST_AUTO_TEST_CASE(ports_brackets_and_ipv6) {
    BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", "198.51.100.7:4711"}}) ==
               "198.51.100.7");
    BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", "2001:db8::7"}}) == "2001:db8::7");
    BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", "[2001:db8::7]:443"}}) ==
               "2001:db8::7");
    BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", "[2001:db8::7]"}}) ==
               "2001:db8::7");
    BOOST_TEST(client(proxies, "fd00::1", {{"X-Forwarded-For", "::ffff:198.51.100.7"}}) ==
               "198.51.100.7");
    BOOST_TEST(client(proxies, "::ffff:127.0.0.1", {{"X-Forwarded-For", "198.51.100.7"}}) ==
               "198.51.100.7");
    BOOST_TEST(client(proxies, "127.0.0.1",
                      {{"Forwarded", R"(for="[2001:db8:cafe::17]:4711";proto=https)"}}) ==
               "2001:db8:cafe::17");
    BOOST_TEST(client(proxies, "127.0.0.1",
                      {{"Forwarded", "For=192.0.2.60;proto=http;by=10.0.0.1"}}) == "192.0.2.60");
}

BOOST_AUTO_TEST_CASE(forwarded_lists_quotes_and_obfuscated_identifiers) {
    BOOST_TEST(
        client(proxies, "127.0.0.1",
               {{"Forwarded", R"(for=6.6.6.6, for="198.51.100.7";host="a,b", for=10.0.0.9)"}}) ==
        "198.51.100.7");
    BOOST_TEST(client(proxies, "127.0.0.1",
                      {{"Forwarded", "for=6.6.6.6"}, {"Forwarded", "for=198.51.100.7"}}) ==
               "198.51.100.7");
    // An obfuscated or unknown client: the proxy that reported it is the client.
    BOOST_TEST(client(proxies, "127.0.0.1", {{"Forwarded", "for=_hidden, for=unknown"}}) ==
               "127.0.0.1");
    BOOST_TEST(client(proxies, "127.0.0.1", {{"Forwarded", "for=198.51.100.7, for=_hidden"}}) ==
               "127.0.0.1");
    BOOST_TEST(client(proxies, "127.0.0.1",
                      {{"Forwarded", "for=198.51.100.7, for=10.0.0.9"},
                       {"Forwarded", "for=unknown"}}) == "127.0.0.1");
    BOOST_TEST(client(proxies, "127.0.0.1",
                      {{"Forwarded", "for=198.51.100.7, for=unknown, for=10.0.0.9"}}) ==
               "10.0.0.9");
    BOOST_TEST(client(proxies, "127.0.0.1", {{"Forwarded", R"(for="198.51.100.7:_port")"}}) ==
               "198.51.100.7");
    // X-Forwarded-For is read first; Forwarded only when it is absent.
    BOOST_TEST(client(proxies, "127.0.0.1",
                      {{"Forwarded", "for=6.6.6.6"}, {"X-Forwarded-For", "198.51.100.7"}}) ==
               "198.51.100.7");
}

BOOST_AUTO_TEST_CASE(malformed_headers_never_name_a_client_of_their_choosing) {
    // Each of these hops is not an address: the walk stops at the proxy.
    for (std::string xff : std::vector<std::string>{
             "garbage", "1.2.3.4.5", "1.2.3.4:99999", "1.2.3.4:", "[1.2.3.4]", "[2001:db8::1",
             "[2001:db8::1]x", "fe80::1%eth0", "unknown", "_hidden", "1.2.3.4 5.6.7.8",
             "0x7f.0.0.1", std::string(200, '1')}) {
        BOOST_TEST_INFO("X-Forwarded-For: " << xff);
        BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", "6.6.6.6, " + xff}}) ==
                   "127.0.0.1");
    }
    for (std::string fwd :
         {"for", "for=", "for=\"198.51.100.7", "for=198.51.100.7;for=6.6.6.6", "=198.51.100.7",
          "by=10.0.0.1", "for=198.51.100.7;", "for=198.51.100.7 junk", "for=[2001:db8::1]",
          "for=\"[2001:db8::1]:80\\\"", ";;;", "for=198.51.100.7;proto=\"https"}) {
        BOOST_TEST_INFO("Forwarded: " << fwd);
        BOOST_TEST(client(proxies, "127.0.0.1", {{"Forwarded", "for=6.6.6.6, " + fwd}}) ==
                   "127.0.0.1");
    }
}

BOOST_AUTO_TEST_CASE(many_hops) {
    // A long chain of internal proxies ends at the client on its left.
    std::string chain = "198.51.100.7";
    for (int i = 0; i < 1000; ++i)
        chain += ", 10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", chain}}) == "198.51.100.7");
    // Thousands of forged hops on the left change nothing.
    std::string forged;
    for (int i = 0; i < 2000; ++i)
        forged += "6.6." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ",";
    BOOST_TEST(client(proxies, "127.0.0.1", {{"X-Forwarded-For", forged + "198.51.100.7"}}) ==
               "198.51.100.7");
}

BOOST_AUTO_TEST_SUITE_END()
