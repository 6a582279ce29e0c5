// GET /api/stream: the live stream's route (SPEC §9). It checks the caller
// and the request, then takes the connection over as a Server-Sent Events
// stream held by the stream_hub.
//
// Answers: 401 without valid credentials; 422 for an unknown query
// parameter, a `symbols` entry that is not a listed coin, or a
// `Last-Event-ID` that is not a non-negative integer; 429 past
// stream.max_per_user streams of the caller; 503 past stream.max_clients
// or while stopping. Otherwise 200 `text/event-stream`, ending with the
// connection.
//
// Thread-safety: the handler runs on the io_context thread.
#pragma once

#include "daemon/api/api_context.hpp"
#include "daemon/live_alerts.hpp"
#include "daemon/stream/stream_hub.hpp"
#include "http/router.hpp"

#include <memory>

namespace kryptod::daemon::stream {

void add_stream_route(http::router& r, std::shared_ptr<api::api_context> context,
                      live_alerts& engine, std::shared_ptr<stream_hub> hub);

} // namespace kryptod::daemon::stream
