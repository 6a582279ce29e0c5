// The account endpoints. Each handler parses and checks on the io_context
// thread, then hands slow work to the worker pool and writes to the writer;
// exactly one answer leaves through the responder on every path.
#include "daemon/api/accounts.hpp"

#include "core/email_address.hpp"
#include "daemon/api/account_rules.hpp"
#include "daemon/api/channel_settings.hpp"
#include "daemon/api/responses.hpp"
#include "daemon/log.hpp"
#include "daemon/notify/notice.hpp"
#include "storage/outbox_store.hpp"
#include "storage/user_store.hpp"

#include <boost/url/parse.hpp>

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

constexpr field_spec credentials_schema[] = {{"email", field_kind::string, true},
                                             {"password", field_kind::string, true}};
constexpr field_spec refresh_schema[] = {{"refresh", field_kind::string, true}};
constexpr field_spec token_schema[] = {{"token", field_kind::string, true}};
constexpr field_spec reset_schema[] = {{"email", field_kind::string, true}};
constexpr field_spec confirm_schema[] = {{"token", field_kind::string, true},
                                         {"password", field_kind::string, true}};

constexpr std::size_t max_webhook_url = 2048;

std::string text(json::object const& o, std::string_view name) {
    auto const& s = o.at(name).as_string();
    return std::string(s.data(), s.size());
}

// Refresh, verification and reset tokens are 32 random bytes in hex; any
// other shape cannot be one, and is refused without a database round trip.
bool token_shaped(std::string_view token) noexcept {
    return token.size() == 64 && token.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The line of an account email that opens the web app's `page` with the
// token in the fragment (never sent to a server), or nothing when
// http.public_url is not set.
std::string app_link(std::string const& public_url, std::string_view page,
                     std::string const& token) {
    if (public_url.empty()) return {};
    return "Or open this link:\n\n" + public_url + "/" + std::string(page) + "#token=" + token +
           "\n\n";
}

// Queues an account email (verification, reset) carrying `token` in the
// outbox; the notifier sends it. The payload is notify's (notify::encode):
// the token is held in memory until it expires and never written to the
// database, where only its hash is. At most `per_day` account emails go to
// one user's address in 24 hours (notify.account_emails_per_day), so nobody
// can flood an inbox through the reset form: past it nothing is queued and
// false is returned, and the caller stores no token either.
bool queue_account_email(SQLite::Database& db, std::int64_t user, std::string const& to,
                         std::string subject, std::string body, std::string const& token,
                         core::millis token_expires_at, std::uint32_t per_day, core::millis now) {
    constexpr core::millis one_day = 86'400'000;
    if (storage::outbox_store::count_account_messages_since(db, user, now - one_day) >=
        static_cast<std::int64_t>(per_day)) {
        log::info("account email \"", subject, "\" for user ", user,
                  " not queued: notify.account_emails_per_day (", per_day, ") reached");
        return false;
    }
    storage::outbox_store::message m;
    m.delivery_id = "kryptod-account-" + http::random_hex(16);
    m.channel = core::channel::email;
    m.user = user;
    m.payload = notify::encode(notify::account_email{to, std::move(subject), std::move(body)},
                               notify::email_secret{token, token_expires_at});
    m.next_attempt_at = now;
    m.created_at = now;
    storage::outbox_store::enqueue(db, m);
    return true;
}

users::refresh_token_record new_refresh_record(std::int64_t user, std::string const& token,
                                               std::string family, core::millis now,
                                               std::chrono::seconds ttl) {
    users::refresh_token_record r;
    r.user_id = user;
    r.token_hash = http::token_digest(token);
    r.family = std::move(family);
    r.issued_at = now;
    r.expires_at = now + core::seconds_to_millis(ttl.count());
    return r;
}

http::response token_pair(api_context const& s, user_entry const& user, std::string const& refresh,
                          unsigned version) {
    json::object body;
    body["access"] = s.auth().issue(user.id, user.role, now_seconds());
    body["refresh"] = refresh;
    body["token_type"] = "Bearer";
    body["expires_in"] = s.auth().access_ttl().count();
    auto res = http::json_response(status::ok, body, version);
    res.set(http::bhttp::field::cache_control, "no-store");
    return res;
}

http::response invalid_refresh(unsigned version) {
    return http::problem(status::unauthorized,
                         "the refresh token is unknown, expired, already used or revoked", {},
                         version);
}

// Why a webhook URL is refused, or std::nullopt when it is usable.
std::optional<std::string> webhook_url_problem(std::string_view url) {
    if (url.size() > max_webhook_url)
        return "must be at most " + std::to_string(max_webhook_url) + " characters";
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) return "must be an absolute http or https URL";
    auto scheme = lower_ascii(parsed->scheme());
    if (scheme != "http" && scheme != "https") return "must be an http or https URL";
    if (parsed->encoded_host().empty()) return "must name a host";
    return std::nullopt;
}

