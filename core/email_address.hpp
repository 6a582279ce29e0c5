// core::email_address: the one rule for what kryptod accepts as an email
// address, used by the configuration, the account API and the notifiers.
//
// The rule is deliberately narrower than RFC 5321: a plain `local@domain`
// (dot-atom local part of at most 64 characters, a domain of dot-separated
// LDH labels of at most 63 characters each), at most 254 characters in all,
// with nothing that needs quoting in a mail header. Accounts are unique by
// address ignoring ASCII letter case, so the normal form is the address in
// ASCII lower case.
//
// Pure: no allocation in valid_email(), no locale.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::core {

// The longest address accepted (RFC 5321's path limit less the brackets).
inline constexpr std::size_t max_email_length = 254;

// Whether `email` is a plain `local@domain`: one `@`, a non-empty local part
// of letters, digits and `!#$%&'*+-/=?^_`{|}~.` that neither starts nor ends
// with a dot nor holds two in a row, a domain of dot-separated labels of
// letters, digits and inner hyphens; at most max_email_length characters.
bool valid_email(std::string_view email) noexcept;

// The normal form of a valid address (ASCII lower case), the key accounts
// are found and counted by; std::nullopt when `email` is not valid.
std::optional<std::string> normalised_email(std::string_view email);

} // namespace kryptod::core
