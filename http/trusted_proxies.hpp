// The reverse proxies whose forwarding headers kryptod believes
// (`http.trusted_proxies`), and the rule that finds a request's client behind
// them.
//
// The rule: a request's client is its TCP peer, unless that peer is a
// trusted proxy. Then the hops the proxies recorded are read from right to
// left (the rightmost was written by the proxy that connected to kryptod),
// trusted proxies are skipped, and the first hop that is not a trusted proxy
// is the client. The hops come from `X-Forwarded-For` when the request has
// one, otherwise from the `for=` parameters of `Forwarded` (RFC 7239); every
// instance of the header counts, in order. A hop that is not an IP address
// (`unknown`, an obfuscated `_name`, garbage) ends the walk: the client is
// then the last trusted address seen, so a malformed header can make a
// client share its proxy's identity but never choose a fresh one. When every
// hop is a trusted proxy, the leftmost one is the client.
//
// Why the rightmost untrusted hop: everything left of it was written by the
// client or by proxies kryptod does not know, and a client can write anything
// there. A proxy must therefore append to (or replace) the header it uses;
// one that uses `Forwarded` must also drop a client's `X-Forwarded-For`,
// which is read first.
//
// Addresses are compared after unmapping: ::ffff:10.0.0.1 is 10.0.0.1, on
// either side, so a dual-stack listener sees the same proxy.
//
// Thread-safety: immutable after construction; any number of threads may
// call its const members at once.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kryptod::http {

class trusted_proxies {
public:
    // Trusts nobody: every request's client is its peer.
    trusted_proxies() = default;

    // Parses a list of addresses and networks in CIDR notation (`10.0.0.1`,
    // `10.0.0.0/8`, `::1`, `fd00::/8`), separated by spaces or commas.
    // Throws std::invalid_argument naming the first bad entry, e.g. a prefix
    // length out of range or a network with host bits set (`10.0.0.1/8`).
    static trusted_proxies parse(std::string_view text);

    bool empty() const noexcept { return networks_.empty(); }

    // True when `address` lies in one of the networks.
    bool contains(boost::asio::ip::address const& address) const noexcept;

    // The request's client: `peer`, or when `peer` is trusted, the hop the
    // rule above picks from `headers`. Never fails: whatever the headers
    // hold, the answer is an address the rule allows.
    boost::asio::ip::address client_of(boost::asio::ip::address const& peer,
                                       boost::beast::http::fields const& headers) const;

private:
    struct network {
        std::array<std::uint8_t, 16> bytes{}; // IPv4 in the first 4 bytes
        unsigned prefix = 0;                  // bits that must match
        bool v4 = false;
    };
    std::vector<network> networks_;
};

// ::ffff:a.b.c.d as a.b.c.d; any other address unchanged.
boost::asio::ip::address unmapped(boost::asio::ip::address const& address) noexcept;

} // namespace kryptod::http
