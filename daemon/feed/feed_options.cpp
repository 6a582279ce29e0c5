// feed_options: URL parsing with Boost.URL. Default ports follow the scheme.
#include "daemon/feed/feed_options.hpp"

#include <boost/url/parse.hpp>

namespace kryptod::daemon::feed {

std::optional<endpoint> parse_endpoint(std::string_view url, std::string& error) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) {
        error = "not a URL: " + std::string(url);
        return std::nullopt;
    }
    endpoint ep;
    auto const scheme = parsed->scheme();
    if (scheme == "wss" || scheme == "https")
        ep.tls = true;
    else if (scheme != "ws" && scheme != "http") {
        error = "unsupported scheme `" + std::string(scheme) + "` in " + std::string(url);
        return std::nullopt;
    }
    ep.host = parsed->host_address();
    if (ep.host.empty()) {
        error = "no host in " + std::string(url);
        return std::nullopt;
    }
    ep.port = parsed->has_port() ? std::string(parsed->port()) : (ep.tls ? "443" : "80");
    ep.target = parsed->encoded_target().empty() ? "/" : std::string(parsed->encoded_target());
    if (ep.target.front() != '/') ep.target.insert(ep.target.begin(), '/');
    return ep;
}

} // namespace kryptod::daemon::feed
