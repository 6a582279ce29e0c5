// binance_test_server: listener, HTTP sessions (REST, or an upgrade to a
// websocket session) and the shared state they all read: trade history,
// live sessions, counters. Sessions hold the state by shared_ptr, so the
// server object may go away while their last handlers drain.
#include "binance_test_server.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <deque>
#include <unistd.h>

namespace kryptod::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Named, not anonymous: state (declared in the header) holds these.
namespace server_detail {
class ws_session;
}
using server_detail::ws_session;

struct binance_test_server::state {
    net::io_context& ioc;
    options opts;
    tcp::acceptor acceptor;
    std::map<std::string, std::vector<server_trade>> history;
    std::map<std::string, std::int64_t> next_id;
    std::vector<std::weak_ptr<ws_session>> sessions;
    std::size_t accepted = 0, rate_violations = 0, pongs = 0, ping_drops = 0, control_messages = 0;
    std::vector<std::string> rest_requests;
    unsigned throttle_left = 0, throttle_status = 429;
    std::string throttle_retry_after;
    bool rest_down = false;
    std::vector<std::chrono::steady_clock::time_point> accept_times;
    std::vector<int> silent_fds; // stalled connections, held open
    bool closed = false;
    state(net::io_context& io, options o)
        : ioc(io)
        , opts(o)
        , acceptor(io) {}
    ~state() {
        for (int fd : silent_fds)
            ::close(fd);
    }
    template <class F>
    void each_session(F f);
};

namespace server_detail {

using state = binance_test_server::state;

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string agg_frame(std::string const& symbol, server_trade const& t) {
    return R"({"stream":")" + lower(symbol) + R"(@aggTrade","data":{"e":"aggTrade","E":)" +
           std::to_string(t.time + 1) + R"(,"s":")" + symbol + R"(","a":)" + std::to_string(t.id) +
           R"(,"p":")" + t.price + R"(","q":"0.01000000","f":)" + std::to_string(t.id * 2) +
           R"(,"l":)" + std::to_string(t.id * 2) + R"(,"T":)" + std::to_string(t.time) +
           R"(,"m":false,"M":true}})";
}

class ws_session : public std::enable_shared_from_this<ws_session> {
public:
    ws_session(tcp::socket&& socket, std::shared_ptr<state> st)
        : ws_(std::move(socket))
        , ping_timer_(st->ioc)
        , pong_timer_(st->ioc)
        , st_(std::move(st)) {}

