// The alert routes: create, list, read, change, delete, and each alert's
// event history. What daemon/api is for and the invariants every handler
// keeps are in alerts.hpp.
#include "daemon/api/alerts.hpp"

#include "daemon/api/alert_body.hpp"
#include "daemon/api/alert_json.hpp"
#include "daemon/api/alert_transfer.hpp"
#include "daemon/api/list_query.hpp"
#include "daemon/api/responses.hpp"
#include "daemon/log.hpp"
#include "storage/alert_store.hpp"

namespace kryptod::daemon::api {

using http::status;
using storage::alert_store::event_type;

namespace {

// The 422 for channels the caller has not set up (SPEC §10), naming each;
// std::nullopt when every channel of `wanted` is set up.
std::optional<http::response> unset_channels(core::channel wanted, user_entry const& user,
                                             unsigned version) {
    std::string missing;
    for (auto const ch : core::all_channels)
        if (core::has(wanted, ch) && !core::has(user.channels, ch))
            missing += (missing.empty() ? "" : ", ") + std::string(core::to_string(ch));
    if (missing.empty()) return std::nullopt;
    return invalid_alert("channels",
                         "not set up: " + missing + " (set it up with PATCH /api/auth/me first)",
                         version);
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

http::response alert_response(status s, core::alert const& a, std::string_view symbol,
                              unsigned version) {
    return http::json_text_response(s, alert_text(a, symbol), version);
}

// The alert page cache's key of a list query: every filter and the paging.
std::string page_key(storage::alert_store::alert_query const& q) {
    std::string key = std::to_string(q.paging.limit);
    key += ',';
    key += std::to_string(q.paging.offset);
    key += ',';
    if (q.status) key += core::to_string(*q.status);
    key += ',';
    if (q.symbol) key += *q.symbol;
    key += ',';
    if (q.kind) key += core::to_string(*q.kind);
    return key;
}

// The write of a PATCH: the stored alert changed as `c` asks, or the answer
// refusing it. Runs on the writer thread.
struct patch_job {
    alert_changes c;
    core::millis now;
    std::int64_t owner;
    core::alert_id id;
    std::int64_t limit; // of active alerts per user
    unsigned version;

    // What the completion reads: the alert as committed, or the refusal.
    struct outcome {
        std::optional<storage::alert_store::stored_alert> alert;
        std::optional<http::response> refusal;
    };

    // The event the change records, or the refusal.
    std::variant<event_type, http::response> transition(SQLite::Database& db, core::alert& a,
                                                        bool was_active) const {
        if (c.status == core::alert_status::active) {
            if (!was_active && storage::alert_store::count_active(db, owner) >= limit)
                return invalid_alert("status", "too many active alerts", version);
            if (core::arm(a, now) == core::transition::refused)
                return invalid_alert("status", "an expired alert cannot be re-armed", version);
            return event_type::armed;
        }
        if (c.status == core::alert_status::disabled) {
            if (core::disable(a, now) == core::transition::refused)
                return invalid_alert("status", "an expired alert cannot be disabled", version);
            return event_type::disabled;
        }
        return event_type::updated;
    }

    void run(SQLite::Database& db, outcome& out) const {
        out.alert.reset();
        out.refusal.reset();
        auto stored = storage::alert_store::get(db, id, owner);
        if (!stored || stored->alert.status == core::alert_status::deleted) {
            out.refusal = not_found(version);
            return;
        }
        core::alert a = stored->alert;
        if (auto refusal = check_kind(c, a.kind, alert_body_kind::patch, version)) {
            out.refusal = std::move(*refusal);
            return;
        }
        bool const was_active = a.status == core::alert_status::active;
        apply(a, c);
        a.updated_at = now;
        auto type = transition(db, a, was_active);
        if (auto* refusal = std::get_if<http::response>(&type)) {
            out.refusal = std::move(*refusal);
            return;
        }
        // An expiry already past is refused only when this PATCH sets it.
        if (auto e = core::validate(a, now);
            e != core::alert_field_error::none &&
            !(e == core::alert_field_error::expires_at && !c.expires_at)) {
            out.refusal = invalid_alert(e, version);
            return;
        }
        storage::alert_store::update(db, a, std::get<event_type>(type));
        stored->alert = a;
        out.alert = std::move(*stored);
    }
};

// What the alert handlers share. Completions hold it by shared_ptr, so it
// outlives every request in flight.
struct alert_api : std::enable_shared_from_this<alert_api> {
    std::shared_ptr<api_context> context;
    live_alerts& engine;
    alert_api_settings settings;

    alert_api(std::shared_ptr<api_context> c, live_alerts& e, alert_api_settings s)
        : context(std::move(c))
        , engine(e)
        , settings(s) {}

    void create(http::incoming in, http::responder respond, alert_body_kind kind);
    void list(http::incoming in, http::responder respond);
    void get(http::incoming in, http::responder respond);
    void patch(http::incoming in, http::responder respond);
    void remove(http::incoming in, http::responder respond);
    void events(http::incoming in, http::responder respond);
};

void alert_api::create(http::incoming in, http::responder respond, alert_body_kind kind) {
    auto who = caller(*context, in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto parsed = parse_alert_body(in.req.body(), kind, context->body_limits(), version);
    if (auto* res = std::get_if<http::response>(&parsed)) return respond(std::move(*res));
    auto const& c = std::get<alert_changes>(parsed);
    if (auto refusal = check_kind(c, c.kind.value_or(core::alert_kind::price), kind, version))
        return respond(std::move(*refusal));
    if (c.channels)
        if (auto refused = unset_channels(*c.channels, who->user, version))
            return respond(std::move(*refused));

    auto const now = now_millis();
    auto made = new_alert(c, who->user.id, engine, now);
    if (auto* wrong = std::get_if<http::field_error>(&made))
        return respond(invalid_alert(std::move(wrong->field), std::move(wrong->message), version));
    auto a = std::get<core::alert>(made);

    auto over_limit = std::make_shared<bool>(false);
    auto const limit = static_cast<std::int64_t>(settings.max_active_per_user);
    std::string symbol_name(*c.symbol);
    auto s = context->writer().submit<core::alert_id>(
        [a, symbol_name, over_limit, limit](SQLite::Database& db) -> core::alert_id {
            if (storage::alert_store::count_active(db, a.owner) >= limit) {
                *over_limit = true;
                return 0;
            }
            return storage::alert_store::insert(db, a, symbol_name);
        },
        [self = shared_from_this(), a, symbol_name, over_limit, respond,
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
            if (a.kind == core::alert_kind::move)
                log::alert(log_level::info, a.id, a.owner, symbol_name, "alert created: move ",
                           core::to_string(a.move_side), " ",
                           core::format_move_percent(a.move_percent), " % in ", a.window_seconds,
                           " s");
            else
                log::alert(log_level::info, a.id, a.owner, symbol_name,
                           "alert created: ", core::to_string(a.side), " ", a.target.to_string());
            respond(alert_response(status::created, a, symbol_name, version));
        });
    if (!s) respond(writer_refused(s.err(), version));
}

void alert_api::list(http::incoming in, http::responder respond) {
    auto who = caller(*context, in, respond);
    if (!who) return;
    auto const version = in.req.version();
    list_query q(in.req, {"status", "symbol", "kind"});
    storage::alert_store::alert_query query;
    query.owner = who->user.id;
    query.paging = q.paging();
    if (auto value = q.get("status")) {
        if (auto st = core::alert_status_from_string(*value))
            query.status = *st;
        else
            q.refuse("status", "must be one of active, triggered, disabled, expired, deleted");
    }
    if (auto value = q.get("symbol")) {
        if (auto canonical = core::canonical_symbol(*value))
            query.symbol = *canonical;
        else
            q.refuse("symbol", "must be a coin symbol such as BTCUSDT");
    }
    if (auto value = q.get("kind")) {
        if (auto kind = core::alert_kind_from_string(*value))
            query.kind = *kind;
        else
            q.refuse("kind", "must be price or move");
    }
    if (auto problem = q.problem(version)) return respond(std::move(*problem));
    // A page the user read before, with nothing of theirs changed since, is
    // answered from memory; otherwise it is read on a worker and kept.
    auto& pages = context->alert_pages();
    auto key = page_key(query);
    if (auto body = pages.find(query.owner, key))
        return respond(http::json_text_response(status::ok, *body, version));
    auto const ticket = pages.begin_read();
    context->workers().post([self = shared_from_this(), query, key = std::move(key), ticket,
                             respond, version]() mutable {
        auto page = self->context->workers().read(
            [&](SQLite::Database& db) { return storage::alert_store::list(db, query); });
        if (!page) return respond(storage_failure(page.err(), version));
        auto body =
            std::make_shared<std::string const>(alert_page_text(page.value(), query.paging));
        auto res = http::json_text_response(status::ok, *body, version);
        self->context->alert_pages().store(query.owner, std::move(key), ticket, std::move(body));
        respond(std::move(res));
    });
}

void alert_api::get(http::incoming in, http::responder respond) {
    auto who = caller(*context, in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto id = id_of(in);
    if (!id) return respond(not_found(version));
    context->workers().post([self = shared_from_this(), id = *id, owner = who->user.id, respond,
                             version] {
        auto found = self->context->workers().read(
            [&](SQLite::Database& db) { return storage::alert_store::get(db, id, owner); });
        if (!found) return respond(storage_failure(found.err(), version));
        if (!found.value()) return respond(not_found(version));
        respond(alert_response(status::ok, found.value()->alert, found.value()->symbol, version));
    });
}

void alert_api::patch(http::incoming in, http::responder respond) {
    auto who = caller(*context, in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto id = id_of(in);
    if (!id) return respond(not_found(version));
    auto parsed =
        parse_alert_body(in.req.body(), alert_body_kind::patch, context->body_limits(), version);
    if (auto* res = std::get_if<http::response>(&parsed)) return respond(std::move(*res));
    // Only channels the body names are checked: an alert whose channel was
    // removed since can still be paused, renamed or re-armed.
    if (auto const& wanted = std::get<alert_changes>(parsed).channels)
        if (auto refused = unset_channels(*wanted, who->user, version))
            return respond(std::move(*refused));

    patch_job const job{std::get<alert_changes>(std::move(parsed)),
                        now_millis(),
                        who->user.id,
                        *id,
                        static_cast<std::int64_t>(settings.max_active_per_user),
                        version};
    auto out = std::make_shared<patch_job::outcome>();
    auto s = context->writer().submit(
        [job, out](SQLite::Database& db) { job.run(db, *out); },
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
            respond(alert_response(status::ok, stored.alert, stored.symbol, version));
        });
    if (!s) respond(writer_refused(s.err(), version));
}

void alert_api::remove(http::incoming in, http::responder respond) {
    auto who = caller(*context, in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto id = id_of(in);
    if (!id) return respond(not_found(version));
    auto found = std::make_shared<bool>(false);
    auto const now = now_millis();
    auto s = context->writer().submit(
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
    auto who = caller(*context, in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto id = id_of(in);
    if (!id) return respond(not_found(version));
    list_query q(in.req, {});
    if (auto problem = q.problem(version)) return respond(std::move(*problem));
    context->workers().post([self = shared_from_this(), id = *id, owner = who->user.id,
                             paging = q.paging(), respond, version] {
        auto page = self->context->workers().read(
            [&](SQLite::Database& db)
                -> std::optional<storage::page<storage::alert_store::event_record>> {
                if (!storage::alert_store::get(db, id, owner)) return std::nullopt;
                return storage::alert_store::list_events(db, id, paging);
            });
        if (!page) return respond(storage_failure(page.err(), version));
        if (!page.value()) return respond(not_found(version));
        respond(
            http::json_response(status::ok, page_json(*page.value(), paging, event_json), version));
    });
}

} // namespace

void add_alert_routes(http::router& r, std::shared_ptr<api_context> const& context,
                      live_alerts& engine, alert_api_settings settings) {
    auto api = std::make_shared<alert_api>(context, engine, settings);
    using http::verb;
    auto bind = [api](auto member) {
        return [api, member](http::incoming in, http::responder respond) {
            ((*api).*member)(std::move(in), std::move(respond));
        };
    };
    r.add(verb::post, "/api/alerts", [api](http::incoming in, http::responder respond) {
        api->create(std::move(in), std::move(respond), alert_body_kind::create);
    });
    r.add(verb::post, "/api/alerts/create/", [api](http::incoming in, http::responder respond) {
        api->create(std::move(in), std::move(respond), alert_body_kind::create_compat);
    });
    r.add(verb::get, "/api/alerts", bind(&alert_api::list));
    add_alert_transfer_routes(r, context, engine, settings); // before {id} takes "export"
    r.add(verb::get, "/api/alerts/{id}", bind(&alert_api::get));
    r.add(verb::patch, "/api/alerts/{id}", bind(&alert_api::patch));
    r.add(verb::delete_, "/api/alerts/{id}", bind(&alert_api::remove));
    r.add(verb::delete_, "/api/alerts/delete/{id}/", bind(&alert_api::remove));
    r.add(verb::get, "/api/alerts/{id}/events", bind(&alert_api::events));
}

} // namespace kryptod::daemon::api
