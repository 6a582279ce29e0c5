// Access-token authentication against the in-memory user directory.
#include "daemon/api/authenticator.hpp"

#include "daemon/clock.hpp"
#include "http/password.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace kryptod::daemon::api {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) noexcept {
    auto const ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

std::int64_t unix_now() {
    return wall_clock_now() / 1000;
}

} // namespace

http::response unauthorized(std::string_view detail, unsigned version) {
    auto res = http::problem(http::status::unauthorized, detail, {}, version);
    res.set(http::bhttp::field::www_authenticate, "Bearer realm=\"kryptod\"");
    return res;
}

std::string_view bearer_token(std::string_view value) noexcept {
    value = trim(value);
    auto space = value.find(' ');
    if (space == std::string_view::npos) return {};
    auto scheme = value.substr(0, space);
    if (!iequals(scheme, "Bearer") && !iequals(scheme, "JWT")) return {};
    auto token = trim(value.substr(space + 1));
    // Two single-character searches: find_first_of(" \t") runs a search of
    // the set for every character of the token, which showed in every
    // request's cost.
    if (token.find(' ') != std::string_view::npos || token.find('\t') != std::string_view::npos)
        return {};
    return token;
}

// A token may claim no longer a life than the ones this daemon signs.
authenticator::authenticator(std::string_view secret, user_directory const& users,
                             std::chrono::seconds access_ttl)
    : codec_(secret, "kryptod", std::chrono::seconds(30), access_ttl)
    , users_(users)
    , access_ttl_(access_ttl) {}

std::variant<principal, http::response>
authenticator::authenticate(http::request const& req) const {
    auto caller = identify(req);
    if (auto* refused = std::get_if<http::response>(&caller)) return std::move(*refused);
    return principal{std::get<std::shared_ptr<user_snapshot const>>(caller)->user};
}

std::variant<std::shared_ptr<user_snapshot const>, http::response>
authenticator::identify(http::request const& req) const {
    auto const version = req.version();
    auto header = req.find(http::bhttp::field::authorization);
    if (header == req.end()) return unauthorized("this endpoint needs an access token", version);
    auto token = bearer_token(header->value());
    if (token.empty())
        return unauthorized("the Authorization header must be `Bearer <token>`", version);
    auto const now = unix_now();
    auto proved = remembered(token, now);
    if (!proved) {
        auto verified = codec_.verify(token, now);
        if (auto const* error = std::get_if<http::jwt_error>(&verified))
            return unauthorized(
                std::string("invalid access token: ") + std::string(to_string(*error)), version);
        auto const& claims = std::get<http::jwt_claims>(verified);
        remember(token, claims, now);
        proved = verified_token{claims.subject, claims.issued_at, 0, 0};
    }
    auto user = users_.snapshot(proved->subject);
    if (!user) return unauthorized("invalid access token: unknown user", version);
    if (user->user.disabled) return unauthorized("this account is disabled", version);
    if (core::seconds_to_millis(proved->issued_at) < user->user.tokens_valid_after)
        return unauthorized("invalid access token: the account's sessions have ended; log in again",
                            version);
    return user;
}

std::optional<authenticator::verified_token> authenticator::remembered(std::string_view token,
                                                                       std::int64_t now) const {
    std::lock_guard lock(verified_mutex_);
    auto it = verified_.find(token);
    if (it == verified_.end()) return std::nullopt;
    auto const& v = it->second;
    // Outside the window the codec decides, with its leeway and its reason.
    if (now < v.valid_from || now >= v.expires_at) return std::nullopt;
    return v;
}

void authenticator::remember(std::string_view token, http::jwt_claims const& claims,
                             std::int64_t now) const {
    // Enough for every client active within one access-token lifetime on a
    // self-hosted daemon; past that, the set restarts rather than grows.
    constexpr std::size_t max_remembered = 4096;
    verified_token v{claims.subject, claims.issued_at,
                     std::max(claims.issued_at, claims.not_before.value_or(0)), claims.expires_at};
    if (now < v.valid_from || now >= v.expires_at) return; // accepted only thanks to leeway
    std::lock_guard lock(verified_mutex_);
    if (verified_.size() >= max_remembered) {
        std::erase_if(verified_, [now](auto const& e) { return e.second.expires_at <= now; });
        if (verified_.size() >= max_remembered) verified_.clear();
    }
    verified_.try_emplace(std::string(token), v);
}

std::string authenticator::issue(std::int64_t user, std::string_view role, std::int64_t now) const {
    http::jwt_claims claims;
    claims.subject = user;
    claims.role = std::string(role);
    if (auto entry = users_.snapshot(user))
        now = std::max(now, entry->user.tokens_valid_after / 1000);
    claims.issued_at = now;
    claims.expires_at = now + access_ttl_.count();
    claims.id = http::random_hex(16);
    return codec_.sign(claims);
}

core::millis tokens_valid_after(core::millis now, core::millis previous) noexcept {
    return std::max((now / 1000 + 1) * 1000, previous + 1000);
}

std::string load_or_create_secret(std::filesystem::path const& path) {
    auto const name = "auth.secret_file " + path.string();
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        // First start: O_EXCL makes sure an existing key is never replaced.
        auto secret = http::random_hex(32);
        auto text = secret + "\n";
        auto written = ::write(fd, text.data(), text.size());
        bool ok = written == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) {
            ::unlink(path.c_str());
            throw std::runtime_error(name +
                                     ": cannot write the new secret: " + std::strerror(errno));
        }
        return secret;
    }
    if (errno != EEXIST)
        throw std::runtime_error(name + ": cannot create: " + std::strerror(errno));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(name + ": cannot read: " + std::strerror(errno));
    std::ostringstream content;
    content << in.rdbuf();
    auto secret = std::string(trim(content.str()));
    if (secret.size() < 32)
        throw std::runtime_error(name + ": the secret must be at least 32 bytes, the file holds " +
                                 std::to_string(secret.size()));
    return secret;
}

} // namespace kryptod::daemon::api
