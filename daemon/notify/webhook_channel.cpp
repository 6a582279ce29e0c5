// notify::webhook_client: resolve and vet the target, then POST the signed
// event with libcurl pinned to the vetted addresses.
#include "daemon/notify/webhook_client.hpp"

#include "core/rfc3339.hpp"
#include "daemon/notify/curl_global.hpp"

#include <boost/json.hpp>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <arpa/inet.h>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <sys/socket.h>
#include <vector>

namespace kryptod::daemon::notify {

namespace {

bool private_v4(std::uint32_t a) noexcept { // host byte order
    auto in = [a](std::uint32_t net, int bits) {
        std::uint32_t const mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
        return (a & mask) == net;
    };
    return in(0x00000000, 8) || in(0x7f000000, 8) || in(0x0a000000, 8) || in(0xac100000, 12) ||
           in(0xc0a80000, 16) || in(0xa9fe0000, 16);
}

bool private_v6(unsigned char const* b) noexcept {
    static constexpr unsigned char zero[16] = {};
    bool const first_80_zero = std::memcmp(b, zero, 10) == 0;
    if (first_80_zero && b[10] == 0xff && b[11] == 0xff) { // ::ffff:a.b.c.d
        std::uint32_t const v4 = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                                 (std::uint32_t{b[14]} << 8) | std::uint32_t{b[15]};
        return private_v4(v4);
    }
    if (std::memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true; // :: and ::1
    if ((b[0] & 0xfe) == 0xfc) return true;                                       // fc00::/7
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;                       // fe80::/10
    return false;
}

struct curl_handle_deleter {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};

struct target {
    std::string scheme;
    std::string host; // without IPv6 brackets
    std::string port;
    bool literal = false; // host is a numeric address
};

// Fails with a permanent reason for a URL kryptod will not call.
std::optional<target> parse_target(std::string const& url, std::string& error) {
    std::unique_ptr<CURLU, curl_handle_deleter> u(curl_url());
    if (!u) {
        error = "out of memory parsing the webhook URL";
        return std::nullopt;
    }
    if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        error = "webhook_url is not a valid URL";
        return std::nullopt;
    }
    auto part = [&](CURLUPart which, unsigned flags) -> std::string {
        char* text = nullptr;
        if (curl_url_get(u.get(), which, &text, flags) != CURLUE_OK || text == nullptr) return {};
        std::string out(text);
        curl_free(text);
        return out;
    };
    target t;
    t.scheme = part(CURLUPART_SCHEME, 0);
    if (t.scheme != "http" && t.scheme != "https") {
        error = "webhook_url must be http:// or https://";
        return std::nullopt;
    }
    t.host = part(CURLUPART_HOST, 0);
    t.port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (t.host.size() >= 2 && t.host.front() == '[' && t.host.back() == ']') {
        t.host = t.host.substr(1, t.host.size() - 2);
        t.literal = true;
    }
    if (t.host.empty() || t.port.empty()) {
        error = "webhook_url has no host";
        return std::nullopt;
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET, t.host.c_str(), buf) == 1) t.literal = true;
    return t;
}

std::string numeric(sockaddr const* sa) {
    char text[INET6_ADDRSTRLEN] = {};
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in const*>(sa)->sin_addr, text, sizeof text);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6 const*>(sa)->sin6_addr, text,
                  sizeof text);
    return text;
}

struct socket_guard {
    bool allow_private = false;
    bool refused = false;
    std::string refused_address;
};

curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* address) {
    auto* guard = static_cast<socket_guard*>(user);
    if (!guard->allow_private && is_private_address(&address->addr)) {
        guard->refused = true;
        guard->refused_address = numeric(&address->addr);
        return CURL_SOCKET_BAD;
    }
    return ::socket(address->family, address->socktype, address->protocol);
}

std::size_t discard(char*, std::size_t size, std::size_t count, void*) {
    return size * count;
}

CURL* as_curl(void* h) {
    return static_cast<CURL*>(h);
}

} // namespace

bool is_private_address(sockaddr const* address) noexcept {
    if (address == nullptr) return true;
    if (address->sa_family == AF_INET) {
        auto const* in = reinterpret_cast<sockaddr_in const*>(address);
        return private_v4(ntohl(in->sin_addr.s_addr));
    }
    if (address->sa_family == AF_INET6) {
        auto const* in6 = reinterpret_cast<sockaddr_in6 const*>(address);
        return private_v6(in6->sin6_addr.s6_addr);
    }
    return true;
}

bool is_private_address(std::string_view text) noexcept {
    std::string const s(text);
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return private_v4(ntohl(v4.s_addr));
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) return private_v6(v6.s6_addr);
    return false;
}

