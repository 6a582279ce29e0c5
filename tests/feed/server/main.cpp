// binance_test_server (executable): the feed tests' Binance stand-in as a
// process, for whole-daemon tests. It listens on 127.0.0.1 (ephemeral port,
// or --port), prints `PORT <n>` on its first line of standard output, then
// takes one command per line on standard input:
//   trade SYMBOL PRICE [TIME_MS]   a trade (time defaults to now)
//   replay FILE RATE               the `@trade`/`@aggTrade` frames of FILE
//                                  (hftbacktest or cryptofeed lines, .gz read
//                                  through gzip -dc), re-sent as this server's
//                                  aggTrades at RATE frames per second
//   cut | stall | shutdown         the faults of binance_test_server
//   throttle N SECONDS [STATUS]    the next N REST requests answer STATUS
//                                  (429 by default, or 418) with
//                                  Retry-After: SECONDS, as given
//   rest down | rest up            REST requests are closed unanswered, or
//                                  answered again
//   requests                       prints `REQUESTS <n>`, then the target of
//                                  every REST request received so far, one
//                                  a line, oldest first
//   hostile KIND COUNT [SIZE]      sends COUNT hostile frames of about SIZE
//                                  bytes (default 1024) to every session:
//                                  KIND is json (broken JSON), huge (numbers
//                                  out of every range), missing (aggTrades
//                                  without price or time), binary, utf8
//                                  (invalid UTF-8 text), oversized (SIZE
//                                  bytes of a valid-looking frame) or mixed
//                                  (json, huge, missing and binary in turn);
//                                  prints `HOSTILE <count>` once queued
// Options: --ping-interval-ms N (default 20000), --pong-timeout-ms N
// (default 10000). Exits at end of input or on SIGTERM.
#include "../binance_test_server.hpp"
#include "core/symbol_table.hpp"
#include "daemon/feed/binance_decode.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

namespace net = boost::asio;
using kryptod::test::binance_test_server;

namespace {

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Reads the trades of a recorded file: symbol, price text, exchange time.
struct recorded_trade {
    std::string symbol, price;
    long long time;
};

std::vector<recorded_trade> load(std::string const& file) {
    std::vector<recorded_trade> out;
    bool const gz = file.size() > 3 && file.compare(file.size() - 3, 3, ".gz") == 0;
    std::string const cmd = gz ? "gzip -dc '" + file + "'" : "cat '" + file + "'";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (!pipe) return out;
    kryptod::core::symbol_table none;
    kryptod::daemon::feed::binance_decoder decoder;
    std::string line;
    std::vector<char> buf(1 << 16);
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe)) {
        line += buf.data();
        if (line.back() != '\n') continue;
        auto const brace = line.find('{');
        if (brace != std::string::npos) {
            auto const& d = decoder.decode(std::string_view(line).substr(brace), none);
            if (d.kind == kryptod::daemon::feed::frame_kind::trade)
                out.push_back({std::string(d.symbol_view()), d.price.to_string(), d.trade_time});
        }
        line.clear();
    }
    ::pclose(pipe);
    return out;
}

struct replay : std::enable_shared_from_this<replay> {
    binance_test_server& server;
    std::vector<recorded_trade> trades;
    std::size_t next = 0;
    std::chrono::nanoseconds period;
    net::steady_timer timer;
    replay(net::io_context& ioc, binance_test_server& s, std::vector<recorded_trade> t, double rate)
        : server(s)
        , trades(std::move(t))
        , period(static_cast<long long>(1e9 / rate))
        , timer(ioc) {}
    void tick() {
        if (next >= trades.size()) return;
        auto const& t = trades[next++];
        server.trade(t.symbol, t.price, t.time);
        timer.expires_after(period);
        timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->tick();
        });
    }
};

// One hostile frame of `kind` padded to about `size` bytes; `binary` tells
// how to send it. Empty for an unknown kind.
std::string hostile_frame(std::string const& kind, std::size_t i, std::size_t size, bool& binary) {
    binary = false;
    std::string const pad(size > 160 ? size - 160 : 0, 'x');
    std::string const tail = R"("}})";
    if (kind == "json")
        return R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","p":")" + pad +
               std::to_string(i);
    if (kind == "huge")
        return R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","a":1e999,)"
               R"("p":"99999999999999999999999999999.123456789","q":"1","T":)" +
               std::string(40, '9') + R"(,"m":true,"pad":")" + pad + tail;
    if (kind == "missing")
        return R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","a":)" +
               std::to_string(i) + R"(,"pad":")" + pad + tail;
    if (kind == "binary") {
        binary = true;
        std::string b(std::max<std::size_t>(size, 1), '\0');
        for (std::size_t k = 0; k < b.size(); ++k)
            b[k] = static_cast<char>((k * 131 + i) & 0xff);
        return b;
    }
    if (kind == "utf8") return "{\"e\":\"\xff\xfe\xc3\x28\",\"pad\":\"" + pad + "\"}";
    if (kind == "oversized")
        return R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","p":"1","x":")" +
               std::string(size, '7') + tail;
    if (kind == "mixed") {
        static char const* const kinds[] = {"json", "huge", "missing", "binary"};
        return hostile_frame(kinds[i % 4], i, size, binary);
    }
    return {};
}

