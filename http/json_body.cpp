// Strict, bounded parsing of JSON request bodies.
#include "http/json_body.hpp"

#include "core/utf8.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace kryptod::http {

namespace json = boost::json;

namespace {

// A Boost.JSON parse handler that builds the document as json::parser does,
// and also notes what that parser forgets: a key repeated in one object, the
// exact text of each number that is an object's member, and the strings
// holding text that is not UTF-8, each by its path ("items[3].name").
class strict_handler {
public:
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    json::value_stack st;
    std::optional<std::string> duplicate; // the path of the first repeated key
    json_notes notes;
    bool bad_key = false; // a key that is not UTF-8

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) {
        frames_.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t n, json::error_code&) {
        frames_.pop_back();
        st.push_object(n);
        value_done();
        return true;
    }
    bool on_array_begin(json::error_code&) {
        frames_.push_back({true, 0, {}, {}});
        return true;
    }
    bool on_array_end(std::size_t n, json::error_code&) {
        frames_.pop_back();
        st.push_array(n);
        value_done();
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        text_.append(s.data(), s.size());
        st.push_chars(s);
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
        text_.append(s.data(), s.size());
        st.push_key(s);
        if (!core::utf8_length(text_)) {
            bad_key = true;
            ec = json::error::syntax;
            return false;
        }
        auto& object = frames_.back();
        object.key = text_;
        if (!object.keys.insert(text_).second && !duplicate) duplicate = path();
        text_.clear();
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
        text_.append(s.data(), s.size());
        st.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code&) {
        text_.append(s.data(), s.size());
        st.push_string(s);
        if (!core::utf8_length(text_)) notes.not_utf8.insert(path());
        text_.clear();
        value_done();
        return true;
    }
    bool on_number_part(json::string_view s, json::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, json::string_view s, json::error_code&) {
        number_done(s);
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view s, json::error_code&) {
        number_done(s);
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, json::string_view s, json::error_code&) {
        number_done(s);
        st.push_double(d);
        return true;
    }
    bool on_bool(bool b, json::error_code&) {
        st.push_bool(b);
        value_done();
        return true;
    }
    bool on_null(json::error_code&) {
        st.push_null();
        value_done();
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }

private:
    // An open object or array: the member or element being read.
    struct frame {
        bool array = false;
        std::size_t index = 0;                // array: of the element being read
        std::string key;                      // object: of the member being read
        std::unordered_set<std::string> keys; // object: every key so far
    };

    // Where the value being read sits, as field_error names it.
    std::string path() const {
        std::string out;
        for (auto const& f : frames_) {
            if (f.array) {
                out += '[';
                out += std::to_string(f.index);
                out += ']';
            } else {
                if (!out.empty()) out += '.';
                out += f.key;
            }
        }
        return out;
    }

    void value_done() {
        if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    }

    void number_done(json::string_view last) {
        text_.append(last.data(), last.size());
        if (!frames_.empty() && !frames_.back().array) notes.numbers[path()] = text_;
        text_.clear();
        value_done();
    }

    std::vector<frame> frames_;
    std::string text_; // the key, string or number so far
};

// True when a string under `field` (the field itself, or an element or
// member inside it) is not UTF-8.
bool holds_bad_text(json_notes const& notes, std::string const& field) {
    if (notes.not_utf8.empty()) return false;
    for (auto it = notes.not_utf8.lower_bound(field);
         it != notes.not_utf8.end() && it->starts_with(field); ++it)
        if (it->size() == field.size() || (*it)[field.size()] == '.' || (*it)[field.size()] == '[')
            return true;
    return false;
}

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
    case field_kind::decimal:
        return v.is_string() || v.is_number();
    case field_kind::any:
        return true;
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
    case field_kind::decimal:
        return "must be a decimal number or a string holding one";
    case field_kind::any:
        break;
    }
    return "has the wrong type";
}

std::variant<json_document, body_error> parse_document(std::string_view body,
                                                       json_limits const& limits) {
    if (body.size() > limits.max_size)
        return body_error{status::payload_too_large,
                          "the request body is larger than " + std::to_string(limits.max_size) +
                              " bytes",
                          {}};
    json::parse_options options;
    options.max_depth = limits.max_depth;
    // Text is checked field by field (check_fields()), so that a bad name is
    // a 422 naming its field rather than a malformed body.
    options.allow_invalid_utf8 = true;
    json::basic_parser<strict_handler> parser(options);
    parser.handler().st.reset(); // as json::parser does before building a value
    json::error_code ec;
    auto const used = parser.write_some(false, body.data(), body.size(), ec);
    if (!ec && used < body.size()) ec = json::error::extra_data;
    auto& handler = parser.handler();
    if (ec) {
        if (body.empty())
            return body_error{status::bad_request, "the request needs a JSON object body", {}};
        if (handler.bad_key)
            return body_error{status::bad_request, "malformed JSON: a key is not UTF-8 text", {}};
        return body_error{status::bad_request, "malformed JSON: " + ec.message(), {}};
    }
    // Two parsers reading one body could each pick a different copy of a
    // repeated key; refusing the body leaves nothing to pick.
    if (handler.duplicate)
        return body_error{status::unprocessable_entity,
                          "the request body names a field twice",
                          {{*handler.duplicate, "appears more than once"}}};
    return json_document{handler.st.release(), std::move(handler.notes)};
}

std::vector<field_error> check_fields(json::object& object, std::span<field_spec const> schema,
                                      json_notes const& notes, std::string_view prefix) {
    std::vector<field_error> errors;
    std::string path(prefix);
    for (auto& member : object) {
        auto const key = std::string_view(member.key());
        path.resize(prefix.size());
        path += key;
        auto spec = std::find_if(schema.begin(), schema.end(),
                                 [&](field_spec const& f) { return f.name == key; });
        if (spec == schema.end()) {
            errors.push_back({path, "unknown field"});
        } else if (!matches(member.value(), spec->kind)) {
            errors.push_back({path, std::string(describe_kind(spec->kind))});
        } else if (holds_bad_text(notes, path)) {
            errors.push_back({path, "must be UTF-8 text"});
        } else if (spec->kind == field_kind::decimal && member.value().is_number()) {
            auto const text = notes.numbers.find(path);
            member.value() = json::string(
                text != notes.numbers.end() ? text->second : json::serialize(member.value()));
        }
    }
    for (auto const& spec : schema)
        if (spec.required && !object.contains(spec.name))
            errors.push_back({std::string(prefix) + std::string(spec.name), "is required"});
    return errors;
}

std::variant<json::object, body_error>
parse_body(std::string_view body, std::span<field_spec const> schema, json_limits const& limits) {
    auto parsed = parse_document(body, limits);
    if (auto* e = std::get_if<body_error>(&parsed)) return std::move(*e);
    auto& doc = std::get<json_document>(parsed);
    if (!doc.value.is_object())
        return body_error{status::bad_request, "the request body must be a JSON object", {}};
    auto& object = doc.value.get_object();
    auto errors = check_fields(object, schema, doc.notes, "");
    if (!errors.empty())
        return body_error{status::unprocessable_entity,
                          "the request body does not match its schema", std::move(errors)};
    return std::move(object);
}

} // namespace kryptod::http
