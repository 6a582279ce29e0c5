// argon2id through libsodium; random tokens and their digests.
#include "http/password.hpp"

#include <sodium.h>

#include <stdexcept>
#include <string>

namespace kryptod::http {

namespace {

void init_sodium() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string to_hex(unsigned char const* data, std::size_t size) {
    std::string out(size * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data, size);
    out.pop_back();
    return out;
}

std::string to_base64(unsigned char const* data, std::size_t size) {
    constexpr int variant = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(size, variant), '\0');
    sodium_bin2base64(out.data(), out.size(), data, size, variant);
    out.pop_back();
    return out;
}

// A PHC string of `cost` with a random salt and a random digest: verifying
// any password against it costs exactly one argon2id of that cost and never
// matches. Written directly rather than hashed, so that start-up does not
// spend an argon2id (over 100 ms at the interactive cost) on it.
std::string unmatchable_hash(password_cost cost) {
    unsigned char salt[crypto_pwhash_argon2id_SALTBYTES];
    unsigned char digest[32];
    randombytes_buf(salt, sizeof salt);
    randombytes_buf(digest, sizeof digest);
    return "$argon2id$v=19$m=" + std::to_string(cost.mem_limit / 1024) +
           ",t=" + std::to_string(cost.ops_limit) + ",p=1$" + to_base64(salt, sizeof salt) + "$" +
           to_base64(digest, sizeof digest);
}

} // namespace

password_cost password_cost::interactive() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
            crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

password_cost password_cost::minimal() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

password_hasher::password_hasher(password_cost cost)
    : cost_(cost) {
    init_sodium();
    if (cost.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
        cost.mem_limit < crypto_pwhash_argon2id_MEMLIMIT_MIN)
        throw std::invalid_argument("argon2id cost below the minimum (ops 1, memory 8 KiB)");
    dummy_hash_ = unmatchable_hash(cost);
}

std::string password_hasher::hash(std::string_view password) const {
    char out[crypto_pwhash_argon2id_STRBYTES];
    if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), cost_.ops_limit,
                                   cost_.mem_limit) != 0)
        throw std::runtime_error("argon2id: out of memory");
    return out;
}

bool password_hasher::verify(std::string_view stored, std::string_view password) const noexcept {
    // libsodium wants a NUL-terminated string; a stored hash never holds NUL.
    if (stored.size() >= crypto_pwhash_argon2id_STRBYTES ||
        stored.find('\0') != std::string_view::npos)
        return false;
    char buffer[crypto_pwhash_argon2id_STRBYTES] = {};
    stored.copy(buffer, stored.size());
    if (std::string_view(buffer).rfind("$argon2id$", 0) != 0) return false;
    return crypto_pwhash_argon2id_str_verify(buffer, password.data(), password.size()) == 0;
}

bool password_hasher::verify_dummy(std::string_view password) const noexcept {
    (void)verify(dummy_hash_, password);
    return false;
}

std::string random_hex(std::size_t bytes) {
    init_sodium();
    std::string raw(bytes, '\0');
    randombytes_buf(raw.data(), raw.size());
    return to_hex(reinterpret_cast<unsigned char const*>(raw.data()), raw.size());
}

std::string token_digest(std::string_view token) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<unsigned char const*>(token.data()), token.size());
    return to_hex(digest, sizeof(digest));
}

} // namespace kryptod::http
