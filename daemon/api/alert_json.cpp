// The alert's JSON, written straight out rather than built as a Boost.JSON
// document and serialised. A page of alerts is the API's most frequent large
// answer, and the document (some 400 values for 20 alerts, each member
// inserted with a duplicate-key check, each string copied) cost as much as
// the query that read the page.
#include "daemon/api/alert_json.hpp"

#include "core/rfc3339.hpp"

#include <array>
#include <charconv>

namespace kryptod::daemon::api {

namespace json = boost::json;

namespace {

void append_quoted(std::string& out, std::string_view s) {
    for (char ch : s)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == '"' || ch == '\\') {
            out += json::serialize(json::string_view(s.data(), s.size()));
            return;
        }
    out += '"';
    out += s;
    out += '"';
}

void append_number(std::string& out, std::int64_t v) {
    std::array<char, 24> buf{};
    auto const end = std::to_chars(buf.data(), buf.data() + buf.size(), v).ptr;
    out.append(buf.data(), end);
}

void append_time_or_null(std::string& out, std::optional<core::millis> t) {
    if (t)
        append_quoted(out, core::format_rfc3339(*t));
    else
        out += "null";
}

} // namespace

void append_alert(std::string& out, core::alert const& a, std::string_view symbol) {
    out += "{\"id\":";
    append_number(out, a.id);
    out += ",\"symbol\":";
    append_quoted(out, symbol);
    out += ",\"kind\":";
    append_quoted(out, core::to_string(a.kind));
    if (a.kind == core::alert_kind::move) {
        out += ",\"percent\":";
        append_quoted(out, core::format_move_percent(a.move_percent));
        out += ",\"window_seconds\":";
        append_number(out, a.window_seconds);
        out += ",\"direction\":";
        append_quoted(out, core::to_string(a.move_side));
    } else {
        out += ",\"target_price\":";
        append_quoted(out, a.target.to_string());
        out += ",\"direction\":";
        append_quoted(out, core::to_string(a.side));
    }
    out += ",\"name\":";
    if (a.name.empty())
        out += "null";
    else
        append_quoted(out, a.name);
    out += ",\"repeat\":";
    append_quoted(out, core::to_string(a.repeat));
    out += ",\"cooldown_seconds\":";
    append_number(out, a.cooldown_seconds);
    out += ",\"expires_at\":";
    append_time_or_null(out, a.expires_at);
    out += ",\"channels\":[";
    bool first = true;
    for (auto const ch : core::all_channels) {
        if (!core::has(a.channels, ch)) continue;
        if (!first) out += ',';
        first = false;
        append_quoted(out, core::to_string(ch));
    }
    out += "],\"status\":";
    append_quoted(out, core::to_string(a.status));
    out += ",\"created_at\":";
    append_quoted(out, core::format_rfc3339(a.created_at));
    out += ",\"updated_at\":";
    append_quoted(out, core::format_rfc3339(a.updated_at));
    out += ",\"triggered_at\":";
    append_time_or_null(out, a.triggered_at);
    out += ",\"trigger_price\":";
    if (a.trigger_price)
        append_quoted(out, a.trigger_price->to_string());
    else
        out += "null";
    out += ",\"trigger_count\":";
    append_number(out, a.trigger_count);
    out += '}';
}

std::string alert_text(core::alert const& a, std::string_view symbol) {
    std::string out;
    out.reserve(420);
    append_alert(out, a, symbol);
    return out;
}

std::string alert_page_text(storage::page<storage::alert_store::stored_alert> const& p,
                            storage::page_request const& req) {
    std::string out;
    out.reserve(64 + p.items.size() * 420);
    out += "{\"items\":[";
    for (std::size_t i = 0; i < p.items.size(); ++i) {
        if (i != 0) out += ',';
        append_alert(out, p.items[i].alert, p.items[i].symbol);
    }
    out += "],\"total\":";
    append_number(out, p.total);
    out += ",\"limit\":";
    append_number(out, req.limit);
    out += ",\"offset\":";
    append_number(out, req.offset);
    out += '}';
    return out;
}

json::object event_json(storage::alert_store::event_record const& e) {
    json::object o;
    o["id"] = e.id;
    o["type"] = storage::alert_store::to_string(e.type);
    o["time"] = core::format_rfc3339(e.time);
    if (e.price) o["price"] = e.price->to_string();
    if (e.exchange_time) o["exchange_time"] = core::format_rfc3339(*e.exchange_time);
    if (e.detected_at) o["detected_at"] = core::format_rfc3339(*e.detected_at);
    if (e.backfilled) o["backfilled"] = *e.backfilled;
    if (e.reference_price) o["reference_price"] = e.reference_price->to_string();
    if (e.reference_time) o["reference_time"] = core::format_rfc3339(*e.reference_time);
    if (e.channel) o["channel"] = core::to_string(*e.channel);
    if (e.attempt) o["attempt"] = *e.attempt;
    if (e.outcome) o["outcome"] = *e.outcome;
    return o;
}

} // namespace kryptod::daemon::api
