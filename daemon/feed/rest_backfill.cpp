// rest_backfill: a queue of GET requests, each sent on a fresh connection by
// an `exchange` (resolve -> TCP -> TLS with SNI and host check -> request ->
// response), with the whole exchange under one deadline.
//
// Why a fresh connection per request: backfill runs rarely (after a gap) and
// at most a few pages in a row; keeping a connection alive would need its own
// idle and stale handling for little gain.
#include "daemon/feed/rest_backfill.hpp"

#include "daemon/clock.hpp"
#include "daemon/feed/exchange_text.hpp"
#include "daemon/log.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace kryptod::daemon::feed {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// One request and its response.
class rest_backfill::exchange : public std::enable_shared_from_this<rest_backfill::exchange> {
public:
    exchange(net::io_context& ioc, net::ssl::context& ssl, endpoint const& where,
             std::string target, std::chrono::milliseconds timeout,
             std::weak_ptr<rest_backfill> owner)
        : resolver_(ioc)
        , where_(where)
        , timeout_(timeout)
        , owner_(std::move(owner)) {
        if (where_.tls)
            tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, ssl);
        else
            plain_ = std::make_unique<beast::tcp_stream>(ioc);
        req_.method(http::verb::get);
        req_.target(target);
        req_.version(11);
        req_.set(http::field::host, where_.host);
        req_.set(http::field::user_agent, "kryptod");
        req_.set(http::field::accept, "application/json");
        parser_.body_limit(16 * 1024 * 1024);
    }

    void run() {
        resolver_.async_resolve(
            where_.host, where_.port,
            beast::bind_front_handler(&exchange::on_resolve, shared_from_this()));
    }

    void abort() {
        resolver_.cancel();
        beast::error_code ignored;
        lowest().socket().close(ignored);
    }

private:
    beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

    void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) return done(ec, "resolve");
        lowest().expires_after(timeout_);
        lowest().async_connect(
            results, beast::bind_front_handler(&exchange::on_connect, shared_from_this()));
    }

    void on_connect(beast::error_code ec, tcp::endpoint) {
        if (ec) return done(ec, "connect");
        if (!tls_) return do_write();
        if (!SSL_set_tlsext_host_name(tls_->native_handle(), where_.host.c_str()))
            return done(beast::error_code(static_cast<int>(::ERR_get_error()),
                                          net::error::get_ssl_category()),
                        "tls sni");
        tls_->set_verify_mode(net::ssl::verify_peer);
        tls_->set_verify_callback(net::ssl::host_name_verification(where_.host));
        tls_->async_handshake(net::ssl::stream_base::client,
                              beast::bind_front_handler(&exchange::on_tls, shared_from_this()));
    }

    void on_tls(beast::error_code ec) {
        if (ec) return done(ec, "tls handshake");
        do_write();
    }

    void do_write() {
        auto h = beast::bind_front_handler(&exchange::on_write, shared_from_this());
        if (tls_)
            http::async_write(*tls_, req_, std::move(h));
        else
            http::async_write(*plain_, req_, std::move(h));
    }

    void on_write(beast::error_code ec, std::size_t) {
        if (ec) return done(ec, "write");
        auto h = beast::bind_front_handler(&exchange::on_read, shared_from_this());
        if (tls_)
            http::async_read(*tls_, buffer_, parser_, std::move(h));
        else
            http::async_read(*plain_, buffer_, parser_, std::move(h));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return done(ec, "read");
        auto& res = parser_.get();
        std::optional<std::chrono::seconds> retry_after;
        if (auto it = res.find("Retry-After"); it != res.end())
            retry_after = parse_retry_after(it->value());
        std::int64_t weight = -1;
        if (auto it = res.find("X-MBX-USED-WEIGHT-1M"); it != res.end()) {
            auto const v = it->value();
            std::int64_t n = 0;
            if (std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc{}) weight = n;
        }
        beast::error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().socket().close(ignored);
        if (auto owner = owner_.lock())
            owner->on_response(res.result_int(), {}, std::move(res.body()), retry_after, weight);
    }

    void done(beast::error_code ec, char const* what) {
        beast::error_code ignored;
        lowest().socket().close(ignored);
        if (auto owner = owner_.lock())
            owner->on_response(0, std::string(what) + ": " + ec.message(), {}, std::nullopt, -1);
    }

    tcp::resolver resolver_;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
    std::unique_ptr<beast::tcp_stream> plain_;
    endpoint where_;
    std::chrono::milliseconds timeout_;
    std::weak_ptr<rest_backfill> owner_;
    http::request<http::empty_body> req_;
    http::response_parser<http::string_body> parser_;
    beast::flat_buffer buffer_;
};

