// Builders for JSON and problem-details responses.
#include "http/message.hpp"

namespace kryptod::http {

response json_response(status s, boost::json::value const& body, unsigned version) {
    response res{s, version};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

response json_text_response(status s, std::string json, unsigned version) {
    response res{s, version};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = std::move(json);
    res.prepare_payload();
    return res;
}

response problem(status s, std::string_view detail, std::vector<field_error> const& errors,
                 unsigned version) {
    boost::json::object body;
    body["type"] = "about:blank";
    body["title"] = std::string(bhttp::obsolete_reason(s));
    body["status"] = static_cast<unsigned>(s);
    body["detail"] = detail;
    if (!errors.empty()) {
        boost::json::array list;
        for (auto const& e : errors)
            list.push_back(boost::json::object{{"field", e.field}, {"message", e.message}});
        body["errors"] = std::move(list);
    }
    response res{s, version};
    res.set(bhttp::field::content_type, "application/problem+json");
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

response empty_response(status s, unsigned version) {
    response res{s, version};
    res.prepare_payload();
    return res;
}

} // namespace kryptod::http
