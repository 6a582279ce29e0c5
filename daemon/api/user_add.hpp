// `kryptod user add EMAIL [--admin]`: creates an account from the command
// line, so the first administrator exists before the API is reachable.
//
// The password is the first line of the given stream (a trailing CR/LF is
// dropped), so `printf '%s\n' "$PW" | kryptod user add a@b.c --admin` and an
// interactive terminal both work. The account is created verified. The
// database is opened (created and migrated if need be) directly; a running
// daemon sees the account at its first login.
#pragma once

#include "daemon/config.hpp"
#include "http/password.hpp"

#include <istream>
#include <string>
#include <string_view>

namespace kryptod::daemon::api {

struct command_outcome {
    int exit_status = 0; // 0 created; 1 refused or failed
    std::string message; // one line for the operator
};

// Creates the user `email` (role admin when `admin`) in cfg.storage.path,
// with the password read from `password_in`. Never throws: a malformed
// email, a password shorter than 8 characters, an existing account or a
// database failure is an exit status 1 with the reason.
command_outcome user_add(config const& cfg, std::string_view email, bool admin,
                         std::istream& password_in,
                         http::password_cost cost = http::password_cost::interactive());

} // namespace kryptod::daemon::api