rest_backfill::rest_backfill(net::io_context& ioc, net::ssl::context& ssl,
                             feed_options const& options)
    : ioc_(ioc)
    , ssl_(ssl)
    , timeout_(options.connect_timeout * 3)
    , delay_(ioc) {
    std::string error;
    auto ep = parse_endpoint(options.rest_url, error);
    if (!ep || ep->target.find('?') != std::string::npos)
        throw std::invalid_argument("feed.rest_url: " +
                                    (error.empty() ? "must not carry a query" : error));
    where_ = *ep;
    base_path_ = where_.target == "/" ? "" : where_.target;
    if (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
}

void rest_backfill::fetch_agg_trades(std::string symbol, std::int64_t from_id, unsigned limit,
                                     trades_handler done) {
    job j;
    j.target = base_path_ + "/api/v3/aggTrades?symbol=" + symbol +
               "&fromId=" + std::to_string(from_id) + "&limit=" + std::to_string(limit);
    j.on_trades = std::move(done);
    jobs_.push_back(std::move(j));
    net::post(ioc_, [self = shared_from_this()] { self->pump(); });
}

void rest_backfill::fetch_klines(std::string symbol, core::millis start, core::millis end,
                                 klines_handler done) {
    job j;
    j.target = base_path_ + "/api/v3/klines?symbol=" + symbol +
               "&interval=1m&startTime=" + std::to_string(start) +
               "&endTime=" + std::to_string(end) + "&limit=1000";
    j.on_klines = std::move(done);
    jobs_.push_back(std::move(j));
    net::post(ioc_, [self = shared_from_this()] { self->pump(); });
}

std::optional<std::chrono::seconds> rest_backfill::parse_retry_after(std::string_view value) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    // Digit by digit, stopping at the clamp: no digit count can overflow.
    std::int64_t n = 0;
    for (char const c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        if (n <= max_retry_after.count()) n = n * 10 + (c - '0');
    }
    return std::chrono::seconds(std::clamp<std::int64_t>(n, 1, max_retry_after.count()));
}

void rest_backfill::pump() {
    if (busy_ || jobs_.empty()) return;
    if (stopped_) {
        while (!jobs_.empty())
            complete("stopped", {});
        return;
    }
    auto const now = std::chrono::steady_clock::now();
    if (now - last_sent_ < min_request_gap) {
        busy_ = true;
        delay_.expires_at(last_sent_ + min_request_gap);
        delay_.async_wait(beast::bind_front_handler(&rest_backfill::on_delay, shared_from_this()));
        return;
    }
    busy_ = true;
    last_sent_ = now;
    current_ = std::make_shared<exchange>(ioc_, ssl_, where_, jobs_.front().target, timeout_,
                                          weak_from_this());
    current_->run();
}

void rest_backfill::on_response(unsigned status, std::string const& error, std::string body,
                                std::optional<std::chrono::seconds> retry_after,
                                std::int64_t used_weight) {
    current_.reset();
    if (stopped_) {
        busy_ = false;
        complete("stopped", {});
        return pump();
    }
    if (used_weight >= 0) used_weight_ = used_weight;
    auto& j = jobs_.front();
    ++j.attempts;
    // 0.5 s, 1 s, 2 s ... up to max_failure_delay.
    auto const failure_delay = std::min(max_failure_delay, std::chrono::milliseconds(250) *
                                                               (1 << std::min(j.attempts, 7u)));
    if (!error.empty()) return retry_after_failure(j, error, failure_delay);
    if (status == 429 || status == 418) {
        // Binance answers 418 to a client that ignored its 429s: honour the
        // wait it asks for, but never for longer than max_retry_after.
        auto const wait = retry_after.value_or(std::chrono::duration_cast<std::chrono::seconds>(
            std::max<std::chrono::milliseconds>(failure_delay, std::chrono::seconds(1))));
        return retry_after_failure(j,
                                   "HTTP " + std::to_string(status) + " (Retry-After " +
                                       std::to_string(wait.count()) + " s)",
                                   wait);
    }
    if (status >= 500)
        return retry_after_failure(j, "HTTP " + std::to_string(status), failure_delay);
    ++requests_;
    if (status != 200) {
        // A 4xx other than rate limiting will not improve by retrying.
        busy_ = false;
        last_failure_ = "HTTP " + std::to_string(status) + ": " + exchange_text(body);
        complete(last_failure_, {});
        return pump();
    }
    last_failure_.clear();
    std::chrono::milliseconds wait{0};
    if (used_weight_ > weight_limit_per_minute - weight_headroom) {
        // Hold the next request until the weight window turns.
        auto const into = std::chrono::milliseconds(wall_clock_now()) % std::chrono::minutes(1);
        wait = std::chrono::minutes(1) - into;
        log::warning("binance rest: request weight ", used_weight_, " of ", weight_limit_per_minute,
                     " used, pausing ", wait.count(), " ms");
    }
    complete({}, body);
    if (wait.count() > 0) {
        delay_.expires_after(wait);
        delay_.async_wait(beast::bind_front_handler(&rest_backfill::on_delay, shared_from_this()));
        return;
    }
    busy_ = false;
    pump();
}

