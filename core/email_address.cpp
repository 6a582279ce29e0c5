// The email-address rule and its normal form.
#include "core/email_address.hpp"

#include <algorithm>

namespace kryptod::core {

namespace {

bool is_local_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

bool is_label_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

} // namespace

bool valid_email(std::string_view email) noexcept {
    if (email.empty() || email.size() > max_email_length) return false;
    auto const at = email.find('@');
    if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
        return false;
    auto const local = email.substr(0, at);
    auto domain = email.substr(at + 1);
    if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
        local.find("..") != std::string_view::npos ||
        !std::all_of(local.begin(), local.end(), is_local_char))
        return false;
    if (domain.empty()) return false;
    while (true) {
        auto const dot = domain.find('.');
        auto const label = domain.substr(0, dot);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
            !std::all_of(label.begin(), label.end(), is_label_char))
            return false;
        if (dot == std::string_view::npos) return true;
        domain.remove_prefix(dot + 1);
    }
}

std::optional<std::string> normalised_email(std::string_view email) {
    if (!valid_email(email)) return std::nullopt;
    std::string out(email);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

} // namespace kryptod::core
