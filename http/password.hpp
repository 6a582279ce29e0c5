// Password hashing with argon2id (libsodium), and the random secrets and
// token digests the account endpoints store.
//
// Cost: the daemon uses libsodium's INTERACTIVE limits for argon2id
// (opslimit 2, memlimit 64 MiB), about 0.1 s of one core per hash on the
// reference machine; tests pass a smaller cost through password_cost. The
// cost is written into each PHC string, so hashes made at another cost still
// verify.
//
// Invariants: a stored hash is always an `$argon2id$` PHC string; password
// and secret comparisons run in constant time.
//
// Thread-safety: every function here may be called from any thread. Hashing
// and verifying are slow by design: call them off the io_context thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kryptod::http {

struct password_cost {
    unsigned long long ops_limit = 0;
    std::size_t mem_limit = 0; // bytes

    // libsodium's OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE: the daemon's cost.
    static password_cost interactive() noexcept;
    // The smallest cost argon2id allows; for tests only.
    static password_cost minimal() noexcept;
};

class password_hasher {
public:
    // Throws std::invalid_argument when `cost` is below argon2id's minimum,
    // std::runtime_error when libsodium cannot be initialised.
    explicit password_hasher(password_cost cost = password_cost::interactive());

    // An argon2id PHC string for `password`. Throws std::runtime_error when
    // the memory for the hash cannot be allocated.
    std::string hash(std::string_view password) const;

    // Whether `password` matches `stored` (a PHC string). A malformed stored
    // hash is a mismatch, never an exception.
    bool verify(std::string_view stored, std::string_view password) const noexcept;

    // Spends the time of a verify() against a hash of this cost and returns
    // false: answering an unknown email as slowly as a wrong password keeps
    // response timing from telling which emails have accounts.
    bool verify_dummy(std::string_view password) const noexcept;

    password_cost cost() const noexcept { return cost_; }

private:
    password_cost cost_;
    std::string dummy_hash_;
};

// `bytes` random bytes from the system CSPRNG, as lower-case hex.
std::string random_hex(std::size_t bytes);

// The lower-case hex SHA-256 of `token`: how refresh and email tokens are
// stored, so a copy of the database does not hold usable tokens. Tokens are
// 256-bit random, so an unsalted fast hash is enough.
std::string token_digest(std::string_view token);

} // namespace kryptod::http
