// GET /api/alerts/export and POST /api/alerts/import (SPEC §11): a user's
// alerts out and in, in bulk, as JSON ({"items": [...]}) or CSV.
//
// Formats: an item, and a CSV row, holds an alert's writable fields, the
// ones a create body takes (alert_columns.hpp); the export lists every
// alert of the caller that is not deleted, oldest first. Import reads each
// item with the create parser, so an item is refused exactly when the same
// body to POST /api/alerts would be, and is created as that POST creates it
// (armed, status active). CSV rows are numbered as a spreadsheet numbers
// them: the header is row 1, the first alert row 2; a quoted line break
// does not start a row, a blank row counts but is skipped.
//
// Invariants:
// - An import is all or nothing: every item is checked before anything is
//   written, every problem is answered (422, each naming its item and
//   field: `items[3].target_price`, `row 4: target_price`), and the alerts
//   are inserted in one savepoint of one writer job, so either all of them
//   commit or none does.
// - The per-user limit of active alerts applies to the result: it is
//   checked inside the writing job, against the count at that moment.
// - The alerts are in the in-memory index before the 201 leaves (the
//   completion arms them on the io_context thread, then answers).
// - At most max_import_alerts alerts per import; the body may be larger
//   than http.max_body on this route only (import_body_limit()).
//
// Thread-safety: handlers start on the io_context thread (which owns the
// engine); the export is read on the worker pool, the import written by the
// storage writer.
#pragma once

#include "daemon/api/alerts.hpp"

#include <cstddef>

namespace kryptod::daemon::api {

inline constexpr std::size_t max_import_alerts = 10'000;

// The body limit of POST /api/alerts/import: room for max_import_alerts
// alerts with long names (some 1.6 KiB each as JSON), or `max_body` when
// that is larger. Every other route keeps `max_body`, so a client cannot
// make the daemon buffer more than that anywhere else.
std::size_t import_body_limit(std::size_t max_body) noexcept;

// The path whose body limit import_body_limit() sets.
inline constexpr std::string_view import_path = "/api/alerts/import";

// Adds GET /api/alerts/export and POST /api/alerts/import. Must be added
// before /api/alerts/{id}, which would otherwise take "export" for an id.
void add_alert_transfer_routes(http::router& r, std::shared_ptr<api_context> const& context,
                               live_alerts& engine, alert_api_settings settings);

} // namespace kryptod::daemon::api
