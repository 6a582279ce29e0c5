// Strict JSON request bodies: one size- and depth-bounded object, checked
// against a schema of named, typed fields.
//
// Invariants: a body that is not JSON, or JSON but not an object, is 400;
// an object with a field the schema does not name, a field of the wrong
// type, with text that is not UTF-8, or without a required field is 422 with
// one `errors` entry per such field, naming it. An object (at any depth) that
// names one key twice is 422 naming the key by its path: no reader of the body can pick a
// different copy than another. A body that passes holds only schema fields,
// each of the schema's type, so a handler may use `as_string()` and friends
// unchecked; a `decimal` field is always a string by then, a number given
// for it handed over as its exact text (no binary floating point).
//
// Thread-safety: stateless functions.
#pragma once

#include "http/message.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kryptod::http {

enum class field_kind {
    string,         // a JSON string
    boolean,        // true or false
    integer,        // a JSON integer (no fraction, no exponent)
    string_or_null, // a JSON string, or null to clear the field
    decimal,        // a JSON number or a string; either way the handler gets the text
    any,            // any JSON value: the handler checks it and names what is wrong
};

struct field_spec {
    std::string_view name;
    field_kind kind;
    bool required = false;
};

struct json_limits {
    std::size_t max_size = 64 * 1024; // bytes of body
    std::size_t max_depth = 32;       // nesting of arrays and objects
};

// Why a body was refused: the problem to answer with.
struct body_error {
    status code = status::bad_request;
    std::string detail;
    std::vector<field_error> errors;

    response to_response(unsigned version = 11) const {
        return problem(code, detail, errors, version);
    }
};

// What a strict parse notes beside the document, each entry by the path of
// its value as field_error names it: "target_price", "items[3].name".
struct json_notes {
    // The exact text of each number that is an object's member.
    std::map<std::string, std::string> numbers;
    // Strings whose text is not UTF-8.
    std::set<std::string> not_utf8;
};

struct json_document {
    boost::json::value value;
    json_notes notes;
};

// Parses `body` as one JSON value within `limits`. Returns it with its
// notes, or a 400 (malformed JSON, too deep, a key that is not UTF-8), 413
// (over max_size) or 422 (a key repeated in one object, named by its path).
std::variant<json_document, body_error> parse_document(std::string_view body,
                                                       json_limits const& limits = {});

// Checks `object`, a value of a document parsed with `notes`, against
// `schema`, each error naming its field `prefix` + name ("items[3]." +
// "target_price"). A decimal given as a number becomes its exact text.
// Returns every violation; none when the object passes.
std::vector<field_error> check_fields(boost::json::object& object,
                                      std::span<field_spec const> schema, json_notes const& notes,
                                      std::string_view prefix = {});

// Parses `body` as one JSON object within `limits` and checks it against
// `schema`. Returns the object, or a 400 (malformed JSON, not an object, too
// deep, a key that is not UTF-8), 413 (over max_size) or 422 (a repeated
// key; schema violations, each field named).
std::variant<boost::json::object, body_error> parse_body(std::string_view body,
                                                         std::span<field_spec const> schema,
                                                         json_limits const& limits = {});

// The name of a JSON value's type as a message would say it ("a string").
std::string_view describe_kind(field_kind kind) noexcept;

} // namespace kryptod::http
