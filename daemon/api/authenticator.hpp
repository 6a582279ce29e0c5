// api::authenticator: who is calling. Turns an `Authorization` header into
// the calling user, and issues the access tokens it later accepts.
//
// Invariants: a request is authenticated only when it carries
// `Bearer <token>` or `JWT <token>` (scheme case-insensitive), the token
// passes http::jwt_codec (HS256 pinned, issuer, expiry with 30 s leeway) and
// its subject is a user in the directory who is not disabled, and it was
// issued (iat) no earlier than the user's tokens_valid_after, the moment
// their sessions last ended (disabled, password reset, role changed); every
// other case is 401 with `WWW-Authenticate: Bearer`. The role used for
// authorisation is the directory's (current) one, and a role change ends
// the user's sessions, so a demoted admin loses admin rights at once.
//
// Every authenticated request would otherwise pay an HMAC and a JSON parse
// for the token a client sends again and again until it expires, so tokens
// that verified are remembered (a bounded set): a token seen before is
// accepted again without that work, but only strictly inside the window
// [max(iat, nbf), exp), which is narrower than what the codec accepts. So
// the memo never accepts what verification would refuse; the user is still
// looked up in the directory on every request.
//
// Thread-safety: immutable after construction apart from the directory and
// the set of verified tokens, both guarded by locks; every member may be
// called from any thread.
#pragma once

#include "daemon/api/user_directory.hpp"
#include "http/jwt.hpp"
#include "http/message.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

    // The same check as authenticate(), giving the caller's directory entry
    // as it is now, shared rather than copied (with its serialised form).
    std::variant<std::shared_ptr<user_snapshot const>, http::response>
    identify(http::request const& req) const;

    // A signed access token for `user` with role `role`, issued at `now`
    // (Unix seconds), valid for access_ttl. Issued at the user's
    // tokens_valid_after instead when that is later (it is at most a
    // second ahead), so a token issued just after the user's sessions
    // ended is not refused with the old ones.
    std::string issue(std::int64_t user, std::string_view role, std::int64_t now) const;

    std::chrono::seconds access_ttl() const noexcept { return access_ttl_; }
    http::jwt_codec const& codec() const noexcept { return codec_; }

private:
    // What a verified token proved, and when that holds.
    struct verified_token {
        std::int64_t subject = 0;
        std::int64_t issued_at = 0;  // iat
        std::int64_t valid_from = 0; // max(iat, nbf)
        std::int64_t expires_at = 0; // exp
    };
    struct token_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    // What `token` proved when it verified before and `now` is inside its
    // window.
    std::optional<verified_token> remembered(std::string_view token, std::int64_t now) const;
    void remember(std::string_view token, http::jwt_claims const& claims, std::int64_t now) const;

    http::jwt_codec codec_;
    user_directory const& users_;
    std::chrono::seconds access_ttl_;
    mutable std::mutex verified_mutex_;
    mutable std::unordered_map<std::string, verified_token, token_hash, std::equal_to<>> verified_;
};

// The 401 answer for a request without valid credentials.
http::response unauthorized(std::string_view detail, unsigned version = 11);

// The token of an `Authorization: Bearer <t>` or `JWT <t>` header value;
// empty when the value has another scheme or no token.
std::string_view bearer_token(std::string_view header_value) noexcept;

// When a user's tokens become valid again after their sessions end at
// `now`, `previous` being the value it replaces: the start of the next whole
// second, as a token's iat has whole seconds, so every token issued up to
// `now` is older; and at least a second past `previous`, as a token issued
// since then may carry `previous` as its iat (see issue()). So ends in
// quick succession move it ahead of the clock, a second each; past the
// codec's 30 s leeway new tokens would be refused until the clock catches
// up, which takes thirty role changes of one user within a second.
core::millis tokens_valid_after(core::millis now, core::millis previous) noexcept;

// Reads the HMAC secret from auth.secret_file (surrounding whitespace
// ignored). When the file does not exist it is created with mode 0600
// holding 64 random hex characters. Throws std::runtime_error, naming the
// file, when it cannot be read or created, or holds fewer than 32 bytes.
std::string load_or_create_secret(std::filesystem::path const& path);

} // namespace kryptod::daemon::api
