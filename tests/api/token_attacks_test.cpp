// Tests for daemon/api/authenticator.hpp through GET /api/auth/me over real
// HTTP: interoperability with PyJWT in both directions, and an attack corpus
// of forged, altered and malformed tokens, each of which must get 401 and
// nothing else.
#include "account_server.hpp"
#include "daemon/api/authenticator.hpp"

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>

using namespace kryptod::test;
using verb = boost::beast::http::verb;
namespace json = boost::json;
using kryptod::http::base64url_encode;

namespace {

// Debian's python3-jwt is installed for /usr/bin/python3, not necessarily for
// whichever python comes first on PATH.
constexpr char const* python = "/usr/bin/python3";

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Runs a shell command and returns its standard output; fails the test when
// it exits non-zero.
std::string run(std::string const& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
    BOOST_TEST_REQUIRE(pipe != nullptr);
    std::string out;
    std::array<char, 4096> buf{};
    while (auto n = std::fread(buf.data(), 1, buf.size(), pipe.get()))
        out.append(buf.data(), n);
    int status = ::pclose(pipe.release());
    BOOST_TEST_REQUIRE(status == 0, "command failed: " << command << "\n" << out);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

// A token with exactly this header and payload, signed by an independent
// HMAC implementation with the digest `md` (HS256/384/512).
std::string forge(std::string const& header, std::string const& payload, std::string const& key,
                  EVP_MD const* md = EVP_sha256()) {
    auto input = base64url_encode(header) + "." + base64url_encode(payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<unsigned char const*>(input.data()), input.size(), mac, &len);
    return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

struct signed_in : account_server {
    http_client c = client();
    token_pair tokens;
    std::int64_t id = 0;
    signed_in() {
        auto res =
            c.post("/api/auth/register", {{"email", "eve@example.com"}, {"password", "pass-word"}});
        BOOST_TEST_REQUIRE(res.result_int() == 201);
        id = json_of(res).at("id").as_int64();
        tokens = login(c, "eve@example.com", "pass-word");
    }

    // Claims as kryptod puts them, with `edit` applied.
    std::string claims(json::object edit = {}) const {
        auto now = unix_now();
        json::object o{{"iss", "kryptod"}, {"sub", std::to_string(id)}, {"role", "user"},
                       {"iat", now},       {"exp", now + 600},          {"jti", "j1"}};
        for (auto const& [k, v] : edit) {
            if (v.is_null())
                o.erase(k);
            else
                o[k] = v;
        }
        return json::serialize(o);
    }

    unsigned status_of(std::string const& token, std::string const& scheme = "Bearer ") {
        return c.call(verb::get, "/api/auth/me", {}, scheme + token).result_int();
    }
};

constexpr char const* hs256 = R"({"alg":"HS256","typ":"JWT"})";

} // namespace

BOOST_AUTO_TEST_SUITE(token_attacks)

BOOST_FIXTURE_TEST_CASE(pyjwt_verifies_kryptod_tokens, signed_in) {
    auto out =
        run(std::string(python) + " -c '" +
            "import sys, jwt\n"
            "t, k = sys.argv[1], sys.argv[2]\n"
            "c = jwt.decode(t, k, algorithms=[\"HS256\"], issuer=\"kryptod\", "
            "options={\"require\": [\"exp\", \"iat\", \"sub\", \"jti\"]})\n"
            "h = jwt.get_unverified_header(t)\n"
            "print(c[\"sub\"], c[\"role\"], h[\"typ\"], h[\"alg\"], c[\"exp\"] - c[\"iat\"])\n"
            "' " +
            tokens.access + " " + secret);
    BOOST_TEST(out == std::to_string(id) + " user JWT HS256 900");
}

BOOST_FIXTURE_TEST_CASE(pyjwt_tokens_are_accepted, signed_in) {
    auto token = run(std::string(python) + " -c '" +
                     "import sys, time, jwt\n"
                     "now = int(time.time())\n"
                     "print(jwt.encode({\"iss\": \"kryptod\", \"sub\": sys.argv[1], \"role\": "
                     "\"user\", \"iat\": now, \"exp\": now + 300, \"nbf\": now, \"jti\": \"py\"}, "
                     "sys.argv[2], algorithm=\"HS256\"))\n"
                     "' " +
                     std::to_string(id) + " " + secret);
    auto res = c.call(verb::get, "/api/auth/me", {}, bearer(token));
    BOOST_TEST(res.result_int() == 200);
    BOOST_TEST(json_of(res).at("id").as_int64() == id);
    // The same token with the other key is refused.
    auto foreign = run(std::string(python) + " -c '" +
                       "import sys, time, jwt\n"
                       "now = int(time.time())\n"
                       "print(jwt.encode({\"iss\": \"kryptod\", \"sub\": sys.argv[1], \"role\": "
                       "\"user\", \"iat\": now, \"exp\": now + 300, \"jti\": \"py\"}, "
                       "\"x\" * 64, algorithm=\"HS256\"))\n"
                       "' " +
                       std::to_string(id));
    BOOST_TEST(status_of(foreign) == 401u);
}

BOOST_FIXTURE_TEST_CASE(forged_tokens_with_the_right_key_pass_only_when_valid, signed_in) {
    // The forger itself is sound: a correct token is accepted, also within
    // the 30 s leeway after exp.
    BOOST_TEST(status_of(forge(hs256, claims(), secret)) == 200u);
    auto now = unix_now();
    BOOST_TEST(status_of(forge(hs256, claims({{"exp", now - 10}}), secret)) == 200u);
    BOOST_TEST(status_of(forge(hs256, claims({{"nbf", now + 10}}), secret)) == 200u);
}

BOOST_FIXTURE_TEST_CASE(attack_corpus_is_refused_with_401, signed_in) {
    auto const now = unix_now();
    auto const payload = claims();
    auto const pay64 = base64url_encode(payload);
    auto const good = forge(hs256, payload, secret);
    auto const sig = good.substr(good.rfind('.') + 1);
    std::vector<std::pair<std::string, std::string>> corpus;
    for (std::string alg : {"none", "None", "NONE", "nOnE"}) {
        auto header = base64url_encode(R"({"alg":")" + alg + R"(","typ":"JWT"})");
        corpus.emplace_back("alg " + alg + " unsigned", header + "." + pay64 + ".");
        corpus.emplace_back("alg " + alg + " with signature", header + "." + pay64 + "." + sig);
    }
    corpus.emplace_back("HS384",
                        forge(R"({"alg":"HS384","typ":"JWT"})", payload, secret, EVP_sha384()));
    corpus.emplace_back("HS512",
                        forge(R"({"alg":"HS512","typ":"JWT"})", payload, secret, EVP_sha512()));
    corpus.emplace_back("RS256", base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." + pay64 +
                                     "." + base64url_encode(std::string(256, '\x5a')));
    corpus.emplace_back("RS256 HMAC-keyed",
                        forge(R"({"alg":"RS256","typ":"JWT"})", payload, secret));
    corpus.emplace_back("no alg", forge(R"({"typ":"JWT"})", payload, secret));
    corpus.emplace_back("wrong key", forge(hs256, payload, std::string(64, 'z')));
    {
        auto other = claims({{"sub", std::to_string(id + 1)}, {"role", "admin"}});
        corpus.emplace_back("tampered payload", good.substr(0, good.find('.') + 1) +
                                                    base64url_encode(other) + "." + sig);
        auto flipped = good;
        flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
        corpus.emplace_back("tampered signature", flipped);
        corpus.emplace_back("truncated signature", good.substr(0, good.size() - 4));
        corpus.emplace_back(
            "signature of another token",
            forge(hs256, claims({{"jti", "j2"}}), secret).substr(0, good.rfind('.')) + "." + sig);
    }
    corpus.emplace_back("expired", forge(hs256, claims({{"exp", now - 31}}), secret));
    corpus.emplace_back("long expired", forge(hs256, claims({{"exp", now - 86400}}), secret));
    corpus.emplace_back("not yet valid", forge(hs256, claims({{"nbf", now + 120}}), secret));
    corpus.emplace_back("issued in the future",
                        forge(hs256, claims({{"iat", now + 3600}}), secret));
    corpus.emplace_back("wrong iss", forge(hs256, claims({{"iss", "evil"}}), secret));
    corpus.emplace_back("missing iss", forge(hs256, claims({{"iss", nullptr}}), secret));
    corpus.emplace_back("wrong typ", forge(R"({"alg":"HS256","typ":"JWS"})", payload, secret));
    corpus.emplace_back("missing typ", forge(R"({"alg":"HS256"})", payload, secret));
    corpus.emplace_back("missing exp", forge(hs256, claims({{"exp", nullptr}}), secret));
    corpus.emplace_back("exp as text", forge(hs256, claims({{"exp", "9999999999"}}), secret));
    corpus.emplace_back("numeric sub", forge(hs256, claims({{"sub", id}}), secret));
    corpus.emplace_back("unknown user", forge(hs256, claims({{"sub", "999999"}}), secret));
    corpus.emplace_back("bad role", forge(hs256, claims({{"role", "root"}}), secret));
    corpus.emplace_back("payload not JSON", forge(hs256, "not json", secret));
    corpus.emplace_back("payload an array", forge(hs256, "[1,2]", secret));
    corpus.emplace_back("refresh token as access token", tokens.refresh);
    corpus.emplace_back("oversized", good + std::string(6000, 'A'));
    corpus.emplace_back("oversized payload",
                        forge(hs256, claims({{"pad", std::string(5000, 'x')}}), secret));
    corpus.emplace_back("garbage", "garbage");
    corpus.emplace_back("one part", pay64);
    corpus.emplace_back("two parts", good.substr(0, good.rfind('.')));
    corpus.emplace_back("four parts", good + "." + sig);
    corpus.emplace_back("empty parts", "..");
    corpus.emplace_back("bad base64", "@@@." + pay64 + "." + sig);
    corpus.emplace_back("padded base64", good + "=");
    corpus.emplace_back("standard base64 alphabet",
                        good.substr(0, good.find('.')) + "+/." + pay64 + "." + sig);
    for (auto const& [name, token] : corpus) {
        BOOST_TEST_INFO("attack: " << name);
        auto res = c.call(verb::get, "/api/auth/me", {}, bearer(token));
        BOOST_TEST(is_problem(res, 401));
        BOOST_TEST(res.body().find("eve@example.com") == std::string::npos);
    }
    // The connection and the real token still work after all that.
    BOOST_TEST(status_of(tokens.access) == 200u);
}

BOOST_FIXTURE_TEST_CASE(token_in_an_unknown_scheme_is_refused, signed_in) {
    BOOST_TEST(status_of(tokens.access, "Basic ") == 401u);
    BOOST_TEST(status_of(tokens.access, "") == 401u);
    BOOST_TEST(status_of(tokens.access + " extra") == 401u);
    BOOST_TEST(status_of(tokens.access, "JWT ") == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
