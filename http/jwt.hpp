// JWT access tokens: HS256 only, as kryptod issues and accepts them.
//
// Invariants:
// - the algorithm is pinned: a token is accepted only when its header says
//   exactly `"alg":"HS256"` and `"typ":"JWT"`, whatever else it claims; `none`
//   and every other algorithm are refused before any signature work;
// - a header with `crit` is refused: kryptod understands no extension, and
//   RFC 7515 §4.1.11 requires refusing a token whose critical extensions
//   are not understood;
// - the signature is checked in constant time before any claim is trusted;
// - an accepted token has `iss` equal to the codec's issuer, a numeric `sub`,
//   a `role` of `user` or `admin`, non-negative integer `iat` and `exp`
//   with exp - iat <= max_lifetime (a token that claims a
//   longer life than kryptod ever grants was not made by kryptod's rules,
//   whoever holds the key), a `jti`, and is inside its validity window
//   (`nbf` honoured) with `leeway` either side. The window arithmetic
//   saturates instead of overflowing, so no claimed time, however large or
//   negative, wraps around into validity.
//
// The HMAC key is hashed into inner and outer digest states once, at
// construction; each sign or verify copies those states, so the per-token
// cost is two short SHA-256 runs.
//
// Thread-safety: a jwt_codec is immutable after construction; sign() and
// verify() may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace kryptod::http {

// The claims kryptod puts into, and requires from, an access token.
struct jwt_claims {
    std::int64_t subject = 0;               // `sub`, the user id (a decimal string on the wire)
    std::string role;                       // `role`: "user" or "admin"
    std::int64_t issued_at = 0;             // `iat`, Unix seconds
    std::int64_t expires_at = 0;            // `exp`, Unix seconds
    std::optional<std::int64_t> not_before; // `nbf`, Unix seconds
    std::string id;                         // `jti`
};

// Why a token was refused; the API answers every one of them with 401, the
// reason is for logs and tests.
enum class jwt_error {
    too_large,             // longer than max_token_size
    malformed,             // not three base64url parts of JSON objects
    unsupported_algorithm, // `alg` is anything but HS256 (none included)
    bad_type,              // `typ` missing or not "JWT"
    bad_signature,         // the HMAC does not match
    bad_issuer,            // `iss` is not the expected issuer
    bad_claims,            // a required claim is missing, of the wrong type, or out of range
    unsupported_critical,  // the header lists `crit` extensions
    lifetime_too_long,     // `exp` - `iat` exceeds the codec's max_lifetime
    expired,               // `exp` + leeway is past
    not_yet_valid,         // `nbf` - leeway is in the future
};

std::string_view to_string(jwt_error e) noexcept;

// Tokens above this size are refused unread (a kryptod token is ~250 bytes).
inline constexpr std::size_t max_token_size = 4096;

// The longest life a token may claim unless the codec is told otherwise:
// the largest `auth.access_ttl` kryptod accepts.
inline constexpr std::chrono::seconds default_max_lifetime{86400};

class jwt_codec {
public:
    // `secret` is the HMAC key; throws std::invalid_argument when it is
    // shorter than 32 bytes (RFC 7518 §3.2 asks for at least the hash size),
    // or when `leeway` is negative or `max_lifetime` not positive.
    // `max_lifetime` bounds `exp` - `iat` of accepted tokens: give it the
    // access-token lifetime the tokens are signed with.
    explicit jwt_codec(std::string_view secret, std::string issuer = "kryptod",
                       std::chrono::seconds leeway = std::chrono::seconds(30),
                       std::chrono::seconds max_lifetime = default_max_lifetime);
    ~jwt_codec();
    jwt_codec(jwt_codec const&) = delete;
    jwt_codec& operator=(jwt_codec const&) = delete;

    // Encodes and signs `claims` (`nbf` only when set). Never fails.
    std::string sign(jwt_claims const& claims) const;

    // Checks `token` at `now` (Unix seconds): returns its claims, or why it
    // was refused.
    std::variant<jwt_claims, jwt_error> verify(std::string_view token, std::int64_t now) const;

    std::string const& issuer() const noexcept { return issuer_; }

private:
    struct hmac_state;
    std::string mac(std::string_view data) const; // raw 32-byte HMAC-SHA256

    std::unique_ptr<hmac_state> key_;
    std::string issuer_;
    std::int64_t leeway_;
    std::int64_t max_lifetime_;
};

// base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);

// Strict base64url decoding: no padding, no whitespace, nothing outside the
// URL-safe alphabet, and unused trailing bits must be zero (so every token
// has exactly one spelling). std::nullopt on any violation.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace kryptod::http
