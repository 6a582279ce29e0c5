// rest_backfill: the HTTP(S) client the feed fills gaps with: Binance's
// `GET /api/v3/aggTrades?symbol=&fromId=&limit=` (exact, by aggregate-trade
// id) and `GET /api/v3/klines?symbol=&interval=1m&startTime=&endTime=`.
//
// Invariants: one request at a time (backfill is never urgent enough to
// spend request weight in parallel); every request has a deadline; a 429 or
// 418 answer waits its Retry-After, clamped to max_retry_after (SPEC §4) and
// never less than a second, before the same request is sent again; an
// X-MBX-USED-WEIGHT-1M near the limit holds the next request until the
// minute turns; transient failures (no answer, 5xx, 429, 418) are retried
// with capped backoff until they succeed or stop() is called, so a request
// never gives up while the exchange is merely down; other 4xx answers and
// pages that do not parse are final errors. Whatever the answers, at most
// one request is sent per min_request_gap. Prices are parsed as exact
// decimals; a page that does not parse is an error, never half used.
// Failed attempts are logged at warning level on the 1st, 2nd, 4th, 8th ...
// attempt of a request (the others at debug), and what the exchange wrote is
// logged at most max_logged_bytes long.
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

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
    // Retry-After is honoured up to this long (SPEC §4).
    static constexpr std::chrono::seconds max_retry_after{300};
    // The shortest time between two requests, whatever the answers: a
    // floor that keeps any mistake in the waits below from becoming a flood.
    static constexpr std::chrono::milliseconds min_request_gap{50};
    // The longest pause after a failure without Retry-After.
    static constexpr std::chrono::milliseconds max_failure_delay{16'000};
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
    // gets the trades in id order, or a non-empty error when the exchange
    // refused the request for good (a 4xx other than 429/418, or a page that
    // does not parse) or stop() was called. Transient failures are retried.
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
    // The exchange's last X-MBX-USED-WEIGHT-1M, or 0 before any.
    std::int64_t used_weight() const noexcept { return used_weight_; }
    // Why the last attempt failed (empty after a success), for /readyz.
    std::string const& last_failure() const noexcept { return last_failure_; }

    // The wait a Retry-After header value asks for: delta-seconds (digits
    // only; an HTTP-date is not used by Binance and is not understood),
    // clamped to [1 s, max_retry_after] without overflow however many digits
    // it has. nullopt when the value is not delta-seconds.
    static std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

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
                     std::optional<std::chrono::seconds> retry_after, std::int64_t used_weight);
    void retry_after_failure(job& j, std::string failure, std::chrono::milliseconds wait);
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
    std::string last_failure_;
    std::chrono::steady_clock::time_point last_sent_{};
};

} // namespace kryptod::daemon::feed
