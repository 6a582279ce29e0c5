// notify::address_policy: the one rule for which network addresses a
// user-given URL (a webhook today, the chat channels next) may reach.
//
// Only globally routable unicast addresses pass, per IANA's IPv4 and IPv6
// Special-Purpose Address Registries; everything a user could use to reach
// the daemon's own host or network is refused. The rule is an allow list
// where one is possible: an IPv6 address must lie in 2000::/3 (the only
// global unicast space allocated), so ::, ::1, IPv4-compatible ::a.b.c.d,
// 100::/64, fc00::/7, fe80::/10, fec0::/10, ff00::/8 and any future
// special block outside it fail without being listed. Inside 2000::/3 the
// special blocks are refused (2001::/23 with Teredo, 2001:db8::/32,
// 3fff::/20) and the forms that carry an IPv4 address are judged by that
// address: IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16.
// 64:ff9b:1::/48 (local-use NAT64) is refused outright.
// IPv4 refuses 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
// 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15,
// 198.51.100/24, 203.0.113/24, 224/4 (multicast), 240/4 (with
// 255.255.255.255).
//
// A few IANA blocks that are reachable but never host a service a user
// would name (anycast AS112 and AMT inside 2001::/23) are refused with
// their parent block: refusing too much here costs nothing, too little is
// a hole. Pure: no I/O, no name lookups; callers check the address they
// are about to connect to (see http_lane.cpp), never just a name.
#pragma once

#include <string_view>

struct sockaddr;

namespace kryptod::daemon::notify {

// Whether a connection to `address` is allowed for a user-given URL.
// False for null and for every family but AF_INET and AF_INET6.
bool is_global_address(sockaddr const* address) noexcept;

// The same for a numeric address ("203.0.113.7", "2001:db8::1"); false for
// text that is not a numeric IPv4 or IPv6 address.
bool is_global_address(std::string_view numeric) noexcept;

} // namespace kryptod::daemon::notify
