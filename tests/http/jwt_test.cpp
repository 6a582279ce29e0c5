// Tests for http/jwt.hpp: round trips, the pinned algorithm, every refusal
// reason, strict base64url.
#include "http/jwt.hpp"

#include <boost/test/unit_test.hpp>
#include <sodium.h>

#include <cstdint>

using namespace kryptod::http;

namespace {

std::string const secret(64, 'k');
constexpr std::int64_t now = 1'800'000'000;

jwt_claims sample() {
    jwt_claims c;
    c.subject = 42;
    c.role = "admin";
    c.issued_at = now;
    c.expires_at = now + 900;
    c.id = "abc123";
    return c;
}

// A token with any header and payload text, correctly signed with `secret`:
// what someone holding the key, or a bug in an issuer, could produce.
std::string signed_token(std::string_view header, std::string_view payload) {
    auto token = base64url_encode(header) + "." + base64url_encode(payload);
    std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<unsigned char const*>(secret.data()),
                                secret.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<unsigned char const*>(token.data()),
                                  token.size());
    crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(mac.data()));
    return token + "." + base64url_encode(mac);
}

std::string payload_with(std::string_view times) {
    return R"({"iss":"kryptod","sub":"42","role":"user","jti":"j1",)" + std::string(times) + "}";
}

jwt_error refusal(std::variant<jwt_claims, jwt_error> const& r) {
    BOOST_TEST_REQUIRE(std::holds_alternative<jwt_error>(r));
    return std::get<jwt_error>(r);
}

} // namespace

BOOST_AUTO_TEST_SUITE(jwt)

BOOST_AUTO_TEST_CASE(signed_token_verifies_with_its_claims) {
    jwt_codec codec(secret);
    auto token = codec.sign(sample());
    auto r = codec.verify(token, now + 10);
    BOOST_TEST_REQUIRE(std::holds_alternative<jwt_claims>(r));
    auto const& c = std::get<jwt_claims>(r);
    BOOST_TEST(c.subject == 42);
    BOOST_TEST(c.role == "admin");
    BOOST_TEST(c.issued_at == now);
    BOOST_TEST(c.expires_at == now + 900);
    BOOST_TEST(c.id == "abc123");
    BOOST_TEST(!c.not_before.has_value());
}

BOOST_AUTO_TEST_CASE(header_names_hs256_and_jwt) {
    jwt_codec codec(secret);
    auto token = codec.sign(sample());
    auto header = base64url_decode(token.substr(0, token.find('.')));
    BOOST_TEST_REQUIRE(header.has_value());
    BOOST_TEST(*header == R"({"alg":"HS256","typ":"JWT"})");
}

BOOST_AUTO_TEST_CASE(short_secret_is_refused) {
    BOOST_CHECK_THROW(jwt_codec(std::string(31, 'x')), std::invalid_argument);
    BOOST_CHECK_NO_THROW(jwt_codec(std::string(32, 'x')));
}

BOOST_AUTO_TEST_CASE(another_key_is_a_bad_signature) {
    jwt_codec codec(secret), other(std::string(64, 'z'));
    BOOST_TEST((refusal(other.verify(codec.sign(sample()), now)) == jwt_error::bad_signature));
}

BOOST_AUTO_TEST_CASE(expiry_and_leeway) {
    jwt_codec codec(secret);
    auto token = codec.sign(sample());
    BOOST_TEST(std::holds_alternative<jwt_claims>(codec.verify(token, now + 900 + 29)));
    BOOST_TEST((refusal(codec.verify(token, now + 900 + 30)) == jwt_error::expired));
}

BOOST_AUTO_TEST_CASE(not_before_is_honoured_with_leeway) {
    jwt_codec codec(secret);
    auto c = sample();
    c.not_before = now + 100;
    auto token = codec.sign(c);
    BOOST_TEST((refusal(codec.verify(token, now)) == jwt_error::not_yet_valid));
    BOOST_TEST(std::holds_alternative<jwt_claims>(codec.verify(token, now + 70)));
}

BOOST_AUTO_TEST_CASE(tampered_payload_is_a_bad_signature) {
    jwt_codec codec(secret);
    auto token = codec.sign(sample());
    auto first = token.find('.'), second = token.rfind('.');
    auto payload = *base64url_decode(token.substr(first + 1, second - first - 1));
    payload.replace(payload.find("admin"), 5, "user!");
    auto forged = token.substr(0, first + 1) + base64url_encode(payload) + token.substr(second);
    BOOST_TEST((refusal(codec.verify(forged, now)) == jwt_error::bad_signature));
}

