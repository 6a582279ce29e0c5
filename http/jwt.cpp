// HS256 JWTs with a pinned algorithm and a precomputed HMAC key.
#include "http/jwt.hpp"

#include <boost/json.hpp>
#include <sodium.h>

#include <array>
#include <stdexcept>

namespace kryptod::http {

namespace json = boost::json;

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_decode_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& v : table)
        v = -1;
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}

constexpr auto decode_table = make_decode_table();

// The header kryptod signs with; fixed, so it is encoded once.
std::string const& signing_header() {
    static std::string const header = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
    return header;
}

std::optional<std::int64_t> integer_claim(json::object const& o, std::string_view name) {
    auto const* v = o.if_contains(name);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->get_uint64());
    return std::nullopt;
}

std::optional<std::string_view> text_claim(json::object const& o, std::string_view name) {
    auto const* v = o.if_contains(name);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    auto const& s = v->get_string();
    return std::string_view(s.data(), s.size());
}

// Parses a decoded part into an object, with a small depth bound: a token's
// parts are flat objects and anything deeper is not a kryptod token.
std::optional<json::object> parse_part(std::string_view text, json::monotonic_resource& mr) {
    json::parse_options options;
    options.max_depth = 4;
    boost::system::error_code ec;
    auto v = json::parse(text, ec, &mr, options);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.get_object());
}

// a + b, held at the int64 range's ends instead of overflowing.
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (!__builtin_add_overflow(a, b, &sum)) return sum;
    return b > 0 ? INT64_MAX : INT64_MIN;
}

std::optional<std::int64_t> parse_subject(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    if (value <= 0) return std::nullopt;
    return value;
}

} // namespace

