// Test support: a blocking HTTP/1.1 client for talking to an in-process
// kryptod listener, and JSON helpers for its answers.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace kryptod::test {

namespace bhttp = boost::beast::http;
using http_response = bhttp::response<bhttp::string_body>;

struct http_client {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket{ioc};
    boost::beast::flat_buffer buffer;

    explicit http_client(unsigned short port) {
        socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }

    // A client whose requests come from `from`, another loopback address
    // (127.0.0.2, ...), so that the server sees a second client address.
    http_client(unsigned short port, std::string const& from) {
        socket.open(boost::asio::ip::tcp::v4());
        socket.bind({boost::asio::ip::make_address(from), 0});
        socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }

    // Sends one request; `authorization` is the whole header value when not
    // empty ("Bearer ...").
    http_response call(bhttp::verb method, std::string target, std::string body = {},
                       std::string const& authorization = {}) {
        bhttp::request<bhttp::string_body> req{method, target, 11};
        req.set(bhttp::field::host, "127.0.0.1");
        if (!authorization.empty()) req.set(bhttp::field::authorization, authorization);
        if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
        req.body() = std::move(body);
        req.prepare_payload();
        bhttp::write(socket, req);
        http_response res;
        bhttp::read(socket, buffer, res);
        return res;
    }

    // Sends `req` with the headers it has (Accept, Content-Type, ...).
    http_response send(bhttp::request<bhttp::string_body> req) {
        req.set(bhttp::field::host, "127.0.0.1");
        req.prepare_payload();
        bhttp::write(socket, req);
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        bhttp::read(socket, buffer, parser);
        return parser.release();
    }

    http_response post(std::string target, boost::json::value const& body,
                       std::string const& authorization = {}) {
        return call(bhttp::verb::post, std::move(target), boost::json::serialize(body),
                    authorization);
    }
};

inline boost::json::object json_of(http_response const& res) {
    return boost::json::parse(res.body()).as_object();
}

inline std::string text_of(boost::json::value const& v) {
    return std::string(v.as_string());
}

inline std::string bearer(std::string const& token) {
    return "Bearer " + token;
}

// True when `res` is an RFC 9457 problem with this status.
inline bool is_problem(http_response const& res, unsigned status) {
    if (res.result_int() != status) return false;
    if (res[bhttp::field::content_type] != "application/problem+json") return false;
    auto body = boost::json::parse(res.body()).as_object();
    return body.at("status").to_number<unsigned>() == status && body.contains("title") &&
           body.contains("type") && body.contains("detail");
}

// The `field` of each `errors` entry of a problem.
inline std::vector<std::string> problem_fields(http_response const& res) {
    std::vector<std::string> fields;
    auto body = boost::json::parse(res.body()).as_object();
    if (auto const* errors = body.if_contains("errors"))
        for (auto const& e : errors->as_array())
            fields.push_back(text_of(e.as_object().at("field")));
    return fields;
}

} // namespace kryptod::test
