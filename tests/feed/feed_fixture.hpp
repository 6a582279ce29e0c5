// feed_fixture: a market_feed wired to a binance_test_server on one
// io_context, with a sink that evaluates every trade against a real
// alert_book, so tests assert what a user sees: which alerts fired, once,
// and whether they say backfilled.
#pragma once

#include "binance_test_server.hpp"
#include "core/alert_book.hpp"
#include "daemon/feed/market_feed.hpp"
#include "daemon/options.hpp"
#include "tests/support/default_config.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kryptod::test {

struct delivered_trade {
    core::symbol_id symbol;
    std::int64_t id;
    core::price price;
    core::millis time;
    bool backfilled;
};

struct delivered_range {
    core::symbol_id symbol;
    core::price low, high;
    core::millis from, to;
};

class recording_sink : public daemon::feed::trade_sink {
public:
    explicit recording_sink(core::alert_book& book)
        : book_(book) {}
    void on_trade(core::symbol_id symbol, std::int64_t id, core::price price, core::millis time,
                  bool backfilled) override {
        trades.push_back({symbol, id, price, time, backfilled});
        book_.on_tick(core::tick{symbol, price, time, backfilled}, time, fired);
    }
    void on_range(core::symbol_id symbol, core::price low, core::price high, core::millis from,
                  core::millis to) override {
        ranges.push_back({symbol, low, high, from, to});
        book_.on_range(symbol, low, high, to, to, fired);
    }
    std::vector<delivered_trade> trades;
    std::vector<delivered_range> ranges;
    std::vector<core::fired_alert> fired;

private:
    core::alert_book& book_;
};

inline core::millis wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct feed_fixture {
    boost::asio::io_context ioc;
    core::alert_book book;
    recording_sink sink{book};
    std::unique_ptr<binance_test_server> server;
    daemon::feed::feed_options options =
        kryptod::daemon::feed_options_from(kryptod::test::default_config());
    std::shared_ptr<daemon::feed::market_feed> feed;
    core::symbol_id btc, eth;

    explicit feed_fixture(binance_test_server::options server_options = {}) {
        btc = book.symbols().intern("BTCUSDT");
        eth = book.symbols().intern("ETHUSDT");
        server = std::make_unique<binance_test_server>(ioc, server_options);
        options.url = server->ws_url();
        options.rest_url = server->rest_url();
        options.stale_after = std::chrono::milliseconds(600);
        options.connect_timeout = std::chrono::milliseconds(2000);
        options.backoff_initial = std::chrono::milliseconds(50);
        options.backoff_max = std::chrono::milliseconds(400);
    }

    ~feed_fixture() {
        if (feed) feed->stop();
        server.reset();
        ioc.run_for(std::chrono::milliseconds(50));
    }

    void start(std::vector<std::string> coins,
               std::vector<daemon::feed::resume_point> resume = {}) {
        feed = std::make_shared<daemon::feed::market_feed>(ioc, options, book.symbols(), sink);
        feed->start(coins, resume);
    }

    // Runs the io_context until `done` holds or `timeout` passes.
    bool run_until(std::function<bool()> const& done,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            ioc.run_for(std::chrono::milliseconds(5));
        }
        return true;
    }

    void run_for(std::chrono::milliseconds d) { ioc.run_for(d); }

    bool up() const { return feed && feed->status().up; }

    // Arms an alert on BTCUSDT.
    void arm(core::alert_id id, std::string const& target, core::direction side) {
        core::alert_terms t;
        t.id = id;
        t.symbol = btc;
        t.target = core::price::parse(target).value;
        t.side = side;
        book.arm(t, 0);
    }
};

} // namespace kryptod::test
