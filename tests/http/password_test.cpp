// Tests for http/password.hpp: argon2id hashes verify, wrong passwords and
// malformed hashes do not, costs are checked, tokens are random and digested.
#include "http/password.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <set>

using namespace kryptod::http;

BOOST_AUTO_TEST_SUITE(password)

BOOST_AUTO_TEST_CASE(hash_is_argon2id_and_verifies) {
    password_hasher hasher(password_cost::minimal());
    auto h = hasher.hash("correct horse");
    BOOST_TEST(h.rfind("$argon2id$", 0) == 0u);
    BOOST_TEST(h.find("correct") == std::string::npos);
    BOOST_TEST(hasher.verify(h, "correct horse"));
    BOOST_TEST(!hasher.verify(h, "correct horsE"));
    BOOST_TEST(!hasher.verify(h, ""));
}

BOOST_AUTO_TEST_CASE(same_password_gets_a_fresh_salt) {
    password_hasher hasher(password_cost::minimal());
    BOOST_TEST(hasher.hash("password1") != hasher.hash("password1"));
}

BOOST_AUTO_TEST_CASE(hash_of_another_cost_still_verifies) {
    password_hasher small(password_cost::minimal());
    password_hasher other({2, 64 * 1024});
    BOOST_TEST(other.verify(small.hash("pa55word!"), "pa55word!"));
}

BOOST_AUTO_TEST_CASE(malformed_hashes_never_match) {
    password_hasher hasher(password_cost::minimal());
    BOOST_TEST(!hasher.verify("", "x"));
    BOOST_TEST(!hasher.verify("plaintext", "plaintext"));
    BOOST_TEST(!hasher.verify(std::string("$argon2id$\0", 11), "x"));
    BOOST_TEST(!hasher.verify(std::string(1000, '$'), "x"));
    BOOST_TEST(!hasher.verify_dummy("anything"));
}

// An unknown email must cost as much as a wrong password: the dummy hash is a
// real argon2id string of the hasher's cost, so verify_dummy runs a whole
// argon2id. A malformed dummy would return in microseconds; the bound leaves
// a factor of four for scheduling noise.
BOOST_AUTO_TEST_CASE(dummy_verify_costs_a_real_verify) {
    password_hasher hasher({3, 32 * 1024 * 1024});
    auto const stored = hasher.hash("pa55word!");
    auto const time = [](auto&& f) {
        auto best = std::chrono::steady_clock::duration::max();
        for (int i = 0; i < 3; ++i) {
            auto const start = std::chrono::steady_clock::now();
            f();
            best = std::min(best, std::chrono::steady_clock::now() - start);
        }
        return best;
    };
    auto const real = time([&] { BOOST_TEST(!hasher.verify(stored, "wrong")); });
    auto const dummy = time([&] { BOOST_TEST(!hasher.verify_dummy("pa55word!")); });
    BOOST_TEST(dummy * 4 > real);
}

BOOST_AUTO_TEST_CASE(cost_below_minimum_is_refused) {
    BOOST_CHECK_THROW(password_hasher({0, 64 * 1024}), std::invalid_argument);
    BOOST_CHECK_THROW(password_hasher({1, 1024}), std::invalid_argument);
    auto daemon = password_cost::interactive();
    BOOST_TEST(daemon.ops_limit == 2u);
    BOOST_TEST(daemon.mem_limit == 64u * 1024 * 1024);
}

BOOST_AUTO_TEST_CASE(random_hex_is_random_and_sized) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        auto s = random_hex(32);
        BOOST_TEST(s.size() == 64u);
        BOOST_TEST(s.find_first_not_of("0123456789abcdef") == std::string::npos);
        seen.insert(s);
    }
    BOOST_TEST(seen.size() == 100u);
}

BOOST_AUTO_TEST_CASE(token_digest_is_sha256_hex) {
    BOOST_TEST(token_digest("abc") ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(token_digest("abc") != token_digest("abd"));
}

BOOST_AUTO_TEST_SUITE_END()