std::string_view to_string(jwt_error e) noexcept {
    switch (e) {
    case jwt_error::too_large:
        return "token too large";
    case jwt_error::malformed:
        return "malformed token";
    case jwt_error::unsupported_algorithm:
        return "unsupported algorithm";
    case jwt_error::bad_type:
        return "not a JWT";
    case jwt_error::bad_signature:
        return "bad signature";
    case jwt_error::bad_issuer:
        return "wrong issuer";
    case jwt_error::bad_claims:
        return "missing or malformed claims";
    case jwt_error::unsupported_critical:
        return "unsupported critical header parameter";
    case jwt_error::lifetime_too_long:
        return "token lifetime too long";
    case jwt_error::expired:
        return "token expired";
    case jwt_error::not_yet_valid:
        return "token not yet valid";
    }
    return "invalid token";
}

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    auto const byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (bytes.size() - i == 1) {
        std::uint32_t n = byte(i) << 16;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
    } else if (bytes.size() - i == 2) {
        std::uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        auto v = decode_table[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    // Leftover bits must be zero: otherwise two spellings decode the same.
    if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

struct jwt_codec::hmac_state {
    crypto_auth_hmacsha256_state state;
};

jwt_codec::jwt_codec(std::string_view secret, std::string issuer, std::chrono::seconds leeway,
                     std::chrono::seconds max_lifetime)
    : key_(std::make_unique<hmac_state>())
    , issuer_(std::move(issuer))
    , leeway_(leeway.count())
    , max_lifetime_(max_lifetime.count()) {
    if (secret.size() < 32)
        throw std::invalid_argument("the JWT secret must be at least 32 bytes long");
    if (leeway_ < 0) throw std::invalid_argument("the JWT leeway must not be negative");
    if (max_lifetime_ <= 0)
        throw std::invalid_argument("the JWT maximum lifetime must be positive");
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    crypto_auth_hmacsha256_init(&key_->state, reinterpret_cast<unsigned char const*>(secret.data()),
                                secret.size());
}

jwt_codec::~jwt_codec() {
    sodium_memzero(key_.get(), sizeof(hmac_state));
}

std::string jwt_codec::mac(std::string_view data) const {
    // A copy of the keyed state: the key's two padded blocks are already
    // absorbed, so only `data` is hashed here.
    crypto_auth_hmacsha256_state st = key_->state;
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<unsigned char const*>(data.data()),
                                  data.size());
    std::string out(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

std::string jwt_codec::sign(jwt_claims const& claims) const {
    json::object payload;
    payload["iss"] = issuer_;
    payload["sub"] = std::to_string(claims.subject);
    payload["role"] = claims.role;
    payload["iat"] = claims.issued_at;
    payload["exp"] = claims.expires_at;
    if (claims.not_before) payload["nbf"] = *claims.not_before;
    payload["jti"] = claims.id;
    std::string token = signing_header();
    token += '.';
    token += base64url_encode(json::serialize(payload));
    auto signature = base64url_encode(mac(token));
    token += '.';
    token += signature;
    return token;
}

std::variant<jwt_claims, jwt_error> jwt_codec::verify(std::string_view token,
                                                      std::int64_t now) const {
    if (token.size() > max_token_size) return jwt_error::too_large;
    auto const first = token.find('.');
    if (first == std::string_view::npos) return jwt_error::malformed;
    auto const second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return jwt_error::malformed;
    auto const header_part = token.substr(0, first);
    auto const payload_part = token.substr(first + 1, second - first - 1);
    auto const signature_part = token.substr(second + 1);
    if (header_part.empty() || payload_part.empty()) return jwt_error::malformed;

    unsigned char buffer[2048];
    json::monotonic_resource mr(buffer, sizeof(buffer));

    // kryptod's own header is one fixed string: recognising it spares a
    // decode and a parse on every authenticated request. Any other spelling
    // (PyJWT's, say) takes the general path below.
    if (header_part != signing_header()) {
        auto header_text = base64url_decode(header_part);
        if (!header_text) return jwt_error::malformed;
        auto header = parse_part(*header_text, mr);
        if (!header) return jwt_error::malformed;
        // The algorithm is pinned before anything else: a header naming
        // `none` or a public-key algorithm never reaches the signature check.
        auto alg = text_claim(*header, "alg");
        if (!alg || *alg != "HS256") return jwt_error::unsupported_algorithm;
        auto typ = text_claim(*header, "typ");
        if (!typ || *typ != "JWT") return jwt_error::bad_type;
        // kryptod understands no extension, so any critical one (and a
        // malformed `crit`, or an empty one, which RFC 7515 forbids) means
        // the token is not for it.
        if (header->contains("crit")) return jwt_error::unsupported_critical;
    }

    auto signature = base64url_decode(signature_part);
    if (!signature || signature->size() != crypto_auth_hmacsha256_BYTES)
        return jwt_error::bad_signature;
    auto expected = mac(token.substr(0, second));
    if (sodium_memcmp(expected.data(), signature->data(), expected.size()) != 0)
        return jwt_error::bad_signature;

    auto payload_text = base64url_decode(payload_part);
    if (!payload_text) return jwt_error::malformed;
    auto payload = parse_part(*payload_text, mr);
    if (!payload) return jwt_error::malformed;

    auto iss = text_claim(*payload, "iss");
    if (!iss || *iss != issuer_) return jwt_error::bad_issuer;
    auto sub = text_claim(*payload, "sub");
    auto role = text_claim(*payload, "role");
    auto jti = text_claim(*payload, "jti");
    auto iat = integer_claim(*payload, "iat");
    auto exp = integer_claim(*payload, "exp");
    if (!sub || !role || !jti || !iat || !exp || jti->empty()) return jwt_error::bad_claims;
    auto subject = parse_subject(*sub);
    if (!subject || (*role != "user" && *role != "admin")) return jwt_error::bad_claims;
    std::optional<std::int64_t> nbf;
    if (payload->contains("nbf")) {
        nbf = integer_claim(*payload, "nbf");
        if (!nbf) return jwt_error::bad_claims;
    }
    // Times before 1970 are no kryptod token's; with both ends non-negative,
    // exp - iat cannot overflow. (An exp before iat only makes the token
    // expire sooner, so it is left to the expiry check.)
    if (*iat < 0 || *exp < 0 || (nbf && *nbf < 0)) return jwt_error::bad_claims;
    if (*exp - *iat > max_lifetime_) return jwt_error::lifetime_too_long;
    if (saturating_add(*exp, leeway_) <= now) return jwt_error::expired;
    auto const latest_start = saturating_add(now, leeway_);
    if (nbf && *nbf > latest_start) return jwt_error::not_yet_valid;
    if (*iat > latest_start) return jwt_error::not_yet_valid;

    jwt_claims claims;
    claims.subject = *subject;
    claims.role = std::string(*role);
    claims.issued_at = *iat;
    claims.expires_at = *exp;
    claims.not_before = nbf;
    claims.id = std::string(*jti);
    return claims;
}

} // namespace kryptod::http