BOOST_AUTO_TEST_CASE(other_algorithms_and_none_are_refused_before_the_signature) {
    jwt_codec codec(secret);
    auto token = codec.sign(sample());
    auto rest = token.substr(token.find('.'));
    for (std::string alg : {"none", "None", "NONE", "nOnE", "HS384", "HS512", "RS256", "hs256"}) {
        auto header = base64url_encode(R"({"alg":")" + alg + R"(","typ":"JWT"})");
        BOOST_TEST_INFO("alg " << alg);
        BOOST_TEST((refusal(codec.verify(header + rest, now)) == jwt_error::unsupported_algorithm));
        auto unsigned_token = header + rest.substr(0, rest.rfind('.') + 1);
        BOOST_TEST(
            (refusal(codec.verify(unsigned_token, now)) == jwt_error::unsupported_algorithm));
    }
}

BOOST_AUTO_TEST_CASE(wrong_type_is_refused) {
    jwt_codec codec(secret);
    auto token = codec.sign(sample());
    auto rest = token.substr(token.find('.'));
    auto header = base64url_encode(R"({"alg":"HS256","typ":"JWS"})");
    BOOST_TEST((refusal(codec.verify(header + rest, now)) == jwt_error::bad_type));
    header = base64url_encode(R"({"alg":"HS256"})");
    BOOST_TEST((refusal(codec.verify(header + rest, now)) == jwt_error::bad_type));
}

BOOST_AUTO_TEST_CASE(another_issuer_is_refused) {
    jwt_codec mine(secret), theirs(secret, "someone-else");
    BOOST_TEST((refusal(mine.verify(theirs.sign(sample()), now)) == jwt_error::bad_issuer));
}

BOOST_AUTO_TEST_CASE(missing_claims_are_refused) {
    jwt_codec codec(secret);
    auto c = sample();
    c.role = "root";
    BOOST_TEST((refusal(codec.verify(codec.sign(c), now)) == jwt_error::bad_claims));
    c = sample();
    c.id.clear();
    BOOST_TEST((refusal(codec.verify(codec.sign(c), now)) == jwt_error::bad_claims));
}

BOOST_AUTO_TEST_CASE(crit_in_the_header_is_refused_even_when_signed) {
    jwt_codec codec(secret);
    auto const payload = payload_with(R"("iat":1800000000,"exp":1800000900)");
    // The same payload under a plain PyJWT-style header is fine: only crit matters.
    BOOST_TEST(std::holds_alternative<jwt_claims>(
        codec.verify(signed_token(R"({"typ":"JWT","alg":"HS256"})", payload), now)));
    for (std::string crit :
         {R"(["exp"])", R"(["b64"])", R"(["x-kryptod"])", "[]", R"("exp")", "null", "7"}) {
        BOOST_TEST_INFO("crit " << crit);
        auto header = R"({"alg":"HS256","typ":"JWT","crit":)" + crit + R"(,"b64":true})";
        BOOST_TEST((refusal(codec.verify(signed_token(header, payload), now)) ==
                    jwt_error::unsupported_critical));
    }
}

