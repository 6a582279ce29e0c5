// Password length and email keys.
#include "daemon/api/account_rules.hpp"

namespace kryptod::daemon::api {

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::optional<std::string> password_problem(std::string_view password) {
    if (password.size() < min_password_length)
        return "must be at least " + std::to_string(min_password_length) + " characters";
    if (password.size() > max_password_length)
        return "must be at most " + std::to_string(max_password_length) + " bytes";
    return std::nullopt;
}

} // namespace kryptod::daemon::api
