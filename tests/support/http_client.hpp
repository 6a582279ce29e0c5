// Test support: a blocking HTTP/1.1 client for talking to a running kryptod.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <string>

namespace kryptod::test {

namespace bhttp = boost::beast::http;

struct http_client {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket{ioc};
    boost::beast::flat_buffer buffer;

    explicit http_client(unsigned short port) {
        socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }

    bhttp::response<bhttp::string_body> call(bhttp::verb method, std::string target,
                                             std::string body = {},
                                             std::string const& bearer = {}) {
        bhttp::request<bhttp::string_body> req{method, target, 11};
        req.set(bhttp::field::host, "127.0.0.1");
        if (!bearer.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer);
        if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
        req.body() = std::move(body);
        req.prepare_payload();
        bhttp::write(socket, req);
        bhttp::response<bhttp::string_body> res;
        bhttp::read(socket, buffer, res);
        return res;
    }
};

} // namespace kryptod::test
