// Trusted proxy networks and the right-to-left walk over forwarding headers.
//
// The header parsers here read untrusted text: they never throw, never read
// past the value, and turn anything they do not understand into a hop that is
// "not an address", which ends the walk (see the header).
#include "http/trusted_proxies.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>

namespace kryptod::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using address = asio::ip::address;

namespace {

// A hop as a header recorded it: an address, or std::nullopt for anything
// that is not one (unknown, obfuscated, malformed).
using hop = std::optional<address>;

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_ows(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back()))
        s.remove_suffix(1);
    return s;
}

// RFC 9110 tchar.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A port as RFC 7239 allows it after a node: digits, or an obfuscated
// `_name`. Its value is never used, only checked.
bool is_port(std::string_view s) {
    if (s.empty()) return false;
    if (s.front() == '_')
        return s.size() > 1 && std::all_of(s.begin() + 1, s.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
               });
    unsigned port = 0;
    auto const [end, err] = std::from_chars(s.data(), s.data() + s.size(), port);
    return err == std::errc{} && end == s.data() + s.size() && port <= 65535;
}

// One node: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`,
// `[2001:db8::1]:443`.
hop parse_node(std::string_view s) {
    std::string_view host = s;
    if (!s.empty() && s.front() == '[') {
        auto const close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = s.substr(1, close - 1);
        auto const rest = s.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1)))) return std::nullopt;
        if (host.find(':') == std::string_view::npos) return std::nullopt; // brackets are for v6
    } else if (std::count(s.begin(), s.end(), ':') == 1) {
        auto const colon = s.find(':');
        host = s.substr(0, colon);
        if (!is_port(s.substr(colon + 1))) return std::nullopt;
    }
    // A zone (fe80::1%eth0) names the proxy's interface, not a client; and
    // an unknown zone name would silently read as no zone at all.
    if (host.empty() || host.size() > 64 || host.find('%') != std::string_view::npos)
        return std::nullopt;
    boost::system::error_code ec;
    auto a = asio::ip::make_address(std::string(host), ec);
    if (ec) return std::nullopt;
    return a;
}

// X-Forwarded-For: comma-separated nodes; empty list elements are ignored,
// as RFC 9110 §5.6.1 asks of list fields.
void add_x_forwarded_for(std::string_view value, std::vector<hop>& hops) {
    while (true) {
        auto const comma = value.find(',');
        auto const item = trim(value.substr(0, comma));
        if (!item.empty()) hops.push_back(parse_node(item));
        if (comma == std::string_view::npos) return;
        value.remove_prefix(comma + 1);
    }
}

// Forwarded (RFC 7239 §4): elements separated by commas, each a list of
// `name=value` pairs separated by semicolons, a value a token or a quoted
// string. Each element is one hop: its `for=` node, or "not an address" when
// the element has none, has two, or does not parse.
class forwarded_reader {
public:
    explicit forwarded_reader(std::string_view value)
        : s_(value) {}

    void read(std::vector<hop>& hops) {
        while (true) {
            skip_ows();
            if (at_end()) return;
            if (s_[i_] == ',') { // an empty element
                ++i_;
                continue;
            }
            hops.push_back(element());
            if (at_end()) return;
            ++i_; // the comma that ended the element
        }
    }

private:
    // Reads one element up to its closing comma (not consumed) or the end.
    hop element() {
        std::optional<std::string> node;
        bool bad = false;
        while (true) {
            skip_ows();
            auto const name = token();
            skip_ows();
            std::optional<std::string> value;
            if (!name.empty() && !at_end() && s_[i_] == '=') {
                ++i_;
                skip_ows();
                value = pair_value();
            }
            if (!value) {
                bad = true;
                break;
            }
            if (beast::iequals(name, "for")) {
                if (node) bad = true; // two `for=` in one hop: which is it?
                node = std::move(value);
            }
            skip_ows();
            if (at_end() || s_[i_] == ',') break;
            if (s_[i_] != ';') {
                bad = true;
                break;
            }
            ++i_;
        }
        if (bad) {
            skip_to_comma();
            return std::nullopt;
        }
        if (!node) return std::nullopt;
        return parse_node(*node);
    }

    std::string_view token() {
        auto const start = i_;
        while (!at_end() && is_tchar(s_[i_]))
            ++i_;
        return s_.substr(start, i_ - start);
    }

    // A token, or a quoted string with its escapes undone; std::nullopt when
    // neither is there (an unterminated quote included).
    std::optional<std::string> pair_value() {
        if (at_end()) return std::nullopt;
        if (s_[i_] != '"') {
            auto const t = token();
            if (t.empty()) return std::nullopt;
            return std::string(t);
        }
        ++i_;
        std::string out;
        while (!at_end()) {
            char c = s_[i_++];
            if (c == '"') return out;
            if (c == '\\') {
                if (at_end()) return std::nullopt;
                c = s_[i_++];
            }
            out += c;
        }
        return std::nullopt;
    }

