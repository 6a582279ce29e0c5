// The account endpoints of SPEC §3 "Auth": register, login, refresh, logout,
// me, email verification and password reset.
//
// Invariants kept by the handlers:
// - refresh tokens are 256-bit random, stored only as SHA-256 digests, and
//   rotated on every use; presenting a rotated one revokes its whole family;
// - login answers a wrong password and an unknown email alike (401, after
//   the same argon2id work), and a disabled account with 403;
// - an email that is not an address (core::valid_email) is 422 before any
//   rate limiter or lookup sees it; accounts are keyed by the address in
//   lower case;
// - password reset answers 202 whether or not the email has an account,
//   and answers before any work that depends on the account (lookup,
//   token, email), which runs afterwards on a worker;
// - a reset or verification token works once, and a reset ends every
//   session of the user: refresh tokens revoked, access tokens issued
//   before it refused (tokens_valid_after);
// - login, register and password reset are rate limited per client address
//   and per account, a login's per-account count being its failures
//   (attempt_limits).
#pragma once

#include "daemon/api/api_context.hpp"
#include "http/router.hpp"

#include <memory>

namespace kryptod::daemon::api {

// Adds POST /api/auth/{register, login, refresh, logout, verify-email,
// password-reset, password-reset/confirm} and GET/PATCH /api/auth/me.
void add_account_routes(http::router& r, std::shared_ptr<api_context> const& services);

} // namespace kryptod::daemon::api