std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body) {
    std::string const signed_text = std::to_string(timestamp) + "." + std::string(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<unsigned char const*>(signed_text.data()), signed_text.size(), mac,
         &mac_len);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "sha256=";
    for (unsigned int i = 0; i < mac_len; ++i) {
        out.push_back(hex[mac[i] >> 4]);
        out.push_back(hex[mac[i] & 0xf]);
    }
    return out;
}

std::string webhook_body(alert_notice const& n, std::string_view delivery_id) {
    namespace json = boost::json;
    json::object alert;
    alert["id"] = n.alert;
    alert["symbol"] = n.symbol;
    alert["name"] = n.name;
    alert["target_price"] = n.target.to_string();
    alert["direction"] = core::to_string(n.side);
    json::object o;
    o["type"] = "alert.triggered";
    o["delivery_id"] = delivery_id;
    o["alert"] = std::move(alert);
    o["price"] = n.trigger_price.to_string();
    o["exchange_time"] = core::format_rfc3339(n.exchange_time);
    o["detected_at"] = core::format_rfc3339(n.detected_at);
    o["backfilled"] = n.backfilled;
    return json::serialize(o);
}

webhook_client::webhook_client(webhook_options options)
    : options_(std::move(options)) {
    ensure_curl();
    handle_ = curl_easy_init();
    if (handle_ == nullptr) throw std::runtime_error("libcurl could not create a handle");
}

webhook_client::~webhook_client() {
    curl_easy_cleanup(as_curl(handle_));
}

delivery_result webhook_client::post(webhook_request const& request) {
    std::string error;
    auto const t = parse_target(request.url, error);
    if (!t) return {delivery_outcome::permanent, 0, error};

    // Resolve once and vet every address; the connection may then use only
    // these (CURLOPT_RESOLVE), so a second lookup cannot swap in another.
    std::string pinned;
    if (!t->literal) {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        int const rc = ::getaddrinfo(t->host.c_str(), t->port.c_str(), &hints, &found);
        if (rc != 0)
            return {delivery_outcome::temporary, 0,
                    "cannot resolve " + t->host + ": " + gai_strerror(rc)};
        std::vector<std::string> addresses;
        for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
            if (!options_.allow_private && is_private_address(a->ai_addr)) {
                std::string const bad = numeric(a->ai_addr);
                ::freeaddrinfo(found);
                return {delivery_outcome::permanent, 0,
                        "webhook target " + t->host + " resolves to the private address " + bad};
            }
            std::string const text = numeric(a->ai_addr);
            addresses.push_back(a->ai_family == AF_INET6 ? "[" + text + "]" : text);
        }
        ::freeaddrinfo(found);
        pinned = t->host + ":" + t->port + ":";
        for (std::size_t i = 0; i < addresses.size(); ++i)
            pinned += (i == 0 ? "" : ",") + addresses[i];
    } else if (!options_.allow_private && is_private_address(t->host)) {
        return {delivery_outcome::permanent, 0,
                "webhook target " + t->host + " is a private address"};
    }

    CURL* h = as_curl(handle_);
    char error_buffer[CURL_ERROR_SIZE] = {};
    socket_guard guard{options_.allow_private, false, {}};
    std::string const unpin = "-" + t->host + ":" + t->port;
    curl_slist* resolve = nullptr;
    curl_slist* headers = nullptr;
    std::string const h_delivery = "X-Kryptod-Delivery: " + request.delivery_id;
    std::string const h_timestamp = "X-Kryptod-Timestamp: " + std::to_string(request.timestamp);
    std::string const h_signature =
        "X-Kryptod-Signature: " +
        webhook_signature(request.secret, request.timestamp, request.body);
    for (char const* line : {"Content-Type: application/json", "Expect:", h_delivery.c_str(),
                             h_timestamp.c_str(), h_signature.c_str()})
        headers = curl_slist_append(headers, line);
    if (!pinned.empty()) {
        resolve = curl_slist_append(resolve, unpin.c_str());
        resolve = curl_slist_append(resolve, pinned.c_str());
    }

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kryptod/" KRYPTOD_VERSION);
    if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (resolve != nullptr) curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &guard);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &discard);

    CURLcode const code = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, nullptr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(h, CURLOPT_RESOLVE, nullptr);
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);

    if (guard.refused)
        return {delivery_outcome::permanent, 0,
                "webhook target connects to the private address " + guard.refused_address};
    if (code != CURLE_OK)
        return {delivery_outcome::temporary, 0,
                error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code)};
    std::string const answer = "HTTP " + std::to_string(status);
    if (status >= 200 && status <= 299) return {delivery_outcome::delivered, status, answer};
    if (status == 408 || status == 429 || (status >= 500 && status <= 599))
        return {delivery_outcome::temporary, status, answer};
    return {delivery_outcome::permanent, status, answer};
}

} // namespace kryptod::daemon::notify
