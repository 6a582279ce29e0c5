// Tests of daemon/feed/binance_decode: every frame of the recorded Binance
// captures (when KRYPTOD_FIXTURES names them) decodes to the counts listed in
// their SOURCES.md, and generated frames, valid and hostile, decode to
// exactly what a user of the feed would expect.
#include "daemon/feed/binance_decode.hpp"
#include "printing.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace feed = kryptod::daemon::feed;
namespace core = kryptod::core;
using feed::frame_kind;

namespace {

std::filesystem::path fixtures_dir() {
    char const* env = std::getenv("KRYPTOD_FIXTURES");
    if (env == nullptr || *env == '\0') return {};
    std::filesystem::path dir = std::filesystem::path(env) / "binance";
    std::error_code ec;
    return std::filesystem::is_directory(dir, ec) ? dir : std::filesystem::path{};
}

// Every line of a file, gunzipped through `gzip -dc` when its name ends in .gz.
std::vector<std::string> read_lines(std::filesystem::path const& file) {
    std::vector<std::string> lines;
    if (file.extension() == ".gz") {
        std::string const cmd = "gzip -dc '" + file.string() + "'";
        FILE* pipe = ::popen(cmd.c_str(), "r");
        BOOST_REQUIRE(pipe != nullptr);
        std::string line;
        char buf[65536];
        while (std::fgets(buf, sizeof buf, pipe) != nullptr) {
            line += buf;
            if (!line.empty() && line.back() == '\n') {
                line.pop_back();
                lines.push_back(std::move(line));
                line.clear();
            }
        }
        if (!line.empty()) lines.push_back(std::move(line));
        BOOST_REQUIRE_EQUAL(::pclose(pipe), 0);
    } else {
        std::ifstream in(file);
        BOOST_REQUIRE(in);
        for (std::string line; std::getline(in, line);)
            lines.push_back(std::move(line));
    }
    return lines;
}

struct decode_fixture {
    core::symbol_table symbols;
    feed::binance_decoder decoder;
    decode_fixture() {
        for (auto s : {"BTCUSDT", "ETHUSDT", "DOTUSDT"})
            symbols.intern(s);
    }
    feed::decoded_frame const& decode(std::string_view text) {
        return decoder.decode(text, symbols);
    }
};

struct counts {
    std::map<std::string, int> trades_by_symbol;
    int trades = 0, agg_trades = 0, ignored = 0, malformed = 0, other = 0;
};

void tally(feed::decoded_frame const& d, counts& c) {
    switch (d.kind) {
    case frame_kind::trade:
        (d.aggregate ? c.agg_trades : c.trades)++;
        c.trades_by_symbol[std::string(d.symbol_view())]++;
        break;
    case frame_kind::ignored:
        c.ignored++;
        break;
    case frame_kind::malformed:
        c.malformed++;
        break;
    default:
        c.other++;
        break;
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(binance_decode)

BOOST_FIXTURE_TEST_CASE(hftbacktest_captures_decode_every_trade, decode_fixture) {
    auto const dir = fixtures_dir();
    if (dir.empty()) {
        BOOST_TEST_MESSAGE("KRYPTOD_FIXTURES not present: recorded captures skipped");
        return;
    }
    struct expectation {
        char const* file;
        int trades, lines;
        char const* symbol;
    };
    for (auto const& e : {expectation{"spot_btcusdt_20240808.gz", 9757, 41249, "BTCUSDT"},
                          expectation{"spot_btcusdt_20240809.gz", 10147, 58325, "BTCUSDT"},
                          expectation{"spot_ethusdt_20240808.gz", 6106, 33618, "ETHUSDT"},
                          expectation{"spot_ethusdt_20240809.gz", 8409, 46126, "ETHUSDT"}}) {
        BOOST_TEST_CONTEXT(e.file) {
            auto const lines = read_lines(dir / "hftbacktest" / e.file);
            BOOST_TEST(static_cast<int>(lines.size()) == e.lines);
            counts c;
            std::int64_t last_id = -1;
            core::millis negative_lag = 0;
            for (auto const& line : lines) {
                auto const space = line.find(' ');
                BOOST_REQUIRE(space != std::string::npos);
                auto const& d = decode(std::string_view(line).substr(space + 1));
                tally(d, c);
                if (d.kind != frame_kind::trade) continue;
                BOOST_TEST(d.symbol.has_value());
                BOOST_TEST(d.trade_id > last_id); // trade ids only grow in a capture
                last_id = d.trade_id;
                BOOST_TEST(d.price.units() > 0);
                core::millis const received = std::stoll(line.substr(0, space)) / 1000000;
                negative_lag = std::min(negative_lag, received - d.event_time);
            }
            BOOST_TEST(c.trades == e.trades);
            BOOST_TEST(c.agg_trades == 0);
            BOOST_TEST(c.malformed == 0);
            BOOST_TEST(c.other == 0);
            BOOST_TEST(c.ignored == e.lines - e.trades); // bookTicker, depth, REST snapshot
            BOOST_TEST(c.trades_by_symbol[e.symbol] == e.trades);
            // SOURCES.md: the recorder's clock ran behind Binance's.
            BOOST_TEST(negative_lag < 0);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(cryptofeed_captures_decode_every_agg_trade, decode_fixture) {
    auto const dir = fixtures_dir();
    if (dir.empty()) return;
    struct expectation {
        char const* file;
        int agg_trades;
        std::map<std::string, int> by_symbol;
    };
    std::vector<expectation> const expected{
        {"BINANCE-ee25be.0", 1910, {{"BTCUSDT", 1227}, {"ETHUSDT", 506}, {"DOTUSDT", 177}}},
        {"BINANCE-b38f7c.0", 1240, {}},
        {"BINANCE.ws.1.0", 2, {}},
    };
    for (auto const& e : expected) {
        BOOST_TEST_CONTEXT(e.file) {
            counts c;
            int frames = 0, unknown_coin = 0;
            for (auto const& line : read_lines(dir / "cryptofeed" / e.file)) {
                // Received frames are `<unix float>: <frame>`; connection
                // lines, sent frames and HTTP responses start with a URL.
                if (line.empty() || line[0] < '0' || line[0] > '9') continue;
                auto const colon = line.find(": ");
                BOOST_REQUIRE(colon != std::string::npos);
                auto const& d = decode(std::string_view(line).substr(colon + 2));
                ++frames;
                tally(d, c);
                if (d.kind == frame_kind::trade && !d.symbol) ++unknown_coin;
            }
            BOOST_TEST(c.agg_trades == e.agg_trades);
            BOOST_TEST(c.trades == 0);
            BOOST_TEST(c.malformed == 0);
            BOOST_TEST(c.ignored == frames - e.agg_trades);
            for (auto const& [symbol, n] : e.by_symbol)
                BOOST_TEST(c.trades_by_symbol[symbol] == n);
            if (e.by_symbol.empty()) BOOST_TEST(unknown_coin == e.agg_trades);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(small_verbatim_samples, decode_fixture) {
    auto const dir = fixtures_dir();
    if (dir.empty()) return;
    auto const lines = read_lines(dir / "crypto-msg-parser" / "binance_spot_test_messages.jsonl");
    BOOST_REQUIRE_EQUAL(lines.size(), 8u);
    auto const& first = decode(lines[0]);
    BOOST_TEST(first.kind == frame_kind::trade);
    BOOST_TEST(first.aggregate);
    BOOST_TEST(first.trade_id == 640283266);
    BOOST_TEST(first.price == core::price::parse("58942.01").value);
    BOOST_TEST(first.trade_time == 1616176861893);
    BOOST_TEST(*first.symbol == *symbols.find("BTCUSDT"));
    for (std::size_t i = 1; i < lines.size(); ++i)
        BOOST_TEST(decode(lines[i]).kind == frame_kind::ignored);

    auto slurp = [&](char const* name) {
        std::ifstream in(dir / "nautilus_trader" / name);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    auto const& agg = decode(slurp("ws_spot_agg_trade.json")); // pretty-printed
    BOOST_TEST(agg.kind == frame_kind::trade);
    BOOST_TEST(agg.trade_id == 226532);
    BOOST_TEST(agg.price == core::price::parse("1632.46").value);
    auto const& trade = decode(slurp("ws_spot_trade.json")); // old b/a fields ignored
    BOOST_TEST(trade.kind == frame_kind::trade);
    BOOST_TEST(!trade.aggregate);
    BOOST_TEST(*trade.symbol == *symbols.find("ETHUSDT"));
}

BOOST_FIXTURE_TEST_CASE(generated_agg_trade_raw_and_combined, decode_fixture) {
    std::string const payload = R"({"e":"aggTrade","E":1700000000123,"s":"BTCUSDT","a":4242,)"
                                R"("p":"65000.50000000","q":"0.1","f":1,"l":2,"T":1700000000120,)"
                                R"("m":true,"M":true})";
    for (std::string const& frame :
         {payload, R"({"stream":"btcusdt@aggTrade","data":)" + payload + "}"}) {
        auto const& d = decode(frame);
        BOOST_TEST(d.kind == frame_kind::trade);
        BOOST_TEST(d.aggregate);
        BOOST_TEST(d.trade_id == 4242);
        BOOST_TEST(d.price.units() == 6500050000000);
        BOOST_TEST(d.trade_time == 1700000000120);
        BOOST_TEST(d.event_time == 1700000000123);
        BOOST_TEST(*d.symbol == *symbols.find("BTCUSDT"));
    }
    // Field order and letter case of the symbol do not matter.
    auto const& r =
        decode(R"({"data":{"T":5,"p":"1","a":7,"s":"ethusdt","e":"aggTrade"},"stream":"x"})");
    BOOST_TEST(r.kind == frame_kind::trade);
    BOOST_TEST(*r.symbol == *symbols.find("ETHUSDT"));
    BOOST_TEST(r.symbol_view() == "ETHUSDT");
    // An unknown coin still decodes; the feed decides what to do with it.
    auto const& u = decode(R"({"e":"aggTrade","s":"XRPUSDT","a":1,"p":"0.5","T":1})");
    BOOST_TEST(u.kind == frame_kind::trade);
    BOOST_TEST(!u.symbol.has_value());
    BOOST_TEST(u.symbol_view() == "XRPUSDT");
}

BOOST_FIXTURE_TEST_CASE(generated_trade_prices_are_exact, decode_fixture) {
    // Every 1e-8 step at several magnitudes round-trips without floating point.
    for (std::int64_t units : {1LL, 12345678LL, 6183763000000LL, 9223372036854775807LL}) {
        auto const text = core::price::from_units(units).to_string();
        auto const frame =
            R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":9,"p":")" +
            text + R"(","q":"1","T":2,"m":false,"M":true}})";
        auto const& d = decode(frame);
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(d.kind == frame_kind::trade);
            BOOST_TEST(d.price.units() == units);
            BOOST_TEST(!d.aggregate);
            BOOST_TEST(d.trade_id == 9);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(control_replies, decode_fixture) {
    auto const& ok = decode(R"({"result":null,"id":17})");
    BOOST_TEST(ok.kind == frame_kind::subscription_result);
    BOOST_TEST(ok.request_id == 17);
    auto const& list = decode(R"({"result":["btcusdt@aggTrade"],"id":3})");
    BOOST_TEST(list.kind == frame_kind::subscription_result);
    BOOST_TEST(list.request_id == 3);

    auto const& err =
        decode(R"({"error":{"code":2,"msg":"Invalid request: unknown stream"},"id":5})");
    BOOST_TEST(err.kind == frame_kind::error);
    BOOST_TEST(err.request_id == 5);
    BOOST_TEST(err.error_code == 2);
    BOOST_TEST(err.error_message == "Invalid request: unknown stream");
    auto const& flat = decode(R"({"code":3,"msg":"Invalid JSON","id":null})");
    BOOST_TEST(flat.kind == frame_kind::error);
    BOOST_TEST(flat.request_id == -1);
    BOOST_TEST(flat.error_code == 3);

    BOOST_TEST(decode(R"({"e":"serverShutdown","E":1})").kind == frame_kind::server_shutdown);
    BOOST_TEST(decode(R"({"event":{"e":"serverShutdown","E":1}})").kind ==
               frame_kind::server_shutdown);
    BOOST_TEST(decode(R"({"stream":"x","data":{"e":"serverShutdown"}})").kind ==
               frame_kind::server_shutdown);
    BOOST_TEST(decode(R"({"data":{"s":"BTCUSDT","a":1,"p":"1","T":1}})").kind ==
               frame_kind::ignored);
    BOOST_TEST(
        decode(
            R"({"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"2","A":"1"}})")
            .kind == frame_kind::ignored);
}

BOOST_FIXTURE_TEST_CASE(hostile_frames_are_malformed_not_fatal, decode_fixture) {
    std::vector<std::string> const hostile{
        "",
        "   ",
        "not json at all",
        "[1,2,3]",
        "42",
        R"("aggTrade")",
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"1","T":1)", // cut short
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"1"})",      // no T
        R"({"e":"aggTrade","s":"BTCUSDT","p":"1","T":1})",      // no a
        R"({"e":"aggTrade","a":1,"p":"1","T":1})",              // no s
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"T":1})",        // no p
        R"({"e":"aggTrade","s":"BTCUSDT","a":99999999999999999999999,"p":"1","T":1})",
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"1e400","T":1})",
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"123456789012345678901234567890","T":1})",
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"0.000000001","T":1})",
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"-5","T":1})",
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"0","T":1})",
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":65000.5,"T":1})", // number, not string
        R"({"e":"aggTrade","s":"BTCUSDT","a":-1,"p":"1","T":1})",
        R"({"e":"aggTrade","s":"BTCUSDT","a":"1","p":"1","T":1})",
        R"({"e":"aggTrade","s":"BTC-USDT","a":1,"p":"1","T":1})",
        R"({"e":"aggTrade","s":"ABCDEFGHIJKLMNOPQRSTUVWXYZ","a":1,"p":"1","T":1})",
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"1","T":-4})",
        R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"1","T":1.5})",
        R"({"stream":"x","data":"text"})",
        R"({"stream":"x","data":{"e":"aggTrade"}})",
        "{\"e\":\"aggTrade\",\"s\":\"BTC\xff\xfeUSDT\",\"a\":1,\"p\":\"1\",\"T\":1}", // invalid
                                                                                      // UTF-8
        std::string("{\"e\":\"aggTrade\",\0\"s\":1}", 22),
        std::string(1 << 16, '['),
    };
    for (auto const& frame : hostile) {
        BOOST_TEST_CONTEXT(frame.substr(0, 80)) {
            auto const& d = decode(frame);
            BOOST_TEST(d.kind == frame_kind::malformed);
            BOOST_TEST(!d.reason.empty());
        }
    }
    // The decoder keeps working after all of that.
    BOOST_TEST(decode(R"({"e":"aggTrade","s":"BTCUSDT","a":1,"p":"1","T":1})").kind ==
               frame_kind::trade);
}