// The 422 for an email that is not an address. It comes before any limiter or
// lookup, so neither ever holds an unvalidated key.
http::response not_an_email(unsigned version) {
    return invalid_field("email", "must be an email address like name@example.com", version);
}

// --- register -------------------------------------------------------------

void handle_register(services_ptr s, incoming in, responder respond) {
    auto const v = in.req.version();
    auto body = read_body(*s, in, credentials_schema, respond);
    if (!body) return;
    auto email = text(*body, "email");
    auto password = text(*body, "password");
    auto account = core::normalised_email(email);
    if (!account) return respond(not_an_email(v));
    if (auto problem = password_problem(password))
        return respond(invalid_field("password", *problem, v));
    if (auto limited = s->limits().admit_registration(in.client_address, *account, v))
        return respond(std::move(*limited));

    s->workers().post([s, email, password, respond, v] {
        std::string hash;
        try {
            hash = s->hasher().hash(password);
        } catch (std::exception const& e) {
            log::error("register: hashing failed: ", e.what());
            return respond(http::problem(status::service_unavailable, "out of memory", {}, v));
        }
        auto const now = now_millis();
        auto const verify_ttl = s->settings().verify_ttl;
        auto const per_day = s->settings().account_emails_per_day;
        auto const public_url = s->settings().public_url;
        submit_write<users::user_record>(
            *s, respond, v,
            [email, hash, now, verify_ttl, per_day, public_url](SQLite::Database& db) {
                users::user_record u;
                u.email = email;
                u.password_hash = hash;
                u.created_at = now;
                u.updated_at = now;
                u.id = users::create(db, u);
                auto token = http::random_hex(32);
                auto const expires_at = now + core::seconds_to_millis(verify_ttl.count());
                if (queue_account_email(
                        db, u.id, email, "Confirm your kryptod email address",
                        "Welcome to kryptod.\n\nTo confirm this address, send this token to "
                        "POST /api/auth/verify-email as {\"token\": \"" +
                            token + "\"}:\n\n" + token + "\n\n" +
                            app_link(public_url, "verify-email", token) + "It is valid for " +
                            std::to_string(verify_ttl.count() / 3600) + " hours.\n",
                        token, expires_at, per_day, now))
                    users::insert_email_token(db, u.id, http::token_digest(token), "verify_email",
                                              now, expires_at);
                return u;
            },
            user_created(s, respond, v));
    });
}

// --- login ----------------------------------------------------------------

