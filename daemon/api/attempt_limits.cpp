// The per-address and per-account limits of the account endpoints.
#include "daemon/api/attempt_limits.hpp"

#include <string>

namespace kryptod::daemon::api {

namespace {

using clock = http::rate_limiter::clock;

http::response too_many(std::chrono::seconds wait, unsigned version) {
    auto res = http::problem(http::status::too_many_requests,
                             "too many attempts; retry in " + std::to_string(wait.count()) + " s",
                             {}, version);
    res.set(http::bhttp::field::retry_after, std::to_string(wait.count()));
    return res;
}

// One key for an account and an address: a newline is in neither.
std::string pair_key(std::string_view account, std::string_view address) {
    std::string key(account);
    key.push_back('\n');
    key.append(address);
    return key;
}

std::optional<http::response> admit_both(http::rate_limiter& by_address,
                                         http::rate_limiter& by_account, std::string_view address,
                                         std::string_view account, unsigned version) {
    auto const now = clock::now();
    auto wait = by_address.hit(address, now);
    if (!wait) wait = by_account.hit(account, now);
    if (!wait) return std::nullopt;
    return too_many(*wait, version);
}

} // namespace

attempt_limits::attempt_limits(std::uint32_t per_minute, std::size_t max_keys)
    : login_by_address_(per_minute, std::chrono::minutes(1), max_keys)
    , login_failures_(per_minute, std::chrono::minutes(1), max_keys)
    , login_failed_from_(1, std::chrono::minutes(1), max_keys)
    , register_by_address_(per_minute, std::chrono::minutes(1), max_keys)
    , register_by_account_(per_minute, std::chrono::minutes(1), max_keys)
    , reset_by_address_(per_minute, std::chrono::minutes(1), max_keys)
    , reset_by_account_(per_minute, std::chrono::minutes(1), max_keys) {}

std::optional<http::response>
attempt_limits::admit_login(std::string_view address, std::string_view account, unsigned version) {
    auto const now = clock::now();
    if (auto wait = login_by_address_.hit(address, now)) return too_many(*wait, version);
    auto spent = login_failures_.spent(account, now);
    if (!spent) return std::nullopt;
    // The account is under attack; only its guessers are kept out.
    if (!login_failed_from_.spent(pair_key(account, address), now)) return std::nullopt;
    return too_many(*spent, version);
}

void attempt_limits::login_failed(std::string_view address, std::string_view account) {
    auto const now = clock::now();
    login_failures_.count(account, now);
    login_failed_from_.count(pair_key(account, address), now);
}

std::optional<http::response> attempt_limits::admit_registration(std::string_view address,
                                                                 std::string_view account,
                                                                 unsigned version) {
    return admit_both(register_by_address_, register_by_account_, address, account, version);
}

std::optional<http::response> attempt_limits::admit_password_reset(std::string_view address,
                                                                   std::string_view account,
                                                                   unsigned version) {
    return admit_both(reset_by_address_, reset_by_account_, address, account, version);
}

} // namespace kryptod::daemon::api
