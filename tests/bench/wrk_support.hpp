// What the HTTP benchmarks share: the machine's description, a blocking
// request for set-up, and running wrk and reading its report.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <string>

namespace kryptod::bench {

inline std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

// Runs `command` through the shell and returns what it printed.
inline std::string run_command(std::string const& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
    if (!pipe) return {};
    std::string out;
    std::array<char, 4096> buf{};
    while (auto n = std::fread(buf.data(), 1, buf.size(), pipe.get()))
        out.append(buf.data(), n);
    return out;
}

// One request on a fresh connection to 127.0.0.1:`port`, for set-up and
// checks outside the timed runs. `token`, when given, goes in as a bearer.
inline boost::beast::http::response<boost::beast::http::string_body>
call(unsigned short port, boost::beast::http::verb method, std::string target,
     std::string body = {}, std::string const& token = {}) {
    namespace asio = boost::asio;
    namespace bhttp = boost::beast::http;
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(socket, req);
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    return res;
}

// wrk's report, and the server's CPU time per request over the run.
struct wrk_figures {
    double rps = 0;
    double p99_ms = 1e9;
    double seconds = 0;
    long long requests = 0;
    long long non_2xx = 0;
    long long socket_errors = 0;
    double server_cpu_us = 0; // per request
    std::string output;
};

// wrk's latency ("812.00us", "1.23ms", "2.00s") in milliseconds.
inline double to_ms(double value, std::string const& unit) {
    if (unit == "us") return value / 1000;
    if (unit == "s") return value * 1000;
    return value;
}

// Runs wrk (one thread, `connections`, `seconds`, --latency, `script`)
// against http://127.0.0.1:`port``path`. `server_cpu_us` reads the server's
// CPU time so far in microseconds; it is read around the run.
inline wrk_figures run_wrk(std::string const& script, int connections, unsigned short port,
                           std::string const& path, int seconds,
                           std::function<double()> const& server_cpu_us) {
    auto command = "wrk -t1 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) +
                   "s --latency -s " + script + " 'http://127.0.0.1:" + std::to_string(port) +
                   path + "' 2>&1";
    wrk_figures f;
    auto const cpu0 = server_cpu_us();
    f.output = run_command(command);
    auto const cpu = server_cpu_us() - cpu0;
    std::smatch m;
    if (std::regex_search(f.output, m, std::regex(R"(Requests/sec:\s+([0-9.]+))")))
        f.rps = std::stod(m[1]);
    if (std::regex_search(f.output, m, std::regex(R"(\n\s+99%\s+([0-9.]+)(us|ms|s))")))
        f.p99_ms = to_ms(std::stod(m[1]), m[2]);
    if (std::regex_search(f.output, m, std::regex(R"((\d+) requests in ([0-9.]+)(ms|s|m))"))) {
        f.requests = std::stoll(m[1]);
        f.seconds = std::stod(m[2]) * (m[3] == "ms" ? 0.001 : m[3] == "m" ? 60 : 1);
    }
    if (std::regex_search(f.output, m, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))")))
        f.non_2xx = std::stoll(m[1]);
    if (std::regex_search(
            f.output, m,
            std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))")))
        for (int i = 1; i <= 4; ++i)
            f.socket_errors += std::stoll(m[i]);
    if (f.requests > 0) f.server_cpu_us = cpu / static_cast<double>(f.requests);
    return f;
}

} // namespace kryptod::bench
