// notify::address_policy: the special-purpose blocks as tables of prefixes.
// See the header for the rule and why it is an allow list for IPv6.
#include "daemon/notify/address_policy.hpp"

#include <arpa/inet.h>
#include <array>
#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>

namespace kryptod::daemon::notify {

namespace {

struct v4_block {
    std::uint32_t network; // host byte order
    int bits;
};

// IANA IPv4 Special-Purpose Address Registry (the blocks not globally
// reachable, and the deprecated 6to4 relay anycast), plus multicast and the
// reserved 240/4, which holds the limited broadcast address.
constexpr std::array<v4_block, 16> v4_refused{{
    {0x00000000, 8},  // 0.0.0.0/8 "this network"
    {0x0a000000, 8},  // 10/8 private
    {0x64400000, 10}, // 100.64/10 shared address space (carrier NAT, cloud metadata)
    {0x7f000000, 8},  // 127/8 loopback
    {0xa9fe0000, 16}, // 169.254/16 link local
    {0xac100000, 12}, // 172.16/12 private
    {0xc0000000, 24}, // 192.0.0/24 IETF protocol assignments
    {0xc0000200, 24}, // 192.0.2/24 documentation
    {0xc0586300, 24}, // 192.88.99/24 6to4 relay anycast (deprecated)
    {0xc0a80000, 16}, // 192.168/16 private
    {0xc6120000, 15}, // 198.18/15 benchmarking
    {0xc6336400, 24}, // 198.51.100/24 documentation
    {0xcb007100, 24}, // 203.0.113/24 documentation
    {0xe0000000, 4},  // 224/4 multicast
    {0xf0000000, 4},  // 240/4 reserved, with 255.255.255.255
    {0xffffffff, 32}, // limited broadcast (inside 240/4; listed for the reader)
}};

bool global_v4(std::uint32_t a) noexcept {
    for (auto const& b : v4_refused) {
        std::uint32_t const mask = ~std::uint32_t{0} << (32 - b.bits);
        if ((a & mask) == b.network) return false;
    }
    return true;
}

std::uint32_t v4_at(unsigned char const* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

// Whether the first `bits` bits of `a` equal those of `prefix`.
bool in_v6(unsigned char const* a, std::array<unsigned char, 16> const& prefix, int bits) noexcept {
    int i = 0;
    for (; bits >= 8; bits -= 8, ++i)
        if (a[i] != prefix[i]) return false;
    if (bits == 0) return true;
    unsigned char const mask = static_cast<unsigned char>(0xff << (8 - bits));
    return (a[i] & mask) == (prefix[i] & mask);
}

using v6 = std::array<unsigned char, 16>;
constexpr v6 mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr v6 nat64{0x00, 0x64, 0xff, 0x9b};
constexpr v6 teredo_block{0x20, 0x01}; // 2001::/23 IETF protocol assignments
constexpr v6 documentation{0x20, 0x01, 0x0d, 0xb8};
constexpr v6 documentation_2{0x3f, 0xff}; // 3fff::/20
constexpr v6 six_to_four{0x20, 0x02};
constexpr v6 global_unicast{0x20}; // 2000::/3

bool global_v6(unsigned char const* a) noexcept {
    // The forms that carry an IPv4 address are as reachable as that address.
    if (in_v6(a, mapped, 96) || in_v6(a, nat64, 96)) return global_v4(v4_at(a + 12));
    if (!in_v6(a, global_unicast, 3)) return false;
    if (in_v6(a, teredo_block, 23) || in_v6(a, documentation, 32) || in_v6(a, documentation_2, 20))
        return false;
    if (in_v6(a, six_to_four, 16)) return global_v4(v4_at(a + 2));
    return true;
}

} // namespace

bool is_global_address(sockaddr const* address) noexcept {
    if (address == nullptr) return false;
    if (address->sa_family == AF_INET)
        return global_v4(ntohl(reinterpret_cast<sockaddr_in const*>(address)->sin_addr.s_addr));
    if (address->sa_family == AF_INET6)
        return global_v6(reinterpret_cast<sockaddr_in6 const*>(address)->sin6_addr.s6_addr);
    return false;
}

bool is_global_address(std::string_view numeric) noexcept {
    if (numeric.size() > INET6_ADDRSTRLEN) return false;
    char text[INET6_ADDRSTRLEN + 1] = {};
    numeric.copy(text, numeric.size());
    in_addr a4{};
    if (::inet_pton(AF_INET, text, &a4) == 1) return global_v4(ntohl(a4.s_addr));
    in6_addr a6{};
    if (::inet_pton(AF_INET6, text, &a6) == 1) return global_v6(a6.s6_addr);
    return false;
}

} // namespace kryptod::daemon::notify
