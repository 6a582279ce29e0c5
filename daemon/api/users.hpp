// The admin endpoints for accounts (SPEC §3 "Admin"): list, create, and
// change the role of or disable a user. Role `admin` only: anyone else
// authenticated gets 403.
//
// Invariant: disabling a user revokes their refresh tokens in the same
// transaction and updates the directory after the commit, so every token of
// theirs is refused from the next request on.
#pragma once

#include "daemon/api/api_context.hpp"
#include "http/router.hpp"

#include <memory>

namespace kryptod::daemon::api {

// Adds GET /api/users, POST /api/users and PATCH /api/users/{id}.
void add_user_routes(http::router& r, std::shared_ptr<api_context> const& services);

} // namespace kryptod::daemon::api
