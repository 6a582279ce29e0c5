// The account endpoints of SPEC §3 "Auth": register, login, refresh, logout,
// me, email verification and password reset.
//
// Invariants kept by the handlers:
// - refresh tokens are 256-bit random, stored only as SHA-256 digests, and
//   rotated on every use; presenting a rotated one revokes its whole family;
// - login answers a wrong password and an unknown email alike (401, after
//   the same argon2id work), and a disabled account with 403;
// - password reset answers 202 whether or not the email has an account;
// - a reset or verification token works once, and a reset revokes every
//   refresh token of the user;
// - login, register and password reset are rate limited per client address
//   and per account.
#pragma once

#include "daemon/api/api_context.hpp"
#include "http/router.hpp"

#include <memory>

namespace kryptod::daemon::api {

// Adds POST /api/auth/{register, login, refresh, logout, verify-email,
// password-reset, password-reset/confirm} and GET/PATCH /api/auth/me.
void add_account_routes(http::router& r, std::shared_ptr<api_context> const& services);

} // namespace kryptod::daemon::api