void rest_backfill::retry_after_failure(job& j, std::string failure,
                                        std::chrono::milliseconds wait) {
    ++retries_;
    // A warning on attempts 1, 2, 4, 8 ...: an exchange down for an hour
    // leaves a handful of lines, not one per retry.
    bool const loud = (j.attempts & (j.attempts - 1)) == 0;
    auto const line = "binance rest: " + failure + " (attempt " + std::to_string(j.attempts) +
                      "); retrying in " + std::to_string(wait.count()) + " ms";
    if (loud)
        log::warning(line);
    else
        log::debug(line);
    last_failure_ = std::move(failure);
    delay_.expires_after(wait);
    delay_.async_wait(beast::bind_front_handler(&rest_backfill::on_delay, shared_from_this()));
}

void rest_backfill::on_delay(boost::system::error_code) {
    busy_ = false;
    pump();
}

void rest_backfill::complete(std::string const& error, std::string const& body) {
    job j = std::move(jobs_.front());
    jobs_.pop_front();
    if (j.on_trades) {
        std::vector<agg_trade> trades;
        std::string err = error;
        if (err.empty()) err = parse_agg_trades(body, trades);
        if (!err.empty()) trades.clear();
        j.on_trades(err, std::move(trades));
    } else if (j.on_klines) {
        std::vector<kline> klines;
        std::string err = error;
        if (err.empty()) err = parse_klines(body, klines);
        if (!err.empty()) klines.clear();
        j.on_klines(err, std::move(klines));
    }
}

void rest_backfill::stop() {
    stopped_ = true;
    delay_.cancel();
    if (current_) current_->abort();
    net::post(ioc_, [self = shared_from_this()] { self->pump(); });
}

namespace {

bool read_int(boost::json::value const& v, std::int64_t& out) {
    if (auto const* i = v.if_int64()) {
        out = *i;
        return true;
    }
    if (auto const* u = v.if_uint64(); u && *u <= static_cast<std::uint64_t>(INT64_MAX)) {
        out = static_cast<std::int64_t>(*u);
        return true;
    }
    return false;
}

bool read_price(boost::json::value const& v, core::price& out) {
    auto const* s = v.if_string();
    if (!s) return false;
    auto const parsed = core::price::parse(std::string_view(s->data(), s->size()));
    if (!parsed || parsed.value.units() <= 0) return false;
    out = parsed.value;
    return true;
}

} // namespace

std::string rest_backfill::parse_agg_trades(std::string_view body, std::vector<agg_trade>& out) {
    boost::system::error_code ec;
    // Numbers never reach a double: prices are strings, ids and times are
    // integers; a float anywhere fails read_int below.
    auto const doc = boost::json::parse(body, ec);
    if (ec) return "aggTrades: not JSON: " + ec.message();
    auto const* arr = doc.if_array();
    if (!arr) return "aggTrades: not an array";
    out.reserve(arr->size());
    for (auto const& item : *arr) {
        auto const* obj = item.if_object();
        if (!obj) return "aggTrades: an entry is not an object";
        agg_trade t;
        auto const* a = obj->if_contains("a");
        auto const* p = obj->if_contains("p");
        auto const* tt = obj->if_contains("T");
        if (!a || !p || !tt || !read_int(*a, t.id) || !read_price(*p, t.price) ||
            !read_int(*tt, t.time) || t.id < 0)
            return "aggTrades: an entry lacks a valid a, p or T";
        if (!out.empty() && t.id <= out.back().id) return "aggTrades: ids out of order";
        out.push_back(t);
    }
    return {};
}

std::string rest_backfill::parse_klines(std::string_view body, std::vector<kline>& out) {
    boost::system::error_code ec;
    auto const doc = boost::json::parse(body, ec);
    if (ec) return "klines: not JSON: " + ec.message();
    auto const* arr = doc.if_array();
    if (!arr) return "klines: not an array";
    for (auto const& item : *arr) {
        auto const* k = item.if_array();
        if (!k || k->size() < 7) return "klines: an entry is not an array of 7 or more";
        kline kl;
        if (!read_int((*k)[0], kl.open_time) || !read_price((*k)[2], kl.high) ||
            !read_price((*k)[3], kl.low) || !read_int((*k)[6], kl.close_time) || kl.low > kl.high)
            return "klines: an entry lacks a valid open time, high, low or close time";
        out.push_back(kl);
    }
    return {};
}

} // namespace kryptod::daemon::feed