    // After a bad pair: on to the next element, stepping over quoted commas.
    void skip_to_comma() {
        bool quoted = false;
        while (!at_end()) {
            char const c = s_[i_];
            if (!quoted && c == ',') return;
            if (c == '"') quoted = !quoted;
            if (quoted && c == '\\') ++i_;
            ++i_;
        }
        i_ = s_.size();
    }

    void skip_ows() {
        while (!at_end() && is_ows(s_[i_]))
            ++i_;
    }
    bool at_end() const { return i_ >= s_.size(); }

    std::string_view s_;
    std::size_t i_ = 0;
};

// The hops the headers record, leftmost first.
std::vector<hop> recorded_hops(beast::http::fields const& headers) {
    std::vector<hop> hops;
    bool has_xff = false;
    for (auto const& f : headers) {
        if (!beast::iequals(f.name_string(), "X-Forwarded-For")) continue;
        has_xff = true;
        add_x_forwarded_for(f.value(), hops);
    }
    if (has_xff) return hops;
    for (auto const& f : headers)
        if (f.name() == beast::http::field::forwarded) forwarded_reader(f.value()).read(hops);
    return hops;
}

} // namespace

address unmapped(address const& a) noexcept {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    return a;
}

trusted_proxies trusted_proxies::parse(std::string_view text) {
    trusted_proxies out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (is_ows(text[i]) || text[i] == ',') {
            ++i;
            continue;
        }
        auto end = text.find_first_of(" \t,", i);
        if (end == std::string_view::npos) end = text.size();
        auto const entry = text.substr(i, end - i);
        i = end;
        auto const bad = [&](std::string const& why) {
            return std::invalid_argument("\"" + std::string(entry) + "\" " + why);
        };

        auto const slash = entry.find('/');
        boost::system::error_code ec;
        auto const host = entry.substr(0, slash);
        auto const a = asio::ip::make_address(std::string(host), ec);
        if (ec || host.find('%') != std::string_view::npos)
            throw bad("is not an IP address or a network like 10.0.0.0/8 or fd00::/8");
        unsigned const width = a.is_v4() ? 32 : 128;
        unsigned prefix = width;
        if (slash != std::string_view::npos) {
            auto const digits = entry.substr(slash + 1);
            auto const [end_ptr, err] =
                std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
            if (digits.empty() || err != std::errc{} || end_ptr != digits.data() + digits.size() ||
                prefix > width)
                throw bad("has a bad prefix length (0 to " + std::to_string(width) + ")");
        }
        network n;
        n.v4 = a.is_v4();
        n.prefix = prefix;
        if (n.v4) {
            auto const b = a.to_v4().to_bytes();
            std::copy(b.begin(), b.end(), n.bytes.begin());
        } else {
            auto const b = a.to_v6().to_bytes();
            std::copy(b.begin(), b.end(), n.bytes.begin());
        }
        for (unsigned bit = prefix; bit < width; ++bit)
            if (n.bytes[bit / 8] & (0x80u >> (bit % 8)))
                throw bad("has bits set after its prefix: write the network's first address");
        // ::ffff:0:0/96 and narrower are IPv4 networks (peers are unmapped too).
        if (!n.v4 && prefix >= 96 && a.to_v6().is_v4_mapped()) {
            std::copy(n.bytes.begin() + 12, n.bytes.end(), n.bytes.begin());
            std::fill(n.bytes.begin() + 4, n.bytes.end(), 0);
            n.v4 = true;
            n.prefix = prefix - 96;
        }
        out.networks_.push_back(n);
    }
    return out;
}

bool trusted_proxies::contains(address const& raw) const noexcept {
    if (networks_.empty()) return false;
    auto const a = unmapped(raw);
    std::array<std::uint8_t, 16> bytes{};
    if (a.is_v4()) {
        auto const b = a.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), bytes.begin());
    } else {
        auto const b = a.to_v6().to_bytes();
        std::copy(b.begin(), b.end(), bytes.begin());
    }
    for (auto const& n : networks_) {
        if (n.v4 != a.is_v4()) continue;
        unsigned const whole = n.prefix / 8;
        if (!std::equal(n.bytes.begin(), n.bytes.begin() + whole, bytes.begin())) continue;
        unsigned const rest = n.prefix % 8;
        if (rest == 0) return true;
        auto const mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
        if ((n.bytes[whole] & mask) == (bytes[whole] & mask)) return true;
    }
    return false;
}

address trusted_proxies::client_of(address const& peer, beast::http::fields const& headers) const {
    auto client = unmapped(peer);
    if (!contains(client)) return client;
    auto const hops = recorded_hops(headers);
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        if (!*it) return client; // not an address: the proxy that recorded it
        client = unmapped(**it);
        if (!contains(client)) return client;
    }
    return client;
}

} // namespace kryptod::http