// The worker's half of a login: checks the password of the account with the
// normalised address `email` and answers.
void check_password(services_ptr const& s, std::string const& email, std::string const& password,
                    std::string const& address, responder const& respond, unsigned v) {
    // Unknown account or wrong password: one answer, counted against the
    // account (attempt_limits says why only failures count).
    auto const wrong = [&] {
        s->limits().login_failed(address, email);
        return unauthorized("wrong email or password", v);
    };
    if (password.size() > max_password_length) {
        // Still pay for one hash so that the answer's timing says nothing.
        s->hasher().verify_dummy(password.substr(0, max_password_length));
        return respond(wrong());
    }
    auto found =
        s->workers().read([&](SQLite::Database& db) { return users::find_by_email(db, email); });
    if (!found) return respond(storage_failure(found.err(), v));
    auto const& user = found.value();
    if (!user) {
        s->hasher().verify_dummy(password);
        return respond(wrong());
    }
    if (!s->hasher().verify(user->password_hash, password)) return respond(wrong());
    if (user->disabled)
        return respond(http::problem(status::forbidden, "this account is disabled", {}, v));
    s->users().put_if_absent(*user);

    auto const refresh = http::random_hex(32);
    auto record = new_refresh_record(user->id, refresh, http::random_hex(16), now_millis(),
                                     s->settings().refresh_ttl);
    auto entry = user_entry::from(*user);
    submit_write<std::int64_t>(
        *s, respond, v,
        [record](SQLite::Database& db) { return users::insert_refresh_token(db, record); },
        [s, respond, v, entry, refresh](storage::result<std::int64_t> r) {
            if (!r) return respond(storage_failure(r.err(), v));
            // The directory's entry is the current one (role changes).
            auto current = s->users().find(entry.id).value_or(entry);
            respond(token_pair(*s, current, refresh, v));
        });
}

void handle_login(services_ptr s, incoming in, responder respond) {
    auto const v = in.req.version();
    auto body = read_body(*s, in, credentials_schema, respond);
    if (!body) return;
    auto account = core::normalised_email(text(*body, "email"));
    if (!account) return respond(not_an_email(v));
    auto password = text(*body, "password");
    if (auto limited = s->limits().admit_login(in.client_address, *account, v))
        return respond(std::move(*limited));

    s->workers().post([s, email = std::move(*account), password, address = in.client_address,
                       respond, v] { check_password(s, email, password, address, respond, v); });
}

// --- refresh and logout -----------------------------------------------------

enum class refresh_outcome { rotated, revoked, invalid };

struct refresh_result {
    refresh_outcome outcome = refresh_outcome::invalid;
    std::optional<users::user_record> user;
};

void handle_refresh(services_ptr s, incoming in, responder respond) {
    auto const v = in.req.version();
    auto body = read_body(*s, in, refresh_schema, respond);
    if (!body) return;
    auto presented = text(*body, "refresh");
    if (!token_shaped(presented)) return respond(invalid_refresh(v));
    auto const next = http::random_hex(32);
    auto const now = now_millis();
    auto const ttl = s->settings().refresh_ttl;
    submit_write<refresh_result>(
        *s, respond, v,
        [presented, next, now, ttl](SQLite::Database& db) {
            auto old = users::find_refresh_token(db, http::token_digest(presented));
            if (!old || old->revoked_at || old->expires_at <= now) return refresh_result{};
            if (old->rotated_at || !users::rotate_refresh_token(db, old->id, now)) {
                // A rotated token presented again: it was copied. Whoever
                // holds its successor may be the thief, so the family goes.
                users::revoke_refresh_family(db, old->family, now);
                return refresh_result{refresh_outcome::revoked, std::nullopt};
            }
            auto user = users::get(db, old->user_id);
            if (!user || user->disabled) {
                users::revoke_refresh_family(db, old->family, now);
                return refresh_result{};
            }
            users::insert_refresh_token(db,
                                        new_refresh_record(user->id, next, old->family, now, ttl));
            return refresh_result{refresh_outcome::rotated, std::move(user)};
        },
        [s, respond, v, next](storage::result<refresh_result> r) {
            if (!r) return respond(storage_failure(r.err(), v));
            auto& outcome = r.value();
            if (outcome.outcome == refresh_outcome::revoked)
                log::notice("refresh token reused: its family was revoked");
            if (outcome.outcome != refresh_outcome::rotated) return respond(invalid_refresh(v));
            auto current = s->users().find(outcome.user->id);
            if (!current || current->disabled) return respond(invalid_refresh(v));
            respond(token_pair(*s, *current, next, v));
        });
}

