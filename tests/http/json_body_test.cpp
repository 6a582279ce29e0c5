// Tests for http/json_body.hpp: 400 for malformed bodies, 413 over the size
// bound, 422 naming each unknown, mistyped or missing field.
#include "http/json_body.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

using namespace kryptod::http;

namespace {

constexpr field_spec schema[] = {
    {"email", field_kind::string, true},
    {"admin", field_kind::boolean},
    {"age", field_kind::integer},
    {"webhook_url", field_kind::string_or_null},
};

body_error refused(std::string_view body, json_limits limits = {}) {
    auto r = parse_body(body, schema, limits);
    BOOST_TEST_REQUIRE(std::holds_alternative<body_error>(r));
    return std::get<body_error>(r);
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_body)

BOOST_AUTO_TEST_CASE(valid_body_passes) {
    auto r = parse_body(R"({"email":"a@b.c","admin":true,"age":3,"webhook_url":null})", schema);
    BOOST_TEST_REQUIRE(std::holds_alternative<boost::json::object>(r));
    auto const& o = std::get<boost::json::object>(r);
    BOOST_TEST(o.at("email").as_string() == "a@b.c");
    BOOST_TEST(o.at("webhook_url").is_null());
}

BOOST_AUTO_TEST_CASE(malformed_json_is_400) {
    for (auto body : {"", "{", "{\"email\":}", "nul", "{\"email\":\"x\"} trailing"}) {
        BOOST_TEST_INFO("body " << body);
        BOOST_TEST((refused(body).code == status::bad_request));
    }
}

BOOST_AUTO_TEST_CASE(non_object_is_400) {
    BOOST_TEST((refused("[1,2]").code == status::bad_request));
    BOOST_TEST((refused("\"text\"").code == status::bad_request));
}

BOOST_AUTO_TEST_CASE(too_deep_is_400_and_too_big_is_413) {
    std::string deep = "{\"email\":" + std::string(100, '[') + std::string(100, ']') + "}";
    BOOST_TEST((refused(deep).code == status::bad_request));
    json_limits small;
    small.max_size = 16;
    BOOST_TEST(
        (refused(R"({"email":"someone@example.com"})", small).code == status::payload_too_large));
}

BOOST_AUTO_TEST_CASE(each_bad_field_is_named) {
    auto e = refused(R"({"email":5,"admin":"yes","age":1.5,"extra":1,"webhook_url":3})");
    BOOST_TEST((e.code == status::unprocessable_entity));
    std::set<std::string> fields;
    for (auto const& f : e.errors)
        fields.insert(f.field);
    BOOST_TEST(fields == (std::set<std::string>{"email", "admin", "age", "extra", "webhook_url"}));
    auto r = e.to_response();
    BOOST_TEST(r[bhttp::field::content_type] == "application/problem+json");
    BOOST_TEST(r.body().find("\"extra\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_required_field_is_named) {
    auto e = refused(R"({"admin":false})");
    BOOST_TEST((e.code == status::unprocessable_entity));
    BOOST_TEST_REQUIRE(e.errors.size() == 1u);
    BOOST_TEST(e.errors[0].field == "email");
    BOOST_TEST(e.errors[0].message == "is required");
}

// A batch body's items are checked one by one, with what the parser noted
// of each kept by its path: numbers' exact text, text that is not UTF-8, and
// a key repeated inside an item named down to the item.
BOOST_AUTO_TEST_CASE(items_of_a_document_are_checked_by_path) {
    auto parsed = parse_document(
        "{\"items\":[{\"email\":\"a@b.c\",\"age\":3},{\"email\":\"\xff\",\"age\":1.50}]}");
    BOOST_TEST_REQUIRE(std::holds_alternative<json_document>(parsed));
    auto& doc = std::get<json_document>(parsed);
    BOOST_TEST(doc.notes.numbers.at("items[1].age") == "1.50");
    auto& items = doc.value.as_object().at("items").as_array();
    constexpr field_spec with_decimal[] = {{"email", field_kind::string, true},
                                           {"age", field_kind::decimal}};
    BOOST_TEST(check_fields(items[0].as_object(), with_decimal, doc.notes, "items[0].").empty());
    auto errors = check_fields(items[1].as_object(), with_decimal, doc.notes, "items[1].");
    BOOST_TEST_REQUIRE(errors.size() == 1u);
    BOOST_TEST(errors[0].field == "items[1].email");
    BOOST_TEST(errors[0].message == "must be UTF-8 text");
    // The decimal became its exact text, not 1.5.
    BOOST_TEST(items[1].as_object().at("age").as_string() == "1.50");

    auto repeated = parse_document(R"({"items":[{"email":"x"},{"email":"x","email":"y"}]})");
    BOOST_TEST_REQUIRE(std::holds_alternative<body_error>(repeated));
    auto const& e = std::get<body_error>(repeated);
    BOOST_TEST(e.errors.at(0).field == "items[1].email");
    BOOST_TEST(e.errors.at(0).message == "appears more than once");
}

BOOST_AUTO_TEST_SUITE_END()
