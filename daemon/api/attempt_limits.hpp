// api::attempt_limits: the rate limits of login, registration and password
// reset (SPEC §3: per client address and per account, auth.rate_limit
// attempts a minute).
//
// The rules:
// - every attempt counts against its client address; past the limit the
//   address gets 429 on that endpoint, whatever the account;
// - registration and password reset also count every attempt against the
//   account (the normalised email): this bounds the mail one address
//   receives, known or not;
// - a login counts against the account only when it FAILED (wrong password,
//   unknown account). Once an account has had `limit` failures in a window,
//   logins to it are refused from every address that has itself failed on
//   it in that window; an address with no failure on it still gets in. So a
//   guesser cannot lock the owner out, and guessing stays bounded: one
//   address makes at most `limit` attempts a minute in all, and once an
//   account's budget is spent each further address gets one wrong guess at
//   it before it too is refused.
//
// Accounts are keyed by their normalised email (core::normalised_email), so
// callers validate the address first and never hand a limiter an
// unvalidated key.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include "http/message.hpp"
#include "http/rate_limiter.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kryptod::daemon::api {

class attempt_limits {
public:
    // `per_minute` attempts per address and per account. Throws
    // std::invalid_argument for 0.
    explicit attempt_limits(std::uint32_t per_minute, std::size_t max_keys = 100000);

    // Counts a login attempt by `address` for `account` before its password
    // is checked: the 429 answer (with Retry-After) when the address is over
    // its limit, or the account's failures are and this address is one of
    // those that failed; std::nullopt when the login may go ahead.
    std::optional<http::response> admit_login(std::string_view address, std::string_view account,
                                              unsigned version);

    // Records that a login by `address` for `account` failed.
    void login_failed(std::string_view address, std::string_view account);

    // Counts a registration (or a password reset) by `address` for
    // `account`: the 429 answer when either is over its limit.
    std::optional<http::response> admit_registration(std::string_view address,
                                                     std::string_view account, unsigned version);
    std::optional<http::response> admit_password_reset(std::string_view address,
                                                       std::string_view account, unsigned version);

private:
    http::rate_limiter login_by_address_;
    http::rate_limiter login_failures_;    // failures per account
    http::rate_limiter login_failed_from_; // a failure per (account, address), limit 1
    http::rate_limiter register_by_address_;
    http::rate_limiter register_by_account_;
    http::rate_limiter reset_by_address_;
    http::rate_limiter reset_by_account_;
};

} // namespace kryptod::daemon::api