void handle_logout(services_ptr s, incoming in, responder respond) {
    auto const v = in.req.version();
    auto body = read_body(*s, in, refresh_schema, respond);
    if (!body) return;
    auto presented = text(*body, "refresh");
    if (!token_shaped(presented)) return respond(invalid_refresh(v));
    auto const now = now_millis();
    submit_write<bool>(
        *s, respond, v,
        [presented, now](SQLite::Database& db) {
            auto token = users::find_refresh_token(db, http::token_digest(presented));
            if (!token || token->revoked_at) return false;
            users::revoke_refresh_family(db, token->family, now);
            // A rotated or expired token still ends its family (the holder
            // wants out), but the answer says it was not a live session.
            return token->usable(now);
        },
        [respond, v](storage::result<bool> r) {
            if (!r) return respond(storage_failure(r.err(), v));
            if (!r.value()) return respond(invalid_refresh(v));
            respond(http::empty_response(status::no_content, v));
        });
}

// --- me -------------------------------------------------------------------

// PATCH /api/auth/me: the webhook URL and the chat channels' settings
// (channel_settings.hpp), each optional; a body needs one of them.
std::span<field_spec const> me_schema() {
    static std::vector<field_spec> const schema = [] {
        std::vector<field_spec> s{{"webhook_url", field_kind::string_or_null}};
        auto const chat = channel_setting_fields();
        s.insert(s.end(), chat.begin(), chat.end());
        return s;
    }();
    return schema;
}

// The busiest authenticated endpoint: the answer is the directory's
// serialised entry, so nothing is copied from the directory or formatted.
void handle_get_me(services_ptr s, incoming in, responder respond) {
    auto caller = s->auth().identify(in.req);
    if (auto* refused = std::get_if<http::response>(&caller)) return respond(std::move(*refused));
    auto const& user = std::get<std::shared_ptr<user_snapshot const>>(caller);
    respond(http::json_text_response(status::ok, user->json, in.req.version()));
}

void handle_patch_me(services_ptr s, incoming in, responder respond) {
    auto const v = in.req.version();
    auto caller = s->auth().authenticate(in.req);
    if (auto* refused = std::get_if<http::response>(&caller)) return respond(std::move(*refused));
    auto const id = std::get<principal>(caller).user.id;
    auto body = read_body(*s, in, me_schema(), respond);
    if (!body) return;
    if (body->empty())
        return respond(invalid_field("webhook_url",
                                     "one of webhook_url, discord_webhook_url, slack_webhook_url, "
                                     "ntfy_url and ntfy_token is required",
                                     v));
    bool const set_webhook = body->contains("webhook_url");
    std::optional<std::string> url;
    std::vector<http::field_error> errors;
    if (auto const* value = body->if_contains("webhook_url"); value && value->is_string()) {
        url = std::string(value->as_string());
        if (auto problem = webhook_url_problem(*url)) errors.push_back({"webhook_url", *problem});
    }
    auto chat = read_channel_settings(*body, s->settings().allow_private_urls);
    if (auto* bad = std::get_if<std::vector<http::field_error>>(&chat))
        errors.insert(errors.end(), bad->begin(), bad->end());
    if (!errors.empty())
        return respond(
            http::problem(status::unprocessable_entity, "invalid channel settings", errors, v));
    auto const now = now_millis();
    submit_write<users::user_record>(
        *s, respond, v,
        [id, set_webhook, url, chat = std::get<channel_settings_change>(chat),
         now](SQLite::Database& db) {
            auto user = users::get(db, id);
            if (!user) throw storage::not_found_error("user gone");
            if (set_webhook) {
                user->webhook_url = url;
                // A new URL gets a new signing secret: whoever saw the old
                // pairing cannot sign for the new target.
                user->webhook_secret =
                    url ? std::optional<std::string>(http::random_hex(32)) : std::nullopt;
            }
            chat.apply(*user);
            user->updated_at = now;
            users::update(db, *user);
            return *user;
        },
        [s, respond, v, set_webhook](storage::result<users::user_record> const& r) {
            if (!r) {
                if (r.err().code == storage::errc::not_found)
                    return respond(unauthorized("invalid access token: unknown user", v));
                return respond(storage_failure(r.err(), v));
            }
            auto const& user = r.value();
            s->users().put(user);
            auto body = to_json(user_entry::from(user));
            // Shown only when this request set the URL (SPEC §3).
            if (set_webhook && user.webhook_secret) body["webhook_secret"] = *user.webhook_secret;
            respond(http::json_response(status::ok, body, v));
        });
}

