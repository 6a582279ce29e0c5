// rest_backfill: the HTTP(S) client the feed fills gaps with: Binance's
// `GET /api/v3/aggTrades?symbol=&fromId=&limit=` (exact, by aggregate-trade
// id) and `GET /api/v3/klines?symbol=&interval=1m&startTime=&endTime=`.
//
// Invariants: one request at a time (backfill is never urgent enough to
// spend request weight in parallel); every request has a deadline; a 429 or
// 418 answer waits its Retry-After before the same request is sent again; an
// X-MBX-USED-WEIGHT-1M near the limit holds the next request until the
// minute turns; transient failures are retried with capped backoff up to
// max_attempts, after which the callback gets the error. Prices are parsed as
// exact decimals; a page that does not parse is an error, never half used.
//
// Not thread-safe: every member runs on the io_context's thread. Callbacks
// run there too, never inside the call that queued them.
#pragma once

#include "core/price.hpp"
#include "core/time.hpp"
#include "daemon/feed/feed_options.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kryptod::daemon::feed {

struct agg_trade {
    std::int64_t id = 0;
    core::price price;
    core::millis time = 0;
};

struct kline {
    core::millis open_time = 0, close_time = 0;
    core::price low, high;
};

class rest_backfill : public std::enable_shared_from_this<rest_backfill> {
public:
    static constexpr unsigned max_attempts = 6;
    static constexpr std::int64_t weight_limit_per_minute = 6000;
    static constexpr std::int64_t weight_headroom = 600;

    using trades_handler =
        std::function<void(std::string const& error, std::vector<agg_trade> trades)>;
    using klines_handler = std::function<void(std::string const& error, std::vector<kline> klines)>;

    // Fails (throws std::invalid_argument) when `options.rest_url` is not an
    // http(s) URL. `ssl` must outlive the io_context's run.
    rest_backfill(boost::asio::io_context& ioc, boost::asio::ssl::context& ssl,
                  feed_options const& options);

    // Queues `GET /api/v3/aggTrades?symbol=S&fromId=F&limit=L`. The handler
    // gets the trades in id order, or a non-empty error after max_attempts.
    void fetch_agg_trades(std::string symbol, std::int64_t from_id, unsigned limit,
                          trades_handler done);

    // Queues `GET /api/v3/klines?symbol=S&interval=1m&startTime=&endTime=`
    // (one page of up to 1000 minutes).
    void fetch_klines(std::string symbol, core::millis start, core::millis end,
                      klines_handler done);

    // Drops queued requests and aborts the one in flight; their handlers are
    // called with the error "stopped".
    void stop();

    // Requests answered, and requests retried after a 429/418 or a failure.
    std::uint64_t requests() const noexcept { return requests_; }
    std::uint64_t retries() const noexcept { return retries_; }
    std::int64_t used_weight() const noexcept { return used_weight_; }

    // Parses an aggTrades body. Returns an empty error on success.
    static std::string parse_agg_trades(std::string_view body, std::vector<agg_trade>& out);
    // Parses a klines body. Returns an empty error on success.
    static std::string parse_klines(std::string_view body, std::vector<kline>& out);

private:
    struct job {
        std::string target;
        trades_handler on_trades;
        klines_handler on_klines;
        unsigned attempts = 0;
    };
    class exchange;

    void pump();
    void on_response(unsigned status, std::string const& error, std::string body,
                     long retry_after_s, std::int64_t used_weight);
    void on_delay(boost::system::error_code ec);
    void complete(std::string const& error, std::string const& body);

    boost::asio::io_context& ioc_;
    boost::asio::ssl::context& ssl_;
    endpoint where_;
    std::string base_path_;
    std::chrono::milliseconds timeout_;
    boost::asio::steady_timer delay_;
    std::deque<job> jobs_;
    std::shared_ptr<exchange> current_;
    bool busy_ = false;
    bool stopped_ = false;
    std::uint64_t requests_ = 0, retries_ = 0;
    std::int64_t used_weight_ = 0;
};

} // namespace kryptod::daemon::feed
