// The answers the API's handlers share: who is calling (or the 401), a
// storage failure as 503 or 500, a 422 naming one field, a JSON body read or
// refused, a write queued or refused, a created user.
//
// Invariant: each function that takes a responder either answers through it
// and returns "nothing", or returns what the handler goes on with and leaves
// answering to it, never both.
//
// Thread-safety: stateless functions; the context they take is thread-safe.
#pragma once

#include "daemon/api/api_context.hpp"
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "storage/user_store.hpp"

#include <boost/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace kryptod::daemon::api {

// The authenticated caller of `in`, or std::nullopt after answering 401.
std::optional<principal> caller(api_context const& context, http::incoming const& in,
                                http::responder const& respond);

// The answer to a storage failure: 503 for transient conditions (queue full,
// stopping, busy, disk), 500 otherwise; the cause goes to the log only.
http::response storage_failure(storage::error const& e, unsigned version);

// The answer when the writer refused a job (queue full or stopping): 503.
http::response writer_refused(storage::error const& e, unsigned version);

// A 422 naming one field.
http::response invalid_field(std::string field, std::string message, unsigned version);

// The completion of a write that created a user (registration or an admin's
// POST /api/users): the user enters the directory and the answer is 201 with
// it; a taken email is 409; any other failure is storage_failure().
std::function<void(storage::result<storage::user_store::user_record>)>
user_created(std::shared_ptr<api_context> context, http::responder respond, unsigned version);

// Parses and checks a JSON body against `schema` (http::parse_body). On
// failure answers the problem through `respond` and returns std::nullopt.
std::optional<boost::json::object> read_body(api_context const& context, http::incoming const& in,
                                             std::span<http::field_spec const> schema,
                                             http::responder const& respond);

// Queues a job on the writer; when the writer refuses it (queue full,
// stopping), answers 503 through `respond` and `done` is never called.
template <class T, class Work, class Done>
void submit_write(api_context& context, http::responder const& respond, unsigned version,
                  Work&& work, Done&& done) {
    auto accepted = context.writer().submit<T>(
        std::function<T(SQLite::Database&)>(std::forward<Work>(work)),
        std::function<void(storage::result<T>)>(std::forward<Done>(done)));
    if (!accepted) respond(writer_refused(accepted.err(), version));
}

} // namespace kryptod::daemon::api