// --- email verification and password reset ---------------------------------

http::response invalid_email_token(unsigned version) {
    return invalid_field("token", "unknown, already used or expired token", version);
}

void handle_verify_email(services_ptr s, incoming in, responder respond) {
    auto const v = in.req.version();
    auto body = read_body(*s, in, token_schema, respond);
    if (!body) return;
    auto token = text(*body, "token");
    if (!token_shaped(token)) return respond(invalid_email_token(v));
    auto const now = now_millis();
    submit_write<std::optional<users::user_record>>(
        *s, respond, v,
        [token, now](SQLite::Database& db) -> std::optional<users::user_record> {
            auto id =
                users::consume_email_token(db, http::token_digest(token), "verify_email", now);
            if (!id) return std::nullopt;
            auto user = users::get(db, *id);
            if (!user) return std::nullopt;
            user->verified = true;
            user->updated_at = now;
            users::update(db, *user);
            return user;
        },
        [s, respond, v](storage::result<std::optional<users::user_record>> r) {
            if (!r) return respond(storage_failure(r.err(), v));
            if (!r.value()) return respond(invalid_email_token(v));
            s->users().put(*r.value());
            respond(http::empty_response(status::no_content, v));
        });
}

// Emails a reset token to the account with the normalised address `email`,
// if there is one and it is not disabled. Runs on a worker, after the
// answer has left; failures are the log's, as nobody waits for them.
void send_reset_token(services_ptr const& s, std::string const& email) {
    auto found =
        s->workers().read([&](SQLite::Database& db) { return users::find_by_email(db, email); });
    if (!found) {
        log::warning("password reset: cannot look up the account: ", found.err().message);
        return;
    }
    auto const& user = found.value();
    if (!user || user->disabled) return;
    auto const now = now_millis();
    auto const id = user->id;
    auto const to = user->email;
    auto const per_day = s->settings().account_emails_per_day;
    auto const public_url = s->settings().public_url;
    auto accepted = s->writer().submit<bool>(
        [id, to, now, per_day, public_url](SQLite::Database& db) {
            auto token = http::random_hex(32);
            auto const expires_at = now + core::seconds_to_millis(reset_token_ttl.count());
            // Past notify.account_emails_per_day nothing is queued and no
            // token is stored; the answer has already left, the same either way.
            if (!queue_account_email(
                    db, id, to, "Reset your kryptod password",
                    "Someone asked to reset the password of this kryptod account. If it was you, "
                    "send this token with your new password to POST "
                    "/api/auth/password-reset/confirm as {\"token\": \"" +
                        token + "\", \"password\": \"...\"}:\n\n" + token + "\n\n" +
                        app_link(public_url, "reset-password", token) +
                        "It is valid for one hour and works once. If it was not you, ignore "
                        "this email.\n",
                    token, expires_at, per_day, now))
                return false;
            users::insert_email_token(db, id, http::token_digest(token), "password_reset", now,
                                      expires_at);
            return true;
        },
        [s](storage::result<bool> r) {
            if (!r)
                log::warning("password reset: the token was not stored: ", r.err().message);
            else if (r.value())
                s->outbox_queued();
        });
    if (!accepted)
        log::warning("password reset: the token was not stored: ", accepted.err().message);
}

