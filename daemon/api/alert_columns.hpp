// The writable fields of an alert as import and export carry them (SPEC
// §11): one table, one row per field, that names the CSV columns, writes
// the export's CSV cells and JSON members, and turns an imported CSV row
// into the JSON object a create body would be.
//
// Invariants:
// - An exported item (JSON or CSV) holds exactly the fields a create body
//   takes, so import reads it with the create parser (alert_body.hpp) and
//   refuses what create refuses; read-only fields (id, status, counters,
//   times) are never exported.
// - A field the alert leaves unset is an empty CSV cell and an absent JSON
//   member, and an absent field is what create reads as its default, so
//   export → import reproduces every writable field.
// - A cell and a JSON member of one field come from the same text: the
//   CSV and JSON exports of one alert always agree.
//
// Thread-safety: stateless functions over constant data.
#pragma once

#include "core/alert.hpp"
#include "http/json_body.hpp"
#include "http/message.hpp"

#include <boost/json.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::daemon::api {

// How a cell's text becomes a JSON value.
enum class cell_type {
    text,    // a string
    integer, // a number (text that is not an integer stays a string, for the parser to name)
    list,    // an array of strings, the cell's comma-separated words ("email,webhook")
};

struct alert_column {
    std::string_view name; // of the CSV column and of the create body's field
    cell_type type;
    // The field's value of `a` as cell text; empty when the alert leaves
    // the field unset.
    std::string (*cell)(core::alert const& a, std::string_view symbol);
};

// The columns, in the order the CSV export writes them.
std::span<alert_column const> alert_columns();

// The CSV header row: every column's name.
std::vector<std::string> alert_header();

// One alert as CSV cells, in alert_columns() order.
std::vector<std::string> alert_cells(core::alert const& a, std::string_view symbol);

// One alert as the JSON object of a create body.
boost::json::object alert_item(core::alert const& a, std::string_view symbol);

// A CSV header row checked: the column of each cell, in order. Unknown
// and repeated names are appended to `errors` as "row 1: <name>".
std::vector<alert_column const*> header_columns(std::vector<std::string> const& header,
                                                std::vector<http::field_error>& errors);

// A CSV row under `columns` as the JSON object of a create body: an empty
// cell is an absent member. A cell that is not UTF-8 is appended to
// `errors` as `prefix` + column name.
boost::json::object row_object(std::vector<std::string> const& cells,
                               std::vector<alert_column const*> const& columns,
                               std::string_view prefix, std::vector<http::field_error>& errors);

} // namespace kryptod::daemon::api