BOOST_AUTO_TEST_CASE(a_token_claiming_a_longer_life_than_the_limit_is_refused) {
    jwt_codec codec(secret, "kryptod", std::chrono::seconds(30), std::chrono::seconds(900));
    auto c = sample(); // exactly 900 s: the most it may claim
    BOOST_TEST(std::holds_alternative<jwt_claims>(codec.verify(codec.sign(c), now)));
    c.expires_at = now + 901;
    BOOST_TEST((refusal(codec.verify(codec.sign(c), now)) == jwt_error::lifetime_too_long));
    // Ten years, signed with the right key, is still refused.
    c.expires_at = now + 10LL * 365 * 86400;
    BOOST_TEST((refusal(codec.verify(codec.sign(c), now)) == jwt_error::lifetime_too_long));
    // The default limit is a day, the longest access_ttl kryptod grants.
    jwt_codec by_default(secret);
    c.expires_at = now + 86400;
    BOOST_TEST(std::holds_alternative<jwt_claims>(by_default.verify(by_default.sign(c), now)));
    c.expires_at = now + 86401;
    BOOST_TEST(
        (refusal(by_default.verify(by_default.sign(c), now)) == jwt_error::lifetime_too_long));
    BOOST_CHECK_THROW(
        jwt_codec(secret, "kryptod", std::chrono::seconds(30), std::chrono::seconds(0)),
        std::invalid_argument);
    BOOST_CHECK_THROW(jwt_codec(secret, "kryptod", std::chrono::seconds(-1)),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(extreme_times_never_wrap_into_validity) {
    jwt_codec codec(secret);
    auto const max = std::to_string(INT64_MAX);
    auto const min = std::to_string(INT64_MIN);
    struct crafted {
        std::string times;
        jwt_error expected;
    };
    for (auto const& [times, expected] : std::vector<crafted>{
             // exp + leeway used to overflow past INT64_MAX and wrap.
             {R"("iat":1800000000,"exp":)" + max, jwt_error::lifetime_too_long},
             {R"("iat":)" + max + R"(,"exp":)" + max, jwt_error::not_yet_valid},
             {R"("iat":)" + std::to_string(INT64_MAX - 10) + R"(,"exp":)" + max,
              jwt_error::not_yet_valid},
             // A negative iat made exp - iat overflow instead.
             {R"("iat":)" + min + R"(,"exp":)" + max, jwt_error::bad_claims},
             {R"("iat":-1,"exp":1800000000)", jwt_error::bad_claims},
             {R"("iat":1800000000,"exp":-5)", jwt_error::bad_claims},
             {R"("iat":1800000000,"exp":1800000900,"nbf":)" + min, jwt_error::bad_claims},
             {R"("iat":1800000000,"exp":1800000900,"nbf":)" + max, jwt_error::not_yet_valid},
             // Beyond int64 is not an integer claim at all.
             {R"("iat":1800000000,"exp":18446744073709551615)", jwt_error::bad_claims},
             {R"("iat":1800000000,"exp":1e300)", jwt_error::bad_claims},
         }) {
        BOOST_TEST_INFO(times);
        auto token = signed_token(R"({"alg":"HS256","typ":"JWT"})", payload_with(times));
        BOOST_TEST((refusal(codec.verify(token, now)) == expected));
    }
    // And a `now` at the end of time still reads an ordinary token as expired.
    BOOST_TEST((refusal(codec.verify(codec.sign(sample()), INT64_MAX)) == jwt_error::expired));
}

BOOST_AUTO_TEST_CASE(garbage_and_structure) {
    jwt_codec codec(secret);
    auto token = codec.sign(sample());
    BOOST_TEST((refusal(codec.verify("", now)) == jwt_error::malformed));
    BOOST_TEST((refusal(codec.verify("garbage", now)) == jwt_error::malformed));
    BOOST_TEST((refusal(codec.verify("a.b", now)) == jwt_error::malformed));
    BOOST_TEST((refusal(codec.verify(token + ".x", now)) == jwt_error::malformed));
    BOOST_TEST((refusal(codec.verify("!!!." + token.substr(token.find('.') + 1), now)) ==
                jwt_error::malformed));
    BOOST_TEST((refusal(codec.verify(std::string(5000, 'a'), now)) == jwt_error::too_large));
    auto cut = token.substr(0, token.size() - 3);
    BOOST_TEST((refusal(codec.verify(cut, now)) == jwt_error::bad_signature));
}

BOOST_AUTO_TEST_CASE(base64url_is_strict) {
    BOOST_TEST(base64url_encode("hello") == "aGVsbG8");
    BOOST_TEST(*base64url_decode("aGVsbG8") == "hello");
    BOOST_TEST(base64url_encode("\xfb\xff") == "-_8");
    BOOST_TEST(!base64url_decode("aGVsbG8=").has_value());
    BOOST_TEST(!base64url_decode("aGVsbG9").has_value()); // non-zero trailing bits
    BOOST_TEST(!base64url_decode("a+/b").has_value());
    BOOST_TEST(!base64url_decode("abcde").has_value());
    for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                          std::string("abcd"), std::string("\0\x01\xff", 3)})
        BOOST_TEST(*base64url_decode(base64url_encode(s)) == s);
}

BOOST_AUTO_TEST_SUITE_END()
