// Strict, bounded parsing of JSON request bodies.
#include "http/json_body.hpp"

#include <algorithm>

namespace kryptod::http {

namespace json = boost::json;

namespace {

bool matches(json::value const& v, field_kind kind) noexcept {
    switch (kind) {
    case field_kind::string:
        return v.is_string();
    case field_kind::boolean:
        return v.is_bool();
    case field_kind::integer:
        return v.is_int64() || v.is_uint64();
    case field_kind::string_or_null:
        return v.is_string() || v.is_null();
    }
    return false;
}

} // namespace

std::string_view describe_kind(field_kind kind) noexcept {
    switch (kind) {
    case field_kind::string:
        return "must be a string";
    case field_kind::boolean:
        return "must be true or false";
    case field_kind::integer:
        return "must be an integer";
    case field_kind::string_or_null:
        return "must be a string or null";
    }
    return "has the wrong type";
}

std::variant<json::object, body_error>
parse_body(std::string_view body, std::span<field_spec const> schema, json_limits const& limits) {
    if (body.size() > limits.max_size)
        return body_error{status::payload_too_large,
                          "the request body is larger than " + std::to_string(limits.max_size) +
                              " bytes",
                          {}};
    json::parse_options options;
    options.max_depth = limits.max_depth;
    boost::system::error_code ec;
    auto value = json::parse(body, ec, {}, options);
    if (ec) {
        if (body.empty())
            return body_error{status::bad_request, "the request needs a JSON object body", {}};
        return body_error{status::bad_request, "malformed JSON: " + ec.message(), {}};
    }
    if (!value.is_object())
        return body_error{status::bad_request, "the request body must be a JSON object", {}};
    auto& object = value.get_object();

    std::vector<field_error> errors;
    for (auto const& member : object) {
        auto const key = std::string_view(member.key());
        auto spec = std::find_if(schema.begin(), schema.end(),
                                 [&](field_spec const& f) { return f.name == key; });
        if (spec == schema.end())
            errors.push_back({std::string(key), "unknown field"});
        else if (!matches(member.value(), spec->kind))
            errors.push_back({std::string(key), std::string(describe_kind(spec->kind))});
    }
    for (auto const& spec : schema)
        if (spec.required && !object.contains(spec.name))
            errors.push_back({std::string(spec.name), "is required"});
    if (!errors.empty())
        return body_error{status::unprocessable_entity,
                          "the request body does not match its schema", std::move(errors)};
    return std::move(object);
}

} // namespace kryptod::http