void hostile(binance_test_server& server, std::string const& kind, std::size_t count,
             std::size_t size) {
    // Text frames go out in batches through send_bulk(): one buffer per
    // batch keeps a long stream cheap for this process.
    std::vector<std::string> batch;
    for (std::size_t i = 0; i < count; ++i) {
        bool binary = false;
        auto frame = hostile_frame(kind, i, size, binary);
        if (frame.empty()) {
            std::cerr << "binance_test_server: unknown hostile kind `" << kind << "`" << std::endl;
            return;
        }
        if (binary) {
            server.send_raw(frame, true);
            continue;
        }
        batch.push_back(std::move(frame));
        if (batch.size() == 256) {
            server.send_bulk(batch);
            batch.clear();
        }
    }
    if (!batch.empty()) server.send_bulk(batch);
    std::cout << "HOSTILE " << count << std::endl;
}

void command(net::io_context& ioc, binance_test_server& server, std::string const& line) {
    std::istringstream in(line);
    std::string verb;
    in >> verb;
    if (verb == "trade") {
        std::string symbol, price;
        long long time = now_ms();
        in >> symbol >> price >> time;
        if (!symbol.empty() && !price.empty())
            std::cout << "ID " << server.trade(symbol, price, time) << std::endl;
    } else if (verb == "replay") {
        std::string file;
        double rate = 0;
        in >> file >> rate;
        auto trades = load(file);
        std::cout << "REPLAY " << trades.size() << std::endl;
        if (rate > 0) std::make_shared<replay>(ioc, server, std::move(trades), rate)->tick();
    } else if (verb == "cut") {
        server.cut();
    } else if (verb == "stall") {
        server.stall();
    } else if (verb == "shutdown") {
        server.announce_shutdown();
    } else if (verb == "throttle") {
        unsigned n = 0, status = 429;
        std::string seconds;
        in >> n >> seconds;
        if (!(in >> status)) status = 429;
        server.throttle_rest(n, seconds, status);
    } else if (verb == "rest") {
        std::string state;
        in >> state;
        server.rest_down(state == "down");
    } else if (verb == "requests") {
        auto const& targets = server.rest_requests();
        std::cout << "REQUESTS " << targets.size() << "\n";
        for (auto const& t : targets)
            std::cout << t << "\n";
        std::cout.flush();
    } else if (verb == "hostile") {
        std::string kind;
        std::size_t count = 0, size = 1024;
        in >> kind >> count >> size;
        hostile(server, kind, count, size);
    } else if (!verb.empty()) {
        std::cerr << "binance_test_server: unknown command `" << verb << "`" << std::endl;
    }
}

} // namespace

int main(int argc, char** argv) {
    binance_test_server::options opts;
    for (int i = 1; i + 1 < argc; i += 2) {
        long const v = std::strtol(argv[i + 1], nullptr, 10);
        if (v <= 0) {
            std::cerr << "binance_test_server: " << argv[i] << " needs a positive number"
                      << std::endl;
            return 2;
        }
        if (std::strcmp(argv[i], "--ping-interval-ms") == 0)
            opts.ping_interval = std::chrono::milliseconds(v);
        else if (std::strcmp(argv[i], "--pong-timeout-ms") == 0)
            opts.pong_timeout = std::chrono::milliseconds(v);
        else {
            std::cerr << "binance_test_server: unknown option " << argv[i] << std::endl;
            return 2;
        }
    }
    if (argc % 2 == 0) {
        std::cerr << "usage: binance_test_server [--ping-interval-ms N] [--pong-timeout-ms N]"
                  << std::endl;
        return 2;
    }
    net::io_context ioc;
    binance_test_server server(ioc, opts);
    std::cout << "PORT " << server.port() << std::endl;
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { ioc.stop(); });
    auto guard = net::make_work_guard(ioc);
    std::thread input([&] {
        for (std::string line; std::getline(std::cin, line);)
            net::post(ioc, [&ioc, &server, line] { command(ioc, server, line); });
        net::post(ioc, [&] { ioc.stop(); });
    });
    input.detach(); // blocked in getline until input ends; the process exits with it
    ioc.run();
    return 0;
}
