// The JSON of an alert as the API shows it (the `Alert` schema of
// openapi.json), of a page of alerts, and of an alert's event.
//
// Invariant: append_alert() is the one writer of an alert's JSON: a single
// answer (201, GET, PATCH) and every item of a list page are its text, so a
// listed alert reads byte for byte as its own answer. Members always come in
// the schema's order, absent values as null, and strings go through
// Boost.JSON's serialiser whenever they need escaping. The members of a
// kind come after `kind`: a price alert's `target_price` and `direction`
// (above, below), a move alert's `percent`, `window_seconds` and `direction`
// (up, down); neither kind shows the other's.
//
// Thread-safety: stateless functions.
#pragma once

#include "core/alert.hpp"
#include "http/message.hpp"
#include "storage/alert_store.hpp"
#include "storage/page.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace kryptod::daemon::api {

// Appends the alert `a` of the coin `symbol` to `out`.
void append_alert(std::string& out, core::alert const& a, std::string_view symbol);

// The alert alone.
std::string alert_text(core::alert const& a, std::string_view symbol);

// A page of alerts: {"items", "total", "limit", "offset"}.
std::string alert_page_text(storage::page<storage::alert_store::stored_alert> const& p,
                            storage::page_request const& req);

// An event of an alert's history; members a type does not have are absent.
boost::json::object event_json(storage::alert_store::event_record const& e);

} // namespace kryptod::daemon::api
