// api::channel_settings: validation of the chat and push settings.
#include "daemon/api/channel_settings.hpp"

#include "daemon/api/account_rules.hpp"
#include "daemon/notify/ntfy_channel.hpp"

#include <boost/url/parse.hpp>

#include <array>

namespace kryptod::daemon::api {

namespace {

constexpr std::size_t max_url = 2048;

constexpr std::array<http::field_spec, 4> fields{{
    {"discord_webhook_url", http::field_kind::string_or_null},
    {"slack_webhook_url", http::field_kind::string_or_null},
    {"ntfy_url", http::field_kind::string_or_null},
    {"ntfy_token", http::field_kind::string_or_null},
}};

} // namespace

std::span<http::field_spec const> channel_setting_fields() noexcept {
    return fields;
}

std::optional<std::string> notification_url_problem(std::string_view url, bool allow_http) {
    if (url.size() > max_url) return "must be at most " + std::to_string(max_url) + " characters";
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed)
        return allow_http ? "must be an absolute http or https URL"
                          : "must be an absolute https URL";
    auto const scheme = lower_ascii(parsed->scheme());
    if (scheme != "https" && !(allow_http && scheme == "http"))
        return allow_http ? "must be an http or https URL"
                          : "must be an https URL (http only with notify.webhook_allow_private)";
    if (parsed->encoded_host().empty()) return "must name a host";
    return std::nullopt;
}

void channel_settings_change::apply(storage::user_store::user_record& user) const {
    if (discord_webhook_url) user.discord_webhook_url = *discord_webhook_url;
    if (slack_webhook_url) user.slack_webhook_url = *slack_webhook_url;
    if (ntfy_url) user.ntfy_url = *ntfy_url;
    if (ntfy_token) user.ntfy_token = *ntfy_token;
}

std::variant<channel_settings_change, std::vector<http::field_error>>
read_channel_settings(boost::json::object const& body, bool allow_http) {
    channel_settings_change change;
    std::vector<http::field_error> errors;
    auto read = [&](char const* name, std::optional<std::optional<std::string>>& into,
                    auto const& problem_of) {
        auto const* value = body.if_contains(name);
        if (value == nullptr) return;
        if (value->is_null()) {
            into = std::optional<std::string>();
            return;
        }
        std::string text(value->get_string());
        if (auto problem = problem_of(text))
            errors.push_back({name, *problem});
        else
            into = std::move(text);
    };
    auto url = [allow_http](std::string const& u) {
        return notification_url_problem(u, allow_http);
    };
    read("discord_webhook_url", change.discord_webhook_url, url);
    read("slack_webhook_url", change.slack_webhook_url, url);
    read("ntfy_url", change.ntfy_url, url);
    read("ntfy_token", change.ntfy_token,
         [](std::string const& token) -> std::optional<std::string> {
             if (notify::ntfy_token_usable(token)) return std::nullopt;
             return "must be 1 to 256 printable ASCII characters without spaces";
         });
    if (!errors.empty()) return errors;
    return change;
}

} // namespace kryptod::daemon::api
