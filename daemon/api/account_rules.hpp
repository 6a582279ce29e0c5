// The rules of accounts that more than one place applies: password length,
// token lifetimes, and how an email is keyed (emails are unique
// case-insensitively, SPEC §3).
//
// Thread-safety: stateless functions.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::daemon::api {

// A password reset token is valid this long (SPEC §3).
inline constexpr std::chrono::seconds reset_token_ttl{3600};

// Passwords are at least this long (422 otherwise) and at most
// max_password_length bytes, which bounds the hashing work one request buys.
inline constexpr std::size_t min_password_length = 8;
inline constexpr std::size_t max_password_length = 1024;

// Lower-case ASCII, for rate-limit keys of emails.
std::string lower_ascii(std::string_view s);

// Whether `password` has an acceptable length; the 422 message otherwise.
std::optional<std::string> password_problem(std::string_view password);

} // namespace kryptod::daemon::api
