// The answers the API's handlers share.
#include "daemon/api/responses.hpp"

#include "daemon/log.hpp"

namespace kryptod::daemon::api {

std::optional<principal> caller(api_context const& context, http::incoming const& in,
                                http::responder const& respond) {
    auto who = context.auth().authenticate(in.req);
    if (auto* res = std::get_if<http::response>(&who)) {
        respond(std::move(*res));
        return std::nullopt;
    }
    return std::get<principal>(std::move(who));
}

http::response storage_failure(storage::error const& e, unsigned version) {
    switch (e.code) {
    case storage::errc::queue_full:
    case storage::errc::stopped:
    case storage::errc::busy:
    case storage::errc::disk_full:
    case storage::errc::io_error: {
        log::warning("request failed on storage: ", storage::to_string(e.code), ": ", e.message);
        auto res = http::problem(http::status::service_unavailable,
                                 "the database is unavailable; try again shortly", {}, version);
        res.set(http::bhttp::field::retry_after, "1");
        return res;
    }
    default:
        log::error("request failed on storage: ", storage::to_string(e.code), ": ", e.message);
        return http::problem(http::status::internal_server_error, "internal error", {}, version);
    }
}

http::response writer_refused(storage::error const& e, unsigned version) {
    return storage_failure(e, version);
}

http::response invalid_field(std::string field, std::string message, unsigned version) {
    return http::problem(http::status::unprocessable_entity, "the request has an invalid field",
                         {{std::move(field), std::move(message)}}, version);
}

std::function<void(storage::result<storage::user_store::user_record>)>
user_created(std::shared_ptr<api_context> context, http::responder respond, unsigned version) {
    return [context = std::move(context), respond = std::move(respond),
            version](storage::result<storage::user_store::user_record> r) {
        if (!r) {
            if (r.err().code == storage::errc::constraint)
                return respond(http::problem(http::status::conflict,
                                             "an account with this email already exists", {},
                                             version));
            return respond(storage_failure(r.err(), version));
        }
        context->users().put(r.value());
        // A registration queues its verification email in the same commit.
        context->outbox_queued();
        respond(http::json_response(http::status::created, to_json(user_entry::from(r.value())),
                                    version));
    };
}

std::optional<boost::json::object> read_body(api_context const& context, http::incoming const& in,
                                             std::span<http::field_spec const> schema,
                                             http::responder const& respond) {
    auto parsed = http::parse_body(in.req.body(), schema, context.body_limits());
    if (auto* error = std::get_if<http::body_error>(&parsed)) {
        respond(error->to_response(in.req.version()));
        return std::nullopt;
    }
    return std::move(std::get<boost::json::object>(parsed));
}

} // namespace kryptod::daemon::api
