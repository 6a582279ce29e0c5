// notify::webhook_client: signed webhook POSTs (SPEC §5) through libcurl.
//
// libcurl rather than a Beast client: the sender's thread is blocking by
// design (it must never run on the io_context), libcurl already carries the
// SMTP side and the TLS setup, and CURLOPT_RESOLVE lets the addresses that
// were checked be the only ones the connection may use, which closes the DNS
// rebinding gap between "check the target" and "connect to it".
//
// Invariants:
// - Unless private targets are allowed, a request is sent only when every
//   address the host resolves to is public (not loopback, private, link
//   local, unique local, unspecified or an IPv4-mapped form of those); the
//   socket callback checks each address again before connecting.
// - Only http and https, no redirects, a whole-request deadline (5 s).
// - The signature is HMAC-SHA256 over "<timestamp>.<body>" with the user's
//   secret, hex encoded: what a receiver recomputes byte for byte.
//
// Thread-safety: none; one client per thread (the outbox sender's).
#pragma once

#include "daemon/notify/delivery_result.hpp"
#include "daemon/notify/notice.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct sockaddr;

namespace kryptod::daemon::notify {

struct webhook_options {
    bool allow_private = false; // notify.webhook_allow_private
    std::chrono::milliseconds timeout{5000};
    std::filesystem::path ca_file; // empty: the system store
};

struct webhook_request {
    std::string url;
    std::string secret;
    std::string delivery_id;    // X-Kryptod-Delivery, the same on every retry
    std::int64_t timestamp = 0; // X-Kryptod-Timestamp, Unix seconds
    std::string body;           // the JSON event
};

// "sha256=<64 lower-case hex digits>" of HMAC-SHA256(secret, "<timestamp>.<body>").
std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body);

// The JSON event of an alert notice:
// {"type": "alert.triggered", "delivery_id", "alert": {"id", "symbol", "name",
// "target_price", "direction"}, "price", "exchange_time", "detected_at",
// "backfilled"}, times in RFC 3339 UTC, prices as decimal strings.
std::string webhook_body(alert_notice const& n, std::string_view delivery_id);

// Whether an address is one a webhook must not reach by default: 0.0.0.0/8,
// 127/8, 10/8, 172.16/12, 192.168/16, 169.254/16, ::, ::1, fc00::/7,
// fe80::/10, and IPv4-mapped IPv6 forms of the IPv4 ranges. Unknown address
// families count as private.
bool is_private_address(sockaddr const* address) noexcept;

// The same for a numeric address text ("10.1.2.3", "::1"); false for text
// that is not a numeric address.
bool is_private_address(std::string_view numeric) noexcept;

class webhook_client {
public:
    // Throws std::runtime_error when libcurl cannot make a handle.
    explicit webhook_client(webhook_options options);
    ~webhook_client();

    webhook_client(webhook_client const&) = delete;
    webhook_client& operator=(webhook_client const&) = delete;

    // POSTs the event. delivered on 2xx; temporary when the host does not
    // resolve or answer, on a timeout, and on 408, 429 and 5xx; permanent on
    // a URL that is not http(s), a private target (unless allowed), a
    // redirect and any other status. Never throws.
    delivery_result post(webhook_request const& request);

private:
    webhook_options options_;
    void* handle_ = nullptr; // CURL*, kept for connection reuse
};

} // namespace kryptod::daemon::notify