    void run(http::request<http::string_body> req) {
        ws_.read_message_max(1 << 20);
        ws_.control_callback(
            [weak = weak_from_this()](websocket::frame_type kind, beast::string_view) {
                if (auto self = weak.lock(); self && kind == websocket::frame_type::pong)
                    self->on_pong();
            });
        ws_.async_accept(req,
                         beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
    }

    bool live() const { return open_ && !stalled_; }
    std::set<std::string> const& streams() const { return streams_; }
    bool follows(std::string const& stream) const { return streams_.count(stream) != 0; }

    void send(std::shared_ptr<std::string const> frame, bool binary = false) {
        if (!live()) return;
        queue_.push_back({std::move(frame), binary});
        if (queue_.size() == 1) do_write();
    }

    // Writes server-to-client text frames (unmasked, unfragmented) straight
    // to the socket in one buffer, as a busy exchange does. Only while the
    // session has nothing else to write.
    void send_encoded(std::shared_ptr<std::string const> wire) {
        if (!live()) return;
        queue_.push_back({std::move(wire), false, true});
        if (queue_.size() == 1) do_write();
    }

    void cut() {
        open_ = false;
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
        ping_timer_.cancel();
        pong_timer_.cancel();
    }

    void stall() {
        // Stop every operation without closing: the peer sees silence, not a
        // close; the pending read ends so no pong is sent either.
        // Cancelling the read makes the websocket close its socket; a
        // duplicate descriptor, held by the server state, keeps the TCP
        // connection itself open and silent.
        stalled_ = true;
        ping_timer_.cancel();
        pong_timer_.cancel();
        int const fd = ::dup(beast::get_lowest_layer(ws_).socket().native_handle());
        if (fd >= 0) st_->silent_fds.push_back(fd);
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().cancel(ignored);
    }

private:
    struct out_frame {
        std::shared_ptr<std::string const> text;
        bool binary;
        bool encoded = false; // already websocket frames: written to the socket as is
    };

    void on_accept(beast::error_code ec) {
        if (ec) return;
        open_ = true;
        ++st_->accepted;
        st_->accept_times.push_back(std::chrono::steady_clock::now());
        st_->sessions.push_back(weak_from_this());
        schedule_ping();
        do_read();
    }

    void schedule_ping() {
        ping_timer_.expires_after(st_->opts.ping_interval);
        ping_timer_.async_wait(
            beast::bind_front_handler(&ws_session::on_ping_timer, shared_from_this()));
    }

    void on_ping_timer(beast::error_code ec) {
        if (ec || !live()) return;
        if (!queue_.empty() && queue_.front().encoded)
            return schedule_ping(); // never inside a bulk write
        awaiting_pong_ = true;
        ws_.async_ping({}, [self = shared_from_this()](beast::error_code) {});
        pong_timer_.expires_after(st_->opts.pong_timeout);
        pong_timer_.async_wait(
            beast::bind_front_handler(&ws_session::on_pong_timer, shared_from_this()));
    }

    void on_pong() {
        ++st_->pongs;
        if (!awaiting_pong_) return;
        awaiting_pong_ = false;
        pong_timer_.cancel();
        schedule_ping();
    }

    void on_pong_timer(beast::error_code ec) {
        if (ec || !awaiting_pong_ || !live()) return;
        ++st_->ping_drops;
        cut();
    }

    void do_read() {
        ws_.async_read(buffer_,
                       beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) {
            if (!stalled_) open_ = false;
            return;
        }
        if (stalled_) return;
        std::string const text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        ++st_->control_messages;
        auto const now = std::chrono::steady_clock::now();
        recent_.push_back(now);
        while (!recent_.empty() && now - recent_.front() >= std::chrono::seconds(1))
            recent_.pop_front();
        if (recent_.size() > st_->opts.max_messages_per_second) {
            ++st_->rate_violations;
            return cut();
        }
        answer(text);
        do_read();
    }

    void answer(std::string const& text) {
        boost::system::error_code ec;
        auto const doc = boost::json::parse(text, ec);
        auto const* obj = doc.if_object();
        std::string id = "null";
        if (obj)
            if (auto const* v = obj->if_contains("id"); v && v->is_int64())
                id = std::to_string(v->as_int64());
        auto const reply_error = [&](int code, std::string const& msg) {
            send(std::make_shared<std::string const>(R"({"error":{"code":)" + std::to_string(code) +
                                                     R"(,"msg":")" + msg + R"("},"id":)" + id +
                                                     "}"));
        };
        if (ec || !obj) return reply_error(3, "Invalid JSON");
        auto const* method = obj->if_contains("method");
        if (!method || !method->is_string()) return reply_error(2, "Invalid request: method");
        std::string const m(method->as_string());
        if (m == "LIST_SUBSCRIPTIONS") {
            boost::json::array list;
            for (auto const& s : streams_)
                list.emplace_back(s);
            return send(std::make_shared<std::string const>(
                R"({"result":)" + boost::json::serialize(list) + R"(,"id":)" + id + "}"));
        }
        if (m != "SUBSCRIBE" && m != "UNSUBSCRIBE")
            return reply_error(2, "Invalid request: unknown method");
        auto const* params = obj->if_contains("params");
        if (!params || !params->is_array()) return reply_error(2, "Invalid request: params");
        for (auto const& p : params->as_array()) {
            if (!p.is_string()) return reply_error(2, "Invalid request: stream name");
            std::string const name(p.as_string());
            if (m == "SUBSCRIBE")
                streams_.insert(name);
            else
                streams_.erase(name);
        }
        send(std::make_shared<std::string const>(R"({"result":null,"id":)" + id + "}"));
    }

    void do_write() {
        auto const& f = queue_.front();
        if (f.encoded) {
            net::async_write(beast::get_lowest_layer(ws_).socket(), net::buffer(*f.text),
                             beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
            return;
        }
        ws_.binary(f.binary);
        ws_.async_write(net::buffer(*f.text),
                        beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t) {
        if (ec) {
            open_ = false;
            queue_.clear();
            return;
        }
        queue_.pop_front();
        if (!queue_.empty() && live())
            do_write();
        else if (!live())
            queue_.clear();
    }

    websocket::stream<beast::tcp_stream> ws_;
    net::steady_timer ping_timer_, pong_timer_;
    std::shared_ptr<state> st_;
    beast::flat_buffer buffer_;
    std::deque<out_frame> queue_;
    std::deque<std::chrono::steady_clock::time_point> recent_;
    std::set<std::string> streams_;
    bool open_ = false, stalled_ = false, awaiting_pong_ = false;
};

std::int64_t param_int(boost::urls::url_view const& u, char const* key, std::int64_t fallback) {
    auto it = u.params().find(key);
    if (it == u.params().end()) return fallback;
    try {
        return std::stoll(std::string((*it).value));
    } catch (...) {
        return fallback;
    }
}

class http_session : public std::enable_shared_from_this<http_session> {
public:
    http_session(tcp::socket&& socket, std::shared_ptr<state> st)
        : stream_(std::move(socket))
        , st_(std::move(st)) {}

    void run() {
        stream_.expires_after(std::chrono::seconds(10));
        http::async_read(stream_, buffer_, req_,
                         beast::bind_front_handler(&http_session::on_read, shared_from_this()));
    }

private:
    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return;
        if (websocket::is_upgrade(req_)) {
            stream_.expires_never();
            std::make_shared<ws_session>(stream_.release_socket(), st_)->run(std::move(req_));
            return;
        }
        std::string const target(req_.target());
        st_->rest_requests.push_back(target);
        if (st_->rest_down) {
            beast::error_code ignored;
            stream_.socket().close(ignored);
            return;
        }
        res_.version(11);
        res_.set(http::field::content_type, "application/json");
        res_.keep_alive(false);
        if (st_->throttle_left > 0) {
            --st_->throttle_left;
            res_.result(static_cast<http::status>(st_->throttle_status));
            res_.set(http::field::retry_after, st_->throttle_retry_after);
            res_.body() = R"({"code":-1003,"msg":"Too many requests"})";
        } else {
            answer(target);
        }
        res_.set("X-MBX-USED-WEIGHT-1M", "2");
        res_.prepare_payload();
        http::async_write(stream_, res_,
                          beast::bind_front_handler(&http_session::on_write, shared_from_this()));
    }

    void answer(std::string const& target) {
        auto parsed = boost::urls::parse_origin_form(target);
        if (!parsed) return fail(400, "bad target");
        auto const u = *parsed;
        auto sym_it = u.params().find("symbol");
        if (sym_it == u.params().end()) return fail(400, "symbol required");
        std::string const symbol((*sym_it).value);
        auto const& hist = st_->history[symbol];
        std::int64_t const limit = std::clamp<std::int64_t>(param_int(u, "limit", 500), 1, 1000);
        std::int64_t const start = param_int(u, "startTime", INT64_MIN),
                           end = param_int(u, "endTime", INT64_MAX);
        if (u.path() == "/api/v3/aggTrades") {
            std::int64_t const from = param_int(u, "fromId", INT64_MIN);
            boost::json::array out;
            for (auto const& t : hist) {
                if (t.id < from || t.time < start || t.time > end) continue;
                if (static_cast<std::int64_t>(out.size()) >= limit) break;
                out.push_back(boost::json::object{{"a", t.id},
                                                  {"p", t.price},
                                                  {"q", "0.01000000"},
                                                  {"f", t.id * 2},
                                                  {"l", t.id * 2},
                                                  {"T", t.time},
                                                  {"m", false},
                                                  {"M", true}});
            }
            res_.result(http::status::ok);
            res_.body() = boost::json::serialize(out);
        } else if (u.path() == "/api/v3/klines") {
            // One kline per minute with trades, low/high compared as exact
            // decimals (strings of the same scale compare by length then text).
            auto const less = [](std::string const& a, std::string const& b) {
                auto const ia = a.find('.'), ib = b.find('.');
                auto const la = ia == std::string::npos ? a.size() : ia,
                           lb = ib == std::string::npos ? b.size() : ib;
                if (la != lb) return la < lb;
                return a < b;
            };
            std::map<std::int64_t, std::pair<std::string, std::string>> minutes;
            for (auto const& t : hist) {
                if (t.time < start || t.time > end) continue;
                auto const m = t.time - t.time % 60000;
                auto [it, fresh] = minutes.try_emplace(m, t.price, t.price);
                if (!fresh) {
                    if (less(t.price, it->second.first)) it->second.first = t.price;
                    if (less(it->second.second, t.price)) it->second.second = t.price;
                }
            }
            boost::json::array out;
            for (auto const& [m, lh] : minutes) {
                if (static_cast<std::int64_t>(out.size()) >= limit) break;
                out.push_back(boost::json::array{m, lh.first, lh.second, lh.first, lh.second, "1.0",
                                                 m + 59999, "1.0", 1, "0.5", "0.5", "0"});
            }
            res_.result(http::status::ok);
            res_.body() = boost::json::serialize(out);
        } else {
            fail(404, "not found");
        }
    }

    void fail(int status, std::string const& msg) {
        res_.result(static_cast<http::status>(status));
        res_.body() = R"({"code":-1100,"msg":")" + msg + R"("})";
    }

    void on_write(beast::error_code, std::size_t) {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    std::shared_ptr<state> st_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> req_;
    http::response<http::string_body> res_;
};

void do_accept(std::shared_ptr<state> st) {
    st->acceptor.async_accept([st](beast::error_code ec, tcp::socket socket) {
        if (ec || st->closed) return;
        std::make_shared<http_session>(std::move(socket), st)->run();
        do_accept(st);
    });
}

} // namespace server_detail

using server_detail::agg_frame;
using server_detail::do_accept;
using server_detail::lower;

template <class F>
void binance_test_server::state::each_session(F f) {
    std::erase_if(sessions, [](auto const& w) { return w.expired(); });
    for (auto const& w : sessions)
        if (auto s = w.lock()) f(*s);
}

binance_test_server::binance_test_server(net::io_context& ioc, options opts)
    : state_(std::make_shared<state>(ioc, opts)) {
    tcp::endpoint const ep(net::ip::make_address("127.0.0.1"), 0);
    state_->acceptor.open(ep.protocol());
    state_->acceptor.set_option(net::socket_base::reuse_address(true));
    state_->acceptor.bind(ep);
    state_->acceptor.listen();
    do_accept(state_);
}

binance_test_server::~binance_test_server() {
    state_->closed = true;
    beast::error_code ignored;
    state_->acceptor.close(ignored);
    state_->each_session([](ws_session& s) { s.cut(); });
}

unsigned short binance_test_server::port() const noexcept {
    return state_->acceptor.local_endpoint().port();
}
std::string binance_test_server::ws_url() const {
    return "ws://127.0.0.1:" + std::to_string(port()) + "/stream";
}
std::string binance_test_server::rest_url() const {
    return "http://127.0.0.1:" + std::to_string(port());
}

std::int64_t binance_test_server::trade(std::string const& symbol, std::string const& price,
                                        std::int64_t time) {
    auto [it, fresh] = state_->next_id.try_emplace(symbol, state_->opts.first_agg_id);
    server_trade const t{it->second++, price, time};
    state_->history[symbol].push_back(t);
    auto const frame = std::make_shared<std::string const>(agg_frame(symbol, t));
    auto const stream = lower(symbol) + "@aggTrade";
    state_->each_session([&](ws_session& s) {
        if (s.follows(stream)) s.send(frame);
    });
    return t.id;
}

void binance_test_server::send_raw(std::string const& frame, bool binary) {
    auto const f = std::make_shared<std::string const>(frame);
    state_->each_session([&](ws_session& s) { s.send(f, binary); });
}

void binance_test_server::send_bulk(std::vector<std::string> const& frames) {
    send_encoded(encode_frames(frames));
}

void binance_test_server::send_encoded(std::shared_ptr<std::string const> wire) {
    state_->each_session([&](ws_session& s) { s.send_encoded(wire); });
}

std::shared_ptr<std::string const>
binance_test_server::encode_frames(std::vector<std::string> const& frames) {
    // RFC 6455 framing, server side: FIN + text opcode, no mask.
    auto wire = std::make_shared<std::string>();
    std::size_t total = 0;
    for (auto const& f : frames)
        total += f.size() + 10;
    wire->reserve(total);
    for (auto const& f : frames) {
        wire->push_back(static_cast<char>(0x81));
        auto const n = f.size();
        if (n < 126) {
            wire->push_back(static_cast<char>(n));
        } else if (n < 65536) {
            wire->push_back(static_cast<char>(126));
            wire->push_back(static_cast<char>((n >> 8) & 0xff));
            wire->push_back(static_cast<char>(n & 0xff));
        } else {
            wire->push_back(static_cast<char>(127));
            for (int shift = 56; shift >= 0; shift -= 8)
                wire->push_back(static_cast<char>((n >> shift) & 0xff));
        }
        wire->append(f);
    }
    return wire;
}

void binance_test_server::announce_shutdown() {
    send_raw(R"({"e":"serverShutdown","E":1})");
}
void binance_test_server::cut() {
    state_->each_session([](ws_session& s) { s.cut(); });
}
void binance_test_server::stall() {
    state_->each_session([](ws_session& s) { s.stall(); });
}

void binance_test_server::throttle_rest(unsigned n, unsigned seconds) {
    throttle_rest(n, std::to_string(seconds), 429);
}

void binance_test_server::throttle_rest(unsigned n, std::string retry_after, unsigned status) {
    state_->throttle_left = n;
    state_->throttle_retry_after = std::move(retry_after);
    state_->throttle_status = status;
}

void binance_test_server::rest_down(bool down) {
    state_->rest_down = down;
}

std::vector<std::chrono::steady_clock::time_point> const&
binance_test_server::accept_times() const {
    return state_->accept_times;
}

std::vector<server_trade> const& binance_test_server::history(std::string const& symbol) {
    return state_->history[symbol];
}

std::size_t binance_test_server::sessions() const {
    std::size_t n = 0;
    state_->each_session([&](ws_session& s) { n += s.live() ? 1 : 0; });
    return n;
}

std::set<std::string> binance_test_server::subscriptions() const {
    std::set<std::string> out;
    state_->each_session([&](ws_session& s) {
        if (s.live()) out.insert(s.streams().begin(), s.streams().end());
    });
    return out;
}

std::size_t binance_test_server::accepted() const {
    return state_->accepted;
}
std::vector<std::string> const& binance_test_server::rest_requests() const {
    return state_->rest_requests;
}
std::size_t binance_test_server::rate_violations() const {
    return state_->rate_violations;
}
std::size_t binance_test_server::pongs() const {
    return state_->pongs;
}
std::size_t binance_test_server::ping_drops() const {
    return state_->ping_drops;
}
std::size_t binance_test_server::control_messages() const {
    return state_->control_messages;
}

} // namespace kryptod::test
