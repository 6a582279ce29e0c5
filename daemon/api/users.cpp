// The admin endpoints for accounts.
#include "daemon/api/users.hpp"

#include "core/email_address.hpp"
#include "daemon/api/account_rules.hpp"
#include "daemon/api/responses.hpp"
#include "storage/user_store.hpp"

#include <boost/url/parse.hpp>

#include <charconv>

namespace kryptod::daemon::api {

namespace json = boost::json;
namespace users = storage::user_store;
using http::field_kind;
using http::field_spec;
using http::incoming;
using http::responder;
using http::status;
using services_ptr = std::shared_ptr<api_context>;

namespace {

constexpr field_spec create_schema[] = {{"email", field_kind::string, true},
                                        {"password", field_kind::string, true},
                                        {"role", field_kind::string}};
constexpr field_spec patch_schema[] = {{"role", field_kind::string},
                                       {"disabled", field_kind::boolean}};

constexpr std::int64_t max_limit = 1000;

bool valid_role(std::string_view role) noexcept {
    return role == "user" || role == "admin";
}

// The caller when it is an admin; otherwise answers 401 or 403 and returns
// std::nullopt.
std::optional<principal> require_admin(api_context const& s, incoming const& in,
                                       responder const& respond) {
    auto caller = s.auth().authenticate(in.req);
    if (auto* refused = std::get_if<http::response>(&caller)) {
        respond(std::move(*refused));
        return std::nullopt;
    }
    auto& p = std::get<principal>(caller);
    if (!p.is_admin()) {
        respond(http::problem(status::forbidden, "this endpoint is for administrators", {},
                              in.req.version()));
        return std::nullopt;
    }
    return std::move(p);
}

std::optional<std::int64_t> parse_integer(std::string_view s) noexcept {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return value;
}

// limit and offset of a list request, or the 422 naming the bad parameter.
std::variant<storage::page_request, http::response> parse_paging(http::request const& req) {
    auto const v = req.version();
    auto target = boost::urls::parse_origin_form(req.target());
    if (!target) return http::problem(status::bad_request, "malformed request target", {}, v);
    storage::page_request paging;
    for (auto const& param : target->params()) {
        if (param.key == "limit") {
            auto n = parse_integer(param.value);
            if (!n || *n < 1 || *n > max_limit)
                return invalid_field("limit", "must be an integer from 1 to 1000", v);
            paging.limit = *n;
        } else if (param.key == "offset") {
            auto n = parse_integer(param.value);
            if (!n || *n < 0) return invalid_field("offset", "must be an integer >= 0", v);
            paging.offset = *n;
        } else {
            return invalid_field(param.key, "unknown query parameter", v);
        }
    }
    return paging;
}

void handle_list(services_ptr s, incoming in, responder respond) {
    if (!require_admin(*s, in, respond)) return;
    auto paging = parse_paging(in.req);
    if (auto* refused = std::get_if<http::response>(&paging)) return respond(std::move(*refused));
    auto const request = std::get<storage::page_request>(paging);
    auto const v = in.req.version();
    s->workers().post([s, request, respond, v] {
        auto page =
            s->workers().read([&](SQLite::Database& db) { return users::list(db, request); });
        if (!page) return respond(storage_failure(page.err(), v));
        json::array items;
        for (auto const& record : page.value().items)
            items.push_back(to_json(user_entry::from(record)));
        respond(http::json_response(status::ok,
                                    {{"items", std::move(items)},
                                     {"total", page.value().total},
                                     {"limit", request.limit},
                                     {"offset", request.offset}},
                                    v));
    });
}

void handle_create(services_ptr s, incoming in, responder respond) {
    if (!require_admin(*s, in, respond)) return;
    auto const v = in.req.version();
    auto body = read_body(*s, in, create_schema, respond);
    if (!body) return;
    auto email = std::string(body->at("email").as_string());
    auto password = std::string(body->at("password").as_string());
    std::string role = "user";
    if (auto const* r = body->if_contains("role")) role = std::string(r->as_string());
    std::vector<http::field_error> errors;
    if (!core::valid_email(email))
        errors.push_back({"email", "must be an email address like name@example.com"});
    if (auto problem = password_problem(password)) errors.push_back({"password", *problem});
    if (!valid_role(role)) errors.push_back({"role", "must be \"user\" or \"admin\""});
    if (!errors.empty())
        return respond(http::problem(status::unprocessable_entity, "the request has invalid fields",
                                     errors, v));

    s->workers().post([s, email, password, role, respond, v] {
        std::string hash;
        try {
            hash = s->hasher().hash(password);
        } catch (std::exception const&) {
            return respond(http::problem(status::service_unavailable, "out of memory", {}, v));
        }
        auto const now = now_millis();
        submit_write<users::user_record>(
            *s, respond, v,
            [email, hash, role, now](SQLite::Database& db) {
                users::user_record u;
                u.email = email;
                u.password_hash = hash;
                u.role = role;
                // An administrator vouches for the address they typed.
                u.verified = true;
                u.created_at = now;
                u.updated_at = now;
                u.id = users::create(db, u);
                return u;
            },
            user_created(s, respond, v));
    });
}

void handle_patch(services_ptr s, incoming in, responder respond) {
    if (!require_admin(*s, in, respond)) return;
    auto const v = in.req.version();
    auto id = in.params.empty() ? std::nullopt : parse_integer(in.params[0]);
    if (!id || *id <= 0) return respond(http::problem(status::not_found, "no such user", {}, v));
    auto body = read_body(*s, in, patch_schema, respond);
    if (!body) return;
    std::optional<std::string> role;
    std::optional<bool> disabled;
    if (auto const* r = body->if_contains("role")) role = std::string(r->as_string());
    if (auto const* d = body->if_contains("disabled")) disabled = d->as_bool();
    if (!role && !disabled)
        return respond(http::problem(
            status::unprocessable_entity, "nothing to change",
            {{"role", "give role and/or disabled"}, {"disabled", "give role and/or disabled"}}, v));
    if (role && !valid_role(*role))
        return respond(invalid_field("role", "must be \"user\" or \"admin\"", v));
    auto const now = now_millis();
    submit_write<std::optional<users::user_record>>(
        *s, respond, v,
        [id = *id, role, disabled, now](SQLite::Database& db) -> std::optional<users::user_record> {
            auto user = users::get(db, id);
            if (!user) return std::nullopt;
            // A disabled account keeps no session to come back with, and
            // a changed role is carried only by tokens issued after it: so
            // both end every access and refresh token the user holds.
            bool const ends_sessions = (disabled && *disabled) || (role && *role != user->role);
            if (role) user->role = *role;
            if (disabled) user->disabled = *disabled;
            user->updated_at = now;
            if (ends_sessions)
                user->tokens_valid_after = tokens_valid_after(now, user->tokens_valid_after);
            users::update(db, *user);
            if (ends_sessions) users::revoke_user_refresh_tokens(db, user->id, now);
            return user;
        },
        [s, respond, v](storage::result<std::optional<users::user_record>> r) {
            if (!r) return respond(storage_failure(r.err(), v));
            if (!r.value()) return respond(http::problem(status::not_found, "no such user", {}, v));
            s->users().put(*r.value());
            respond(http::json_response(status::ok, to_json(user_entry::from(*r.value())), v));
        });
}

using handler_fn = void (*)(services_ptr, incoming, responder);

http::handler bind(services_ptr const& s, handler_fn fn) {
    return [s, fn](incoming in, responder respond) { fn(s, std::move(in), std::move(respond)); };
}

} // namespace

void add_user_routes(http::router& r, std::shared_ptr<api_context> const& services) {
    r.add(http::verb::get, "/api/users", bind(services, handle_list));
    r.add(http::verb::post, "/api/users", bind(services, handle_create));
    r.add(http::verb::patch, "/api/users/{id}", bind(services, handle_patch));
}

} // namespace kryptod::daemon::api
