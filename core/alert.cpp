// alert lifecycle and wire names. Every transition checks the current status
// first and returns before touching anything when it refuses.
#include "core/alert.hpp"

#include "core/utf8.hpp"

namespace kryptod::core {

std::string_view to_string(direction value) noexcept {
    return value == direction::above ? "above" : "below";
}

std::string_view to_string(alert_kind value) noexcept {
    return value == alert_kind::price ? "price" : "move";
}

std::string_view to_string(move_direction value) noexcept {
    return value == move_direction::up ? "up" : "down";
}

std::string_view to_string(repeat_mode value) noexcept {
    return value == repeat_mode::once ? "once" : "every";
}

std::string_view to_string(alert_status value) noexcept {
    switch (value) {
    case alert_status::active:
        return "active";
    case alert_status::triggered:
        return "triggered";
    case alert_status::disabled:
        return "disabled";
    case alert_status::expired:
        return "expired";
    case alert_status::deleted:
        return "deleted";
    }
    return "";
}

std::string_view to_string(channel single) noexcept {
    switch (single) {
    case channel::email:
        return "email";
    case channel::webhook:
        return "webhook";
    case channel::telegram:
        return "telegram";
    case channel::discord:
        return "discord";
    case channel::slack:
        return "slack";
    case channel::ntfy:
        return "ntfy";
    default:
        return "";
    }
}

std::optional<direction> direction_from_string(std::string_view text) noexcept {
    if (text == "above") return direction::above;
    if (text == "below") return direction::below;
    return std::nullopt;
}

std::optional<alert_kind> alert_kind_from_string(std::string_view text) noexcept {
    if (text == "price") return alert_kind::price;
    if (text == "move") return alert_kind::move;
    return std::nullopt;
}

std::optional<move_direction> move_direction_from_string(std::string_view text) noexcept {
    if (text == "up") return move_direction::up;
    if (text == "down") return move_direction::down;
    return std::nullopt;
}

std::optional<repeat_mode> repeat_mode_from_string(std::string_view text) noexcept {
    if (text == "once") return repeat_mode::once;
    if (text == "every") return repeat_mode::every;
    return std::nullopt;
}

std::optional<alert_status> alert_status_from_string(std::string_view text) noexcept {
    for (auto s : {alert_status::active, alert_status::triggered, alert_status::disabled,
                   alert_status::expired, alert_status::deleted})
        if (text == to_string(s)) return s;
    return std::nullopt;
}

std::optional<channel> channel_from_string(std::string_view text) noexcept {
    for (auto c : all_channels)
        if (text == to_string(c)) return c;
    return std::nullopt;
}

std::optional<direction> infer_direction(price target, std::optional<price> last) noexcept {
    if (!last || target == *last) return std::nullopt;
    return target > *last ? direction::above : direction::below;
}

std::string_view describe(alert_field_error error) noexcept {
    switch (error) {
    case alert_field_error::none:
        return "valid alert";
    case alert_field_error::target_price:
        return "target price must be greater than 0, and is not taken by a move alert";
    case alert_field_error::percent:
        return "percent must be greater than 0 and at most 1000, and is taken only by a move "
               "alert";
    case alert_field_error::window_seconds:
        return "window_seconds must be between 60 and 86400, and is taken only by a move alert";
    case alert_field_error::name:
        return "name must be UTF-8 text of at most 200 characters";
    case alert_field_error::cooldown_seconds:
        return "cooldown_seconds must be between 60 and 2592000";
    case alert_field_error::expires_at:
        return "expires_at must be in the future";
    case alert_field_error::channels:
        return "at least one channel is required";
    }
    return "unknown alert error";
}

std::optional<std::int64_t> parse_move_percent(std::string_view text) noexcept {
    // Seven integer digits reach 9,999,999 %: far past the bound, far from
    // overflow, so the value is exact whatever validate() then says of it.
    constexpr std::size_t max_integer_digits = 7;
    auto const point = text.find('.');
    std::string_view const whole = text.substr(0, point);
    std::string_view const fraction =
        point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
    bool const digits_only = [&] {
        for (std::string_view part : {whole, fraction})
            for (char ch : part)
                if (ch < '0' || ch > '9') return false;
        return true;
    }();
    if (!digits_only || whole.empty() || whole.size() > max_integer_digits) return std::nullopt;
    if (point != std::string_view::npos && (fraction.empty() || fraction.size() > 2))
        return std::nullopt;
    std::int64_t value = 0;
    for (char ch : whole)
        value = value * 10 + (ch - '0');
    for (std::size_t i = 0; i < 2; ++i)
        value = value * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    return value;
}

std::string format_move_percent(std::int64_t hundredths) {
    std::string out = std::to_string(hundredths / 100);
    auto const cents = hundredths % 100;
    if (cents != 0) {
        out += '.';
        out += static_cast<char>('0' + cents / 10);
        if (cents % 10 != 0) out += static_cast<char>('0' + cents % 10);
    }
    return out;
}

namespace {

// The fields only one kind of alert takes: a price alert's target, a move
// alert's percent and window.
alert_field_error validate_kind_fields(alert const& a) noexcept {
    if (a.kind == alert_kind::price) {
        if (a.target.units() <= 0) return alert_field_error::target_price;
        if (a.move_percent != 0) return alert_field_error::percent;
        if (a.window_seconds != 0) return alert_field_error::window_seconds;
        return alert_field_error::none;
    }
    if (a.target.units() != 0) return alert_field_error::target_price;
    if (a.move_percent < min_move_percent_hundredths ||
        a.move_percent > max_move_percent_hundredths)
        return alert_field_error::percent;
    if (a.window_seconds < min_move_window_seconds || a.window_seconds > max_move_window_seconds)
        return alert_field_error::window_seconds;
    return alert_field_error::none;
}

} // namespace

alert_field_error validate(alert const& a, millis now) noexcept {
    if (auto e = validate_kind_fields(a); e != alert_field_error::none) return e;
    // Characters, as SPEC §2 counts them: 200 emoji are a valid name.
    if (auto chars = utf8_length(a.name); !chars || *chars > max_alert_name_length)
        return alert_field_error::name;
    if (a.cooldown_seconds < min_cooldown_seconds || a.cooldown_seconds > max_cooldown_seconds)
        return alert_field_error::cooldown_seconds;
    if (a.expires_at && *a.expires_at <= now) return alert_field_error::expires_at;
    if (a.channels == channel::none) return alert_field_error::channels;
    return alert_field_error::none;
}

void create(alert& a, millis now) noexcept {
    a.status = alert_status::active;
    a.created_at = now;
    a.updated_at = now;
    a.triggered_at.reset();
    a.trigger_price.reset();
    a.trigger_count = 0;
}

transition arm(alert& a, millis now) noexcept {
    switch (a.status) {
    case alert_status::active:
        return transition::unchanged;
    case alert_status::expired:
    case alert_status::deleted:
        return transition::refused;
    case alert_status::triggered:
    case alert_status::disabled:
        break;
    }
    if (a.expires_at && *a.expires_at <= now) return transition::refused;
    a.status = alert_status::active;
    a.updated_at = now;
    return transition::applied;
}

transition disable(alert& a, millis now) noexcept {
    switch (a.status) {
    case alert_status::disabled:
        return transition::unchanged;
    case alert_status::expired:
    case alert_status::deleted:
        return transition::refused;
    case alert_status::active:
    case alert_status::triggered:
        break;
    }
    a.status = alert_status::disabled;
    a.updated_at = now;
    return transition::applied;
}

transition remove(alert& a, millis now) noexcept {
    if (a.status == alert_status::deleted) return transition::unchanged;
    a.status = alert_status::deleted;
    a.updated_at = now;
    return transition::applied;
}

transition expire(alert& a, millis now) noexcept {
    switch (a.status) {
    case alert_status::expired:
        return transition::unchanged;
    case alert_status::triggered:
    case alert_status::deleted:
        return transition::refused;
    case alert_status::active:
    case alert_status::disabled:
        break;
    }
    if (!a.expires_at || now < *a.expires_at) return transition::refused;
    a.status = alert_status::expired;
    a.updated_at = now;
    return transition::applied;
}

transition fire(alert& a, price p, millis now) noexcept {
    if (a.status != alert_status::active) return transition::refused;
    if (a.repeat == repeat_mode::once) a.status = alert_status::triggered;
    a.triggered_at = now;
    a.trigger_price = p;
    ++a.trigger_count;
    a.updated_at = now;
    return transition::applied;
}

} // namespace kryptod::core