void handle_password_reset(services_ptr s, incoming in, responder respond) {
    auto const v = in.req.version();
    auto body = read_body(*s, in, reset_schema, respond);
    if (!body) return;
    auto account = core::normalised_email(text(*body, "email"));
    if (!account) return respond(not_an_email(v));
    if (auto limited = s->limits().admit_password_reset(in.client_address, *account, v))
        return respond(std::move(*limited));
    // The answer leaves before anything that depends on the account: the
    // lookup, the token and the email come after, on a worker, so neither
    // the answer nor its timing tells whether the account exists.
    respond(http::json_response(
        status::accepted, {{"detail", "if an account has this email, a reset token is on its way"}},
        v));
    s->workers().post([s, email = std::move(*account)] { send_reset_token(s, email); });
}

void handle_password_reset_confirm(services_ptr s, incoming in, responder respond) {
    auto const v = in.req.version();
    auto body = read_body(*s, in, confirm_schema, respond);
    if (!body) return;
    auto token = text(*body, "token");
    auto password = text(*body, "password");
    if (auto problem = password_problem(password))
        return respond(invalid_field("password", *problem, v));
    if (!token_shaped(token)) return respond(invalid_email_token(v));
    s->workers().post([s, token, password, respond, v] {
        std::string hash;
        try {
            hash = s->hasher().hash(password);
        } catch (std::exception const& e) {
            log::error("password reset: hashing failed: ", e.what());
            return respond(http::problem(status::service_unavailable, "out of memory", {}, v));
        }
        auto const now = now_millis();
        submit_write<std::optional<users::user_record>>(
            *s, respond, v,
            [token, hash, now](SQLite::Database& db) -> std::optional<users::user_record> {
                auto id = users::consume_email_token(db, http::token_digest(token),
                                                     "password_reset", now);
                if (!id) return std::nullopt;
                auto user = users::get(db, *id);
                if (!user) return std::nullopt;
                user->password_hash = hash;
                user->updated_at = now;
                // Whoever knew the old password may hold a session: end
                // them all, access tokens included.
                user->tokens_valid_after = tokens_valid_after(now, user->tokens_valid_after);
                users::update(db, *user);
                users::revoke_user_refresh_tokens(db, user->id, now);
                return user;
            },
            [s, respond, v](storage::result<std::optional<users::user_record>> r) {
                if (!r) return respond(storage_failure(r.err(), v));
                if (!r.value()) return respond(invalid_email_token(v));
                s->users().put(*r.value());
                respond(http::empty_response(status::no_content, v));
            });
    });
}

using handler_fn = void (*)(services_ptr, incoming, responder);

http::handler bind(services_ptr const& s, handler_fn fn) {
    return [s, fn](incoming in, responder respond) { fn(s, std::move(in), std::move(respond)); };
}

} // namespace

void add_account_routes(http::router& r, std::shared_ptr<api_context> const& services) {
    using http::verb;
    r.add(verb::post, "/api/auth/register", bind(services, handle_register));
    r.add(verb::post, "/api/auth/login", bind(services, handle_login));
    r.add(verb::post, "/api/auth/refresh", bind(services, handle_refresh));
    r.add(verb::post, "/api/auth/logout", bind(services, handle_logout));
    r.add(verb::get, "/api/auth/me", bind(services, handle_get_me));
    r.add(verb::patch, "/api/auth/me", bind(services, handle_patch_me));
    r.add(verb::post, "/api/auth/verify-email", bind(services, handle_verify_email));
    r.add(verb::post, "/api/auth/password-reset", bind(services, handle_password_reset));
    r.add(verb::post, "/api/auth/password-reset/confirm",
          bind(services, handle_password_reset_confirm));
}

} // namespace kryptod::daemon::api
