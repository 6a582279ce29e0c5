// api::authenticator: who is calling. Turns an `Authorization` header into
// the calling user, and issues the access tokens it later accepts.
//
// Invariants: a request is authenticated only when it carries
// `Bearer <token>` or `JWT <token>` (scheme case-insensitive), the token
// passes http::jwt_codec (HS256 pinned, issuer, expiry with 30 s leeway) and
// its subject is a user in the directory who is not disabled; every other
// case is 401 with `WWW-Authenticate: Bearer`. The role used for
// authorisation is the directory's (current) one, not the token's, so a
// demoted admin loses admin rights at once.
//
// Thread-safety: immutable after construction apart from the directory,
// which is itself thread-safe; every member may be called from any thread.
#pragma once

#include "daemon/api/user_directory.hpp"
#include "http/jwt.hpp"
#include "http/message.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>

namespace kryptod::daemon::api {

// The authenticated caller.
struct principal {
    user_entry user;
    bool is_admin() const noexcept { return user.role == "admin"; }
};

class authenticator {
public:
    // Throws std::invalid_argument when `secret` is shorter than 32 bytes.
    authenticator(std::string_view secret, user_directory const& users,
                  std::chrono::seconds access_ttl);

    // The caller of `req`, or the 401 problem to answer with.
    std::variant<principal, http::response> authenticate(http::request const& req) const;

    // A signed access token for `user` with role `role`, issued at `now`
    // (Unix seconds), valid for access_ttl.
    std::string issue(std::int64_t user, std::string_view role, std::int64_t now) const;

    std::chrono::seconds access_ttl() const noexcept { return access_ttl_; }
    http::jwt_codec const& codec() const noexcept { return codec_; }

private:
    http::jwt_codec codec_;
    user_directory const& users_;
    std::chrono::seconds access_ttl_;
};

// The 401 answer for a request without valid credentials.
http::response unauthorized(std::string_view detail, unsigned version = 11);

// The token of an `Authorization: Bearer <t>` or `JWT <t>` header value;
// empty when the value has another scheme or no token.
std::string_view bearer_token(std::string_view header_value) noexcept;

// Reads the HMAC secret from auth.secret_file (surrounding whitespace
// ignored). When the file does not exist it is created with mode 0600
// holding 64 random hex characters. Throws std::runtime_error, naming the
// file, when it cannot be read or created, or holds fewer than 32 bytes.
std::string load_or_create_secret(std::filesystem::path const& path);

} // namespace kryptod::daemon::api
