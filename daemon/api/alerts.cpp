// The alert and market endpoints.
#include "daemon/api/alerts.hpp"

#include "core/rfc3339.hpp"
#include "daemon/log.hpp"
#include "storage/alert_store.hpp"
#include "storage/coin_store.hpp"
#include "storage/sample_store.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <simdjson.h>

#include <array>
#include <charconv>
#include <map>
#include <set>

namespace kryptod::daemon::api {

namespace json = boost::json;
using http::field_error;
using http::status;
using storage::alert_store::event_type;

namespace {

using query_map = std::map<std::string, std::string, std::less<>>;

query_map query_of(http::request const& req) {
    query_map out;
    auto parsed = boost::urls::parse_origin_form(req.target());
    if (!parsed) return out;
    for (auto const& p : parsed->params())
        out.emplace(std::string(p.key), std::string(p.value));
    return out;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

// limit (1..1000, default 10) and offset (>= 0, default 0) of a list query.
storage::page_request paging_of(query_map const& q, std::vector<field_error>& errors) {
    storage::page_request p;
    if (auto it = q.find("limit"); it != q.end()) {
        auto v = parse_int(it->second);
        if (!v || *v < 1 || *v > 1000)
            errors.push_back({"limit", "must be an integer from 1 to 1000"});
        else
            p.limit = *v;
    }
    if (auto it = q.find("offset"); it != q.end()) {
        auto v = parse_int(it->second);
        if (!v || *v < 0)
            errors.push_back({"offset", "must be an integer of 0 or more"});
        else
            p.offset = *v;
    }
    return p;
}

// diff * 10^4 of two prices' units overflows 64 bits.
__extension__ typedef __int128 wide;

json::value time_or_null(std::optional<core::millis> t) {
    return t ? json::value(core::format_rfc3339(*t)) : json::value(nullptr);
}

json::array channels_json(core::channel c) {
    json::array out;
    if (core::has(c, core::channel::email)) out.push_back("email");
    if (core::has(c, core::channel::webhook)) out.push_back("webhook");
    return out;
}

// An alert as the API shows it. The object is sized up front: growing it
// member by member rehashes it several times.
json::object alert_json(core::alert const& a, std::string_view symbol) {
    json::object o(15);
    o.emplace("id", a.id);
    o.emplace("symbol", symbol);
    o.emplace("target_price", a.target.to_string());
    o.emplace("direction", core::to_string(a.side));
    o.emplace("name", a.name.empty() ? json::value(nullptr) : json::value(a.name));
    o.emplace("repeat", core::to_string(a.repeat));
    o.emplace("cooldown_seconds", a.cooldown_seconds);
    o.emplace("expires_at", time_or_null(a.expires_at));
    o.emplace("channels", channels_json(a.channels));
    o.emplace("status", core::to_string(a.status));
    o.emplace("created_at", core::format_rfc3339(a.created_at));
    o.emplace("updated_at", core::format_rfc3339(a.updated_at));
    o.emplace("triggered_at", time_or_null(a.triggered_at));
    o.emplace("trigger_price",
              a.trigger_price ? json::value(a.trigger_price->to_string()) : json::value(nullptr));
    o.emplace("trigger_count", a.trigger_count);
    return o;
}

// The list's body is written straight out rather than built as a Boost.JSON
// document and serialised. A page is the API's most frequent large answer,
// and the document (some 400 values for 20 alerts, each member inserted
// with a duplicate-key check, each string copied) cost as much as the query
// that read the page. The text is exactly serialize(alert_json(a)): same
// members in the same order, and strings that need escaping go through
// Boost.JSON's own serialiser.
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

void append_alert(std::string& out, core::alert const& a, std::string_view symbol) {
    out += "{\"id\":";
    append_number(out, a.id);
    out += ",\"symbol\":";
    append_quoted(out, symbol);
    out += ",\"target_price\":";
    append_quoted(out, a.target.to_string());
    out += ",\"direction\":";
    append_quoted(out, core::to_string(a.side));
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
    bool const email = core::has(a.channels, core::channel::email);
    if (email) out += "\"email\"";
    if (core::has(a.channels, core::channel::webhook))
        out += email ? ",\"webhook\"" : "\"webhook\"";
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

// The body of a page of alerts.
std::string alert_page_body(storage::page<storage::alert_store::stored_alert> const& p,
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

http::response json_text_response(std::string const& body, unsigned version) {
    http::response res{status::ok, version};
    res.set(http::bhttp::field::content_type, "application/json");
    res.body() = body;
    res.prepare_payload();
    return res;
}

// The alert page cache's key of a list query: every filter and the paging.
std::string page_key(storage::alert_store::alert_query const& q) {
    std::string key;
    append_number(key, q.paging.limit);
    key += ',';
    append_number(key, q.paging.offset);
    key += ',';
    if (q.status) key += core::to_string(*q.status);
    key += ',';
    if (q.symbol) key += *q.symbol;
    return key;
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
    if (e.channel) o["channel"] = core::to_string(*e.channel);
    if (e.attempt) o["attempt"] = *e.attempt;
    if (e.outcome) o["outcome"] = *e.outcome;
    return o;
}

template <class T, class F>
json::object page_json(storage::page<T> const& p, storage::page_request const& req, F&& item) {
    json::array items;
    for (auto const& x : p.items)
        items.push_back(item(x));
    return {{"items", std::move(items)},
            {"total", p.total},
            {"limit", req.limit},
            {"offset", req.offset}};
}

// The exact text of a JSON number member, so that a price given as a number
// never passes through binary floating point.
std::optional<std::string> raw_number(std::string_view body, std::string_view field) {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(body);
    simdjson::ondemand::document doc;
    if (parser.iterate(padded).get(doc)) return std::nullopt;
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return std::nullopt;
    std::string_view raw;
    if (obj.find_field_unordered(field).raw_json_token().get(raw)) return std::nullopt;
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
        raw.remove_suffix(1);
    return std::string(raw);
}

// What a create or PATCH body asks for, checked field by field.
struct alert_changes {
    std::optional<std::string> symbol;
    std::optional<core::price> target;
    std::optional<core::direction> side;
    std::optional<std::string> name; // "" clears
    std::optional<core::repeat_mode> repeat;
    std::optional<std::int64_t> cooldown;
    std::optional<std::optional<core::millis>> expires_at; // engaged null clears
    std::optional<core::channel> channels;
    std::optional<core::alert_status> status; // PATCH only: active or disabled
};

enum class body_kind { create, create_compat, patch };

// Parses and checks an alert body. Returns the changes, or the problem.
std::variant<alert_changes, http::response>
parse_alert_body(http::request const& req, body_kind kind, http::json_limits const& limits) {
    auto const version = req.version();
    json::value v;
    {
        if (req.body().size() > limits.max_size)
            return http::problem(status::payload_too_large, "request body too large", {}, version);
        json::parse_options opt;
        opt.max_depth = limits.max_depth;
        boost::system::error_code ec;
        v = json::parse(req.body(), ec, {}, opt);
        if (ec)
            return http::problem(status::bad_request, "malformed JSON: " + ec.message(), {},
                                 version);
    }
    if (!v.is_object())
        return http::problem(status::bad_request, "the body must be a JSON object", {}, version);
    auto const& obj = v.as_object();
    alert_changes c;
    std::vector<field_error> errors;
    auto wrong = [&](std::string_view field, std::string_view msg) {
        errors.push_back({std::string(field), std::string(msg)});
    };
    for (auto const& [key, value] : obj) {
        std::string_view k = key;
        if (k == "symbol" && kind != body_kind::patch) {
            if (!value.is_string()) {
                wrong(k, "must be a string");
                continue;
            }
            auto canonical = core::canonical_symbol(value.as_string());
            if (!canonical)
                wrong(k, "must be a coin symbol such as BTCUSDT");
            else
                c.symbol = *canonical;
        } else if (k == "target_price" || (k == "price" && kind == body_kind::create_compat)) {
            std::string text;
            if (value.is_string())
                text = value.as_string();
            else if (value.is_number())
                text = raw_number(req.body(), k).value_or("");
            else {
                wrong(k, "must be a decimal number or a string holding one");
                continue;
            }
            auto parsed = core::price::parse_positive(text);
            if (!parsed)
                wrong(k, std::string("must be a positive price with at most 8 decimals: ") +
                             std::string(core::describe(parsed.error)));
            else
                c.target = parsed.value;
        } else if (k == "direction") {
            auto d =
                value.is_string() ? core::direction_from_string(value.as_string()) : std::nullopt;
            if (!d)
                wrong(k, "must be \"above\" or \"below\"");
            else
                c.side = *d;
        } else if (k == "name") {
            if (value.is_null())
                c.name = "";
            else if (!value.is_string())
                wrong(k, "must be a string or null");
            else
                c.name = std::string(value.as_string());
        } else if (k == "repeat") {
            auto r =
                value.is_string() ? core::repeat_mode_from_string(value.as_string()) : std::nullopt;
            if (!r)
                wrong(k, "must be \"once\" or \"every\"");
            else
                c.repeat = *r;
        } else if (k == "cooldown_seconds") {
            if (!value.is_int64() && !value.is_uint64())
                wrong(k, "must be an integer from 60 to 2592000");
            else
                c.cooldown = value.is_int64() ? value.as_int64() : -1;
        } else if (k == "expires_at") {
            if (value.is_null())
                c.expires_at = std::optional<core::millis>{};
            else if (auto t =
                         value.is_string() ? core::parse_rfc3339(value.as_string()) : std::nullopt)
                c.expires_at = t;
            else
                wrong(k, "must be an RFC 3339 time or null");
        } else if (k == "channels") {
            if (!value.is_array() || value.as_array().empty()) {
                wrong(k, "must be a non-empty array of \"email\" and \"webhook\"");
                continue;
            }
            core::channel set{};
            bool ok = true;
            for (auto const& item : value.as_array()) {
                auto ch =
                    item.is_string() ? core::channel_from_string(item.as_string()) : std::nullopt;
                if (!ch)
                    ok = false;
                else
                    set = set | *ch;
            }
            if (!ok)
                wrong(k, "must be a non-empty array of \"email\" and \"webhook\"");
            else
                c.channels = set;
        } else if (k == "status" && kind == body_kind::patch) {
            auto st = value.is_string() ? core::alert_status_from_string(value.as_string())
                                        : std::nullopt;
            if (!st || (*st != core::alert_status::active && *st != core::alert_status::disabled))
                wrong(k, "must be \"active\" or \"disabled\"");
            else
                c.status = *st;
        } else {
            wrong(k, "is not a field that can be set");
        }
    }
    if (kind != body_kind::patch) {
        if (!obj.contains("symbol")) wrong("symbol", "is required");
        if (!c.target && !obj.contains("target_price") && !obj.contains("price"))
            wrong(kind == body_kind::create_compat ? "price" : "target_price", "is required");
    }
    if (!errors.empty())
        return http::problem(http::status::unprocessable_entity, "the alert is not valid", errors,
                             version);
    return c;
}

// Applies the user-settable changes; the status is handled by the caller.
void apply(core::alert& a, alert_changes const& c) {
    if (c.target) a.target = *c.target;
    if (c.side) a.side = *c.side;
    if (c.name) a.name = *c.name;
    if (c.repeat) a.repeat = *c.repeat;
    if (c.cooldown) a.cooldown_seconds = *c.cooldown;
    if (c.expires_at) a.expires_at = *c.expires_at;
    if (c.channels) a.channels = *c.channels;
}

http::response invalid(std::string field, std::string message, unsigned version) {
    return http::problem(status::unprocessable_entity, "the alert is not valid",
                         {{std::move(field), std::move(message)}}, version);
}

std::string field_name(core::alert_field_error e) {
    switch (e) {
    case core::alert_field_error::target_price:
        return "target_price";
    case core::alert_field_error::name:
        return "name";
    case core::alert_field_error::cooldown_seconds:
        return "cooldown_seconds";
    case core::alert_field_error::expires_at:
        return "expires_at";
    case core::alert_field_error::channels:
        return "channels";
    case core::alert_field_error::none:
        break;
    }
    return "alert";
}

std::optional<core::alert_id> id_of(http::incoming const& in) {
    if (in.params.empty()) return std::nullopt;
    auto v = parse_int(in.params[0]);
    if (!v || *v <= 0) return std::nullopt;
    return *v;
}

http::response not_found(unsigned version) {
    return http::problem(status::not_found, "no such alert", {}, version);
}

// Shared by the handlers: services, engine and settings.
struct alert_api : std::enable_shared_from_this<alert_api> {
    std::shared_ptr<account_services> services;
    live_alerts& engine;
    alert_api_settings settings;

    alert_api(std::shared_ptr<account_services> s, live_alerts& e, alert_api_settings st)
        : services(std::move(s))
        , engine(e)
        , settings(std::move(st)) {}

    // The caller, or nothing after answering 401.
    std::optional<principal> caller(http::incoming const& in, http::responder& respond) {
        auto who = services->auth().authenticate(in.req);
        if (auto* res = std::get_if<http::response>(&who)) {
            respond(std::move(*res));
            return std::nullopt;
        }
        return std::get<principal>(who);
    }

    void create(http::incoming in, http::responder respond, body_kind kind);
    void list(http::incoming in, http::responder respond);
    void get(http::incoming in, http::responder respond);
    void patch(http::incoming in, http::responder respond);
    void remove(http::incoming in, http::responder respond);
    void events(http::incoming in, http::responder respond);
    void coins(http::incoming in, http::responder respond);
    void add_coin(http::incoming in, http::responder respond);
    void remove_coin(http::incoming in, http::responder respond);
    void prices(http::incoming in, http::responder respond);
};

void alert_api::create(http::incoming in, http::responder respond, body_kind kind) {
    auto who = caller(in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto parsed = parse_alert_body(in.req, kind, services->body_limits());
    if (auto* res = std::get_if<http::response>(&parsed)) return respond(std::move(*res));
    auto const& c = std::get<alert_changes>(parsed);

    auto const symbol = engine.book().symbols().find(*c.symbol);
    if (!symbol || !engine.listed(*symbol))
        return respond(invalid("symbol", "is not a listed coin", version));
    core::alert a;
    a.owner = who->user.id;
    a.symbol = *symbol;
    apply(a, c);
    if (!c.side) {
        auto const last = engine.book().prices().get(*symbol);
        auto inferred = core::infer_direction(
            a.target, last ? std::optional<core::price>(last->last) : std::nullopt);
        if (!inferred)
            return respond(invalid("direction",
                                   last ? "is required: the target equals the last price"
                                        : "is required: the coin has no price yet",
                                   version));
        a.side = *inferred;
    }
    auto const now = now_millis();
    core::create(a, now);
    if (auto e = core::validate(a, now); e != core::alert_field_error::none)
        return respond(invalid(field_name(e), std::string(core::describe(e)), version));

    auto self = shared_from_this();
    auto over_limit = std::make_shared<bool>(false);
    auto const limit = static_cast<std::int64_t>(settings.max_active_per_user);
    std::string symbol_name(*c.symbol);
    auto s = services->writer().submit<core::alert_id>(
        [a, symbol_name, over_limit, limit](SQLite::Database& db) -> core::alert_id {
            if (storage::alert_store::count_active(db, a.owner) >= limit) {
                *over_limit = true;
                return 0;
            }
            return storage::alert_store::insert(db, a, symbol_name);
        },
        [self, a, symbol_name, over_limit, respond,
         version](storage::result<core::alert_id> r) mutable {
            if (!r) return respond(storage_failure(r.err(), version));
            if (*over_limit)
                return respond(http::problem(
                    status::unprocessable_entity, "too many active alerts",
                    {{"status", "at most " + std::to_string(self->settings.max_active_per_user) +
                                    " active alerts per user"}},
                    version));
            a.id = r.value();
            self->engine.armed(a);
            log::alert(log_level::info, a.id, a.owner, symbol_name,
                       "alert created: ", core::to_string(a.side), " ", a.target.to_string());
            respond(http::json_response(status::created, alert_json(a, symbol_name), version));
        });
    if (!s) respond(writer_refused(s.err(), version));
}

void alert_api::list(http::incoming in, http::responder respond) {
    auto who = caller(in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto q = query_of(in.req);
    std::vector<field_error> errors;
    storage::alert_store::alert_query query;
    query.owner = who->user.id;
    query.paging = paging_of(q, errors);
    if (auto it = q.find("status"); it != q.end()) {
        auto st = core::alert_status_from_string(it->second);
        if (!st)
            errors.push_back(
                {"status", "must be one of active, triggered, disabled, expired, deleted"});
        else
            query.status = *st;
    }
    if (auto it = q.find("symbol"); it != q.end()) {
        auto canonical = core::canonical_symbol(it->second);
        if (!canonical)
            errors.push_back({"symbol", "must be a coin symbol such as BTCUSDT"});
        else
            query.symbol = *canonical;
    }
    if (!errors.empty())
        return respond(http::problem(status::unprocessable_entity, "bad query", errors, version));
    // A page the user read before, with nothing of theirs changed since, is
    // answered from memory; otherwise it is read on a worker and kept.
    auto& pages = services->alert_pages();
    auto key = page_key(query);
    if (auto body = pages.find(query.owner, key))
        return respond(json_text_response(*body, version));
    auto const ticket = pages.begin_read();
    services->workers().post([self = shared_from_this(), query, key = std::move(key), ticket,
                              respond, version]() mutable {
        auto page = self->services->workers().read(
            [&](SQLite::Database& db) { return storage::alert_store::list(db, query); });
        if (!page) return respond(storage_failure(page.err(), version));
        auto body =
            std::make_shared<std::string const>(alert_page_body(page.value(), query.paging));
        auto res = json_text_response(*body, version);
        self->services->alert_pages().store(query.owner, std::move(key), ticket, std::move(body));
        respond(std::move(res));
    });
}

void alert_api::get(http::incoming in, http::responder respond) {
    auto who = caller(in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto id = id_of(in);
    if (!id) return respond(not_found(version));
    services->workers().post(
        [self = shared_from_this(), id = *id, owner = who->user.id, respond, version] {
            auto found = self->services->workers().read(
                [&](SQLite::Database& db) { return storage::alert_store::get(db, id, owner); });
            if (!found) return respond(storage_failure(found.err(), version));
            if (!found.value()) return respond(not_found(version));
            respond(http::json_response(
                status::ok, alert_json(found.value()->alert, found.value()->symbol), version));
        });
}

void alert_api::patch(http::incoming in, http::responder respond) {
    auto who = caller(in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto id = id_of(in);
    if (!id) return respond(not_found(version));
    auto parsed = parse_alert_body(in.req, body_kind::patch, services->body_limits());
    if (auto* res = std::get_if<http::response>(&parsed)) return respond(std::move(*res));
    auto const c = std::get<alert_changes>(parsed);

    // The outcome of the write job, read by its completion.
    struct outcome {
        std::optional<storage::alert_store::stored_alert> alert;
        std::optional<http::response> refusal;
    };
    auto out = std::make_shared<outcome>();
    auto const now = now_millis();
    auto const owner = who->user.id;
    auto const limit = static_cast<std::int64_t>(settings.max_active_per_user);
    auto s = services->writer().submit(
        [out, c, now, owner, id = *id, limit, version](SQLite::Database& db) {
            out->alert.reset();
            out->refusal.reset();
            auto stored = storage::alert_store::get(db, id, owner);
            if (!stored || stored->alert.status == core::alert_status::deleted) {
                out->refusal = not_found(version);
                return;
            }
            core::alert a = stored->alert;
            bool const was_active = a.status == core::alert_status::active;
            apply(a, c);
            a.updated_at = now;
            auto type = event_type::updated;
            if (c.status == core::alert_status::active) {
                if (!was_active && storage::alert_store::count_active(db, owner) >= limit) {
                    out->refusal = invalid("status", "too many active alerts", version);
                    return;
                }
                if (core::arm(a, now) == core::transition::refused) {
                    out->refusal =
                        invalid("status", "an expired alert cannot be re-armed", version);
                    return;
                }
                type = event_type::armed;
            } else if (c.status == core::alert_status::disabled) {
                if (core::disable(a, now) == core::transition::refused) {
                    out->refusal =
                        invalid("status", "an expired alert cannot be disabled", version);
                    return;
                }
                type = event_type::disabled;
            }
            if (auto e = core::validate(a, now);
                e != core::alert_field_error::none &&
                !(e == core::alert_field_error::expires_at && !c.expires_at)) {
                out->refusal = invalid(field_name(e), std::string(core::describe(e)), version);
                return;
            }
            storage::alert_store::update(db, a, type);
            stored->alert = a;
            out->alert = std::move(*stored);
        },
        [self = shared_from_this(), out, respond, version](storage::status st) {
            if (!st) return respond(storage_failure(st.err(), version));
            if (out->refusal) return respond(std::move(*out->refusal));
            auto& stored = *out->alert;
            // The in-memory index follows the committed state.
            if (stored.alert.status == core::alert_status::active) {
                stored.alert.symbol = self->engine.book().symbols().intern(stored.symbol);
                self->engine.armed(stored.alert);
            } else {
                self->engine.disarmed(stored.alert.id);
            }
            respond(
                http::json_response(status::ok, alert_json(stored.alert, stored.symbol), version));
        });
    if (!s) respond(writer_refused(s.err(), version));
}

void alert_api::remove(http::incoming in, http::responder respond) {
    auto who = caller(in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto id = id_of(in);
    if (!id) return respond(not_found(version));
    auto found = std::make_shared<bool>(false);
    auto const now = now_millis();
    auto s = services->writer().submit(
        [found, now, owner = who->user.id, id = *id](SQLite::Database& db) {
            *found = false;
            auto stored = storage::alert_store::get(db, id, owner);
            if (!stored || stored->alert.status == core::alert_status::deleted) return;
            core::alert a = stored->alert;
            core::remove(a, now);
            storage::alert_store::update(db, a, event_type::deleted);
            *found = true;
        },
        [self = shared_from_this(), found, id = *id, respond, version](storage::status st) {
            if (!st) return respond(storage_failure(st.err(), version));
            if (!*found) return respond(not_found(version));
            self->engine.disarmed(id);
            respond(http::empty_response(status::no_content, version));
        });
    if (!s) respond(writer_refused(s.err(), version));
}

void alert_api::events(http::incoming in, http::responder respond) {
    auto who = caller(in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto id = id_of(in);
    if (!id) return respond(not_found(version));
    std::vector<field_error> errors;
    auto paging = paging_of(query_of(in.req), errors);
    if (!errors.empty())
        return respond(http::problem(status::unprocessable_entity, "bad query", errors, version));
    services->workers().post(
        [self = shared_from_this(), id = *id, owner = who->user.id, paging, respond, version] {
            auto page = self->services->workers().read(
                [&](SQLite::Database& db)
                    -> std::optional<storage::page<storage::alert_store::event_record>> {
                    if (!storage::alert_store::get(db, id, owner)) return std::nullopt;
                    return storage::alert_store::list_events(db, id, paging);
                });
            if (!page) return respond(storage_failure(page.err(), version));
            if (!page.value()) return respond(not_found(version));
            respond(http::json_response(status::ok, page_json(*page.value(), paging, event_json),
                                        version));
        });
}

void alert_api::coins(http::incoming in, http::responder respond) {
    auto const version = in.req.version();
    struct coin_now {
        std::string symbol;
        std::optional<core::price> price;
        core::millis time = 0;
    };
    std::vector<coin_now> list;
    for (auto id : engine.listed_coins()) {
        coin_now c{std::string(engine.book().symbols().name(id)), std::nullopt, 0};
        if (auto last = engine.book().prices().get(id)) {
            c.price = last->last;
            c.time = last->time;
        }
        list.push_back(std::move(c));
    }
    services->workers().post([self = shared_from_this(), list = std::move(list), respond, version] {
        auto const day_ago = now_millis() - 86'400'000;
        auto bases = self->services->workers().read([&](SQLite::Database& db) {
            std::vector<std::optional<core::price>> out;
            for (auto const& c : list)
                out.push_back(storage::sample_store::close_at_or_before(db, c.symbol, day_ago));
            return out;
        });
        if (!bases) return respond(storage_failure(bases.err(), version));
        json::array items;
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto const& c = list[i];
            json::object o;
            o["symbol"] = c.symbol;
            o["price"] = c.price ? json::value(c.price->to_string()) : json::value(nullptr);
            o["time"] = c.price ? json::value(core::format_rfc3339(c.time)) : json::value(nullptr);
            auto const& base = bases.value()[i];
            if (c.price && base && base->units() != 0) {
                // Percent change, exact to 2 decimals (integer arithmetic on units).
                auto const diff = static_cast<wide>(c.price->units()) - base->units();
                auto const basis = static_cast<wide>(base->units());
                auto const hundredths = static_cast<long long>(diff * 10000 / basis);
                auto const whole = hundredths / 100;
                auto const frac = std::abs(hundredths % 100);
                std::string text = (hundredths < 0 && whole == 0 ? "-" : "") +
                                   std::to_string(whole) + "." + (frac < 10 ? "0" : "") +
                                   std::to_string(frac);
                o["change_24h"] = text;
            } else {
                o["change_24h"] = nullptr;
            }
            items.push_back(std::move(o));
        }
        respond(
            http::json_response(status::ok, json::object{{"items", std::move(items)}}, version));
    });
}

void alert_api::add_coin(http::incoming in, http::responder respond) {
    auto who = caller(in, respond);
    if (!who) return;
    auto const version = in.req.version();
    if (!who->is_admin())
        return respond(http::problem(status::forbidden, "admins only", {}, version));
    static constexpr http::field_spec schema[] = {{"symbol", http::field_kind::string, true}};
    auto body = http::parse_body(in.req.body(), schema, services->body_limits());
    if (auto* e = std::get_if<http::body_error>(&body)) return respond(e->to_response(version));
    auto canonical = core::canonical_symbol(std::get<json::object>(body).at("symbol").as_string());
    if (!canonical)
        return respond(http::problem(status::unprocessable_entity, "bad coin",
                                     {{"symbol", "must be a coin symbol such as BTCUSDT"}},
                                     version));
    auto symbol = std::string(*canonical);
    auto const now = now_millis();
    auto s = services->writer().submit(
        [symbol, now](SQLite::Database& db) { storage::coin_store::add(db, symbol, now); },
        [self = shared_from_this(), symbol, respond, version](storage::status st) {
            if (!st) return respond(storage_failure(st.err(), version));
            self->engine.list_coin(symbol);
            log::notice("coin ", symbol, " listed");
            if (self->settings.on_coins_changed) self->settings.on_coins_changed();
            respond(
                http::json_response(status::created, json::object{{"symbol", symbol}}, version));
        });
    if (!s) respond(writer_refused(s.err(), version));
}

void alert_api::remove_coin(http::incoming in, http::responder respond) {
    auto who = caller(in, respond);
    if (!who) return;
    auto const version = in.req.version();
    if (!who->is_admin())
        return respond(http::problem(status::forbidden, "admins only", {}, version));
    auto canonical = core::canonical_symbol(in.params.at(0));
    if (!canonical) return respond(http::problem(status::not_found, "no such coin", {}, version));
    auto symbol = std::string(*canonical);
    auto outcome = std::make_shared<storage::coin_store::remove_outcome>();
    auto s = services->writer().submit(
        [symbol, outcome](SQLite::Database& db) {
            *outcome = storage::coin_store::remove(db, symbol);
        },
        [self = shared_from_this(), symbol, outcome, respond, version](storage::status st) {
            using storage::coin_store::remove_outcome;
            if (!st) return respond(storage_failure(st.err(), version));
            if (*outcome == remove_outcome::in_use)
                return respond(
                    http::problem(status::conflict, "active alerts use " + symbol, {}, version));
            if (*outcome == remove_outcome::not_found)
                return respond(http::problem(status::not_found, "no such coin", {}, version));
            if (auto id = self->engine.book().symbols().find(symbol)) self->engine.unlist_coin(*id);
            log::notice("coin ", symbol, " removed");
            if (self->settings.on_coins_changed) self->settings.on_coins_changed();
            respond(http::empty_response(status::no_content, version));
        });
    if (!s) respond(writer_refused(s.err(), version));
}

void alert_api::prices(http::incoming in, http::responder respond) {
    auto const version = in.req.version();
    auto q = query_of(in.req);
    std::vector<field_error> errors;
    storage::sample_store::sample_query query;
    query.paging = paging_of(q, errors);
    query.symbol = "BTCUSDT";
    if (auto it = q.find("symbol"); it != q.end()) {
        auto canonical = core::canonical_symbol(it->second);
        if (!canonical)
            errors.push_back({"symbol", "must be a coin symbol such as BTCUSDT"});
        else
            query.symbol = std::string(*canonical);
    }
    if (auto it = q.find("date"); it != q.end()) {
        if (auto day = core::parse_date(it->second)) {
            query.from = *day;
            query.to = *day + 86'400'000;
        } else {
            errors.push_back({"date", "must be a date as YYYY-MM-DD or DD-MM-YYYY"});
        }
    }
    for (auto const* key : {"from", "to"}) {
        auto it = q.find(key);
        if (it == q.end()) continue;
        auto t = core::parse_rfc3339(it->second);
        if (!t) {
            errors.push_back({key, "must be an RFC 3339 time"});
            continue;
        }
        auto& bound = std::string_view(key) == "from" ? query.from : query.to;
        bound =
            bound ? (std::string_view(key) == "from" ? std::max(*bound, *t) : std::min(*bound, *t))
                  : *t;
    }
    if (!errors.empty())
        return respond(http::problem(status::unprocessable_entity, "bad query", errors, version));
    services->workers().post([self = shared_from_this(), query, respond, version] {
        auto page = self->services->workers().read(
            [&](SQLite::Database& db) { return storage::sample_store::list(db, query); });
        if (!page) return respond(storage_failure(page.err(), version));
        respond(http::json_response(status::ok,
                                    page_json(page.value(), query.paging,
                                              [](storage::sample_store::sample const& s) {
                                                  return json::object{
                                                      {"symbol", s.symbol},
                                                      {"time", core::format_rfc3339(s.minute)},
                                                      {"price", s.close.to_string()},
                                                      {"open", s.open.to_string()},
                                                      {"high", s.high.to_string()},
                                                      {"low", s.low.to_string()}};
                                              }),
                                    version));
    });
}

} // namespace

void add_alert_routes(http::router& r, std::shared_ptr<account_services> const& services,
                      live_alerts& engine, alert_api_settings settings) {
    auto api = std::make_shared<alert_api>(services, engine, std::move(settings));
    using http::verb;
    auto bind = [api](auto member) {
        return [api, member](http::incoming in, http::responder respond) {
            ((*api).*member)(std::move(in), std::move(respond));
        };
    };
    r.add(verb::post, "/api/alerts", [api](http::incoming in, http::responder respond) {
        api->create(std::move(in), std::move(respond), body_kind::create);
    });
    r.add(verb::post, "/api/alerts/create", [api](http::incoming in, http::responder respond) {
        api->create(std::move(in), std::move(respond), body_kind::create_compat);
    });
    r.add(verb::get, "/api/alerts", bind(&alert_api::list));
    r.add(verb::get, "/api/alerts/{id}", bind(&alert_api::get));
    r.add(verb::patch, "/api/alerts/{id}", bind(&alert_api::patch));
    r.add(verb::delete_, "/api/alerts/{id}", bind(&alert_api::remove));
    r.add(verb::delete_, "/api/alerts/delete/{id}", bind(&alert_api::remove));
    r.add(verb::get, "/api/alerts/{id}/events", bind(&alert_api::events));
    r.add(verb::get, "/api/coins", bind(&alert_api::coins));
    r.add(verb::post, "/api/coins", bind(&alert_api::add_coin));
    r.add(verb::delete_, "/api/coins/{symbol}", bind(&alert_api::remove_coin));
    r.add(verb::get, "/api/prices", bind(&alert_api::prices));
}

} // namespace kryptod::daemon::api