// Everything a user of the decoder can see of one result.
std::string describe(feed::decoded_frame const& d) {
    std::string out(feed::to_string(d.kind));
    out += " reason=" + std::string(d.reason);
    if (d.kind == frame_kind::trade)
        out += " symbol=" + (d.symbol ? std::to_string(*d.symbol) : std::string("none")) +
               " text=" + std::string(d.symbol_view()) + " agg=" + std::to_string(d.aggregate) +
               " id=" + std::to_string(d.trade_id) + " price=" + std::to_string(d.price.units()) +
               " T=" + std::to_string(d.trade_time) + " E=" + std::to_string(d.event_time);
    out += " request=" + std::to_string(d.request_id) + " code=" + std::to_string(d.error_code) +
           " msg=" + d.error_message;
    return out;
}

// Trades in Binance's own shape are read without simdjson (see
// read_plain_trade()); every frame must still decode exactly as simdjson
// decodes it. A leading space keeps a frame off that path without changing
// its meaning, so it gives simdjson's answer to compare with, here for
// plain frames, near misses and every one-byte mutation of two real ones.
BOOST_FIXTURE_TEST_CASE(plain_trades_decode_as_simdjson_decodes_them, decode_fixture) {
    feed::binance_decoder reference;
    auto const check = [&](std::string const& frame) {
        std::string const fast = describe(decode(frame));
        std::string const slow = describe(reference.decode(" " + frame, symbols));
        if (fast != slow) BOOST_TEST(fast == slow, "frame: " << frame);
        return fast;
    };
    std::string const trade =
        R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}})";
    std::string const agg =
        R"({"stream":"ethusdt@aggTrade","data":{"e":"aggTrade","E":1700000000123,"s":"ethusdt","a":4242,"p":"3000.5","q":"0.1","f":1,"l":2,"T":1700000000120,"m":false,"M":true}})";
    BOOST_TEST(check(trade).rfind("trade reason= symbol=0 text=BTCUSDT agg=0 id=3735683259 "
                                  "price=6183763000000 T=1723161255342 E=1723161255343",
                                  0) == 0u);
    BOOST_TEST(check(agg).rfind("trade reason= symbol=1 text=ETHUSDT agg=1 id=4242", 0) == 0u);

    auto const with = [](std::string frame, std::string const& from, std::string const& to) {
        auto const at = frame.find(from);
        BOOST_REQUIRE(at != std::string::npos);
        return frame.replace(at, from.size(), to);
    };
    for (std::string const price :
         {"1", "0", "0.00000000", "0.00000001", "00061837.6", "9999999999.99999999", "12345678901",
          "1.", ".5", "1.123456789", "1e3", "-1", "+1", "", "6 1", "61837.63\\u0030", "\xc3\xa9"})
        check(with(trade, R"("p":"61837.63000000")", R"("p":")" + price + '"'));
    for (std::string const id :
         {"0", "00", "01", "-1", "1.5", "1e3", "123456789012345678", "1234567890123456789",
          "12345678901234567890", "99999999999999999999999", "true", "null", R"("1")", "[]", "{}"})
        check(with(trade, R"("t":3735683259)", R"("t":)" + id));
    for (auto const& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {R"("e":"trade")", R"("e":"aggTrade")"},
             {R"("e":"trade")", R"("e":"depthUpdate")"},
             {R"("e":"trade")", R"("e":"serverShutdown")"},
             {R"("e":"trade")", R"("e":true)"},
             {R"("e":"trade")", R"("e":"tr\u0061de")"},
             {R"("e":"trade",)", ""},
             {R"("s":"BTCUSDT")", R"("s":"XRPUSDT")"},
             {R"("s":"BTCUSDT")", R"("s":"BTC-USDT")"},
             {R"("s":"BTCUSDT")", R"("s":"")"},
             {R"("s":"BTCUSDT")", R"("s":"ABCDEFGHIJKLMNOPQRSTUVWXYZ")"},
             {R"("s":"BTCUSDT")", R"("s":7)"},
             {R"("E":1723161255343)", R"("E":"1")"},
             {R"("E":1723161255343,)", ""},
             {R"("T":1723161255342)", R"("T":false)"},
             {R"("q":"0.02000000")", R"("q":0.02)"},
             {R"("q":"0.02000000")", R"("q":null)"},
             {R"("q":"0.02000000")", R"("q":"0.02","p":"1")"},
             {R"("q":"0.02000000")", R"("t":5)"},
             {R"("q":"0.02000000")", R"("qq":"x","":1)"},
             {R"("m":true)", R"("m":tru)"},
             {R"("m":true)", R"("m":truex)"},
             {R"("m":true,"M":true)", R"("m":[1,2],"M":{"x":1})"},
             {R"("stream":"btcusdt@trade")", R"("stream":"")"},
             {R"("stream":"btcusdt@trade")", R"("stream":1)"},
             {R"({"stream")", R"({"id":7,"stream")"},
             {R"("data":{)", R"("data" :{)"},
             {"}}", "} }"},
             {"}}", "}}}"},
             {"}}", "},\"result\":null}"},
         })
        check(with(trade, from, to));
    check(R"({"stream":"x","data":{}})");
    check(R"({"stream":"x","data":[]})");

    // Every one-byte replacement, deletion and cut of both frames.
    std::string const bytes = std::string("\"\\ 0179-+.etTEx{}[],:\x01\x7f\x80\xc3", 25);
    for (std::string const& base : {trade, agg}) {
        for (std::size_t i = 0; i < base.size(); ++i) {
            for (char const c : bytes) {
                std::string mutated = base;
                mutated[i] = c;
                check(mutated);
            }
            check(std::string(base).erase(i, 1));
            check(base.substr(0, i));
        }
    }
}

BOOST_FIXTURE_TEST_CASE(padded_decode_reads_in_place, decode_fixture) {
    std::string buffer = R"({"e":"aggTrade","s":"BTCUSDT","a":77,"p":"2.5","T":3})";
    auto const size = buffer.size();
    buffer.resize(size + feed::binance_decoder::padding, ' ');
    auto const& d = decoder.decode_padded(buffer.data(), size, buffer.size(), symbols);
    BOOST_TEST(d.kind == frame_kind::trade);
    BOOST_TEST(d.trade_id == 77);
    // Too little capacity: copied, same answer.
    auto const& c = decoder.decode_padded(buffer.data(), size, size, symbols);
    BOOST_TEST(c.trade_id == 77);
}

BOOST_AUTO_TEST_SUITE_END()
