// api::telegram_link: POST and DELETE /api/auth/me/telegram; see
// telegram_link.hpp.
#include "daemon/api/telegram_link.hpp"

#include "daemon/api/responses.hpp"
#include "daemon/clock.hpp"
#include "http/password.hpp"
#include "storage/telegram_store.hpp"

namespace kryptod::daemon::api {

namespace {

using http::incoming;
using http::responder;
using http::status;
using bot_state = notify::telegram_poller::bot_state;

// Why no link can be handed out now, or empty when the bot runs.
std::string unavailable(notify::telegram_poller const& bot) {
    switch (bot.state()) {
    case bot_state::off:
        return "Telegram is not set up on this kryptod (telegram.bot_token_file)";
    case bot_state::refused:
        return "the Telegram Bot API refused this kryptod's bot token; the operator must fix "
               "telegram.bot_token_file";
    case bot_state::starting:
        return "the Telegram bot is still starting; try again in a moment";
    case bot_state::running:
        break;
    }
    return {};
}

void handle_link(std::shared_ptr<api_context> s, notify::telegram_poller const& bot, incoming in,
                 responder respond) {
    auto const v = in.req.version();
    auto const who = caller(*s, in, respond);
    if (!who) return;
    auto const name = bot.username();
    if (auto why = unavailable(bot); !why.empty() || !name) {
        auto res = http::problem(status::service_unavailable, why, {}, v);
        if (bot.state() == bot_state::starting) res.set(http::bhttp::field::retry_after, "5");
        return respond(std::move(res));
    }
    auto const user = who->user.id;
    auto const code = http::random_hex(16);
    auto const now = wall_clock_now();
    auto const expires_at =
        now + std::chrono::duration_cast<std::chrono::milliseconds>(telegram_code_ttl).count();
    submit_write<bool>(
        *s, respond, v,
        [user, digest = http::token_digest(code), now, expires_at](SQLite::Database& db) {
            storage::telegram_store::insert_code(db, user, digest, now, expires_at);
            return true;
        },
        [respond, v, code,
         link = "https://t.me/" + *name + "?start=" + code](storage::result<bool> r) {
            if (!r) return respond(storage_failure(r.err(), v));
            boost::json::object body;
            body["code"] = code;
            body["link"] = link;
            body["expires_in"] =
                std::chrono::duration_cast<std::chrono::seconds>(telegram_code_ttl).count();
            auto res = http::json_response(status::ok, body, v);
            res.set(http::bhttp::field::cache_control, "no-store");
            respond(std::move(res));
        });
}

void handle_unlink(std::shared_ptr<api_context> s, incoming in, responder respond) {
    auto const v = in.req.version();
    auto const who = caller(*s, in, respond);
    if (!who) return;
    auto const user = who->user.id;
    // The directory's entry follows (GET /me lists the channels set up).
    submit_write<std::optional<storage::user_store::user_record>>(
        *s, respond, v,
        [user](SQLite::Database& db) {
            storage::telegram_store::unlink_user(db, user);
            return storage::user_store::get(db, user);
        },
        [s, respond, v](storage::result<std::optional<storage::user_store::user_record>> r) {
            if (!r) return respond(storage_failure(r.err(), v));
            if (r.value()) s->users().put(*r.value());
            respond(http::empty_response(status::no_content, v));
        });
}

} // namespace

void add_telegram_routes(http::router& r, std::shared_ptr<api_context> const& services,
                         notify::telegram_poller const& bot) {
    using http::bhttp::verb;
    r.add(verb::post, "/api/auth/me/telegram", [services, &bot](incoming in, responder respond) {
        handle_link(services, bot, std::move(in), std::move(respond));
    });
    r.add(verb::delete_, "/api/auth/me/telegram", [services](incoming in, responder respond) {
        handle_unlink(services, std::move(in), std::move(respond));
    });
}

} // namespace kryptod::daemon::api
