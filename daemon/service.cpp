// The daemon's lifecycle on one io_context.
#include "daemon/service.hpp"

#include "daemon/log.hpp"
#include "daemon/sd_notify.hpp"
#include "http/listener.hpp"
#include "storage/database.hpp"
#include "storage/writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>

namespace kryptod::daemon {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// How long a clean stop waits for sessions to finish the request in hand.
constexpr auto drain_timeout = 5s;

std::string endpoint_text(asio::ip::tcp::endpoint const& ep) {
    auto address = ep.address().to_string();
    if (ep.address().is_v6()) address = "[" + address + "]";
    return address + ":" + std::to_string(ep.port());
}

} // namespace

struct service::impl {
    command_line cmd;
    config const& cfg = cmd.settings;
    asio::io_context ioc{1};
    asio::signal_set signals{ioc, SIGTERM, SIGINT, SIGHUP};
    asio::steady_timer watchdog_timer{ioc};
    asio::steady_timer drain_timer{ioc};
    std::chrono::steady_clock::time_point drain_deadline;
    std::unique_ptr<storage::writer> writer;
    std::shared_ptr<http::listener> listener;
    bool stopping = false;

    explicit impl(command_line c)
        : cmd(std::move(c)) {}

    bool open_storage();
    bool start_listener();
    http::router routes();
    void do_wait_signal();
    void on_signal(boost::system::error_code ec, int signal);
    void reload();
    void begin_stop();
    void on_drain_tick(boost::system::error_code ec);
    void do_watchdog(std::chrono::microseconds interval);
};

bool service::impl::open_storage() {
    try {
        auto db = storage::open_database(cfg.storage.path);
        storage::writer_options options;
        options.queue_capacity = cfg.storage.queue_limit;
        writer = std::make_unique<storage::writer>(
            std::move(db), [this](std::function<void()> f) { asio::post(ioc, std::move(f)); },
            options);
    } catch (std::exception const& e) {
        log::error("cannot open database ", cfg.storage.path.string(), ": ", e.what());
        return false;
    }
    log::info("database ", cfg.storage.path.string(), " open (schema version ",
              storage::latest_schema_version(), ")");
    return true;
}

http::router service::impl::routes() {
    http::router r;
    r.add(http::verb::get, "/healthz", [](http::incoming in, http::responder respond) {
        respond(http::json_response(http::status::ok, {{"status", "ok"}}, in.req.version()));
    });
    return r;
}

bool service::impl::start_listener() {
    http::server_limits limits;
    limits.max_body = cfg.http.max_body;
    limits.max_connections = cfg.http.max_connections;
    limits.header_timeout = cfg.http.header_timeout;
    limits.idle_timeout = cfg.http.idle_timeout;
    auto const& address = cfg.http.listen;
    try {
        asio::ip::tcp::endpoint endpoint{asio::ip::make_address(address.host), address.port};
        listener = std::make_shared<http::listener>(ioc, endpoint, limits, routes());
    } catch (boost::system::system_error const& e) {
        log::error("cannot listen on ", address.host, ":", address.port, ": ", e.code().message());
        return false;
    }
    listener->run();
    return true;
}

void service::impl::do_wait_signal() {
    signals.async_wait([this](boost::system::error_code ec, int signal) { on_signal(ec, signal); });
}

void service::impl::on_signal(boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP)
        reload();
    else
        begin_stop();
    do_wait_signal();
}

// SIGHUP: read the same configuration sources again and apply what can
// change at run time. A broken file keeps the running settings.
void service::impl::reload() {
    try {
        auto fresh = load_config(cmd.source);
        log::set_level(fresh.log.level);
        log::notice("configuration reloaded; log level ", to_string(fresh.log.level));
    } catch (config_error const& e) {
        log::error("reload refused, keeping the running configuration: ", e.what());
    }
}

void service::impl::begin_stop() {
    if (stopping) return;
    stopping = true;
    log::notice("stopping");
    sd::stopping();
    listener->stop();
    drain_deadline = std::chrono::steady_clock::now() + drain_timeout;
    on_drain_tick({});
}

// Polls until every session has finished its answer, or the deadline passes.
void service::impl::on_drain_tick(boost::system::error_code ec) {
    if (ec) return;
    if (listener->active_sessions() == 0 || std::chrono::steady_clock::now() >= drain_deadline) {
        signals.cancel();
        watchdog_timer.cancel();
        ioc.stop();
        return;
    }
    drain_timer.expires_after(20ms);
    drain_timer.async_wait([this](boost::system::error_code e) { on_drain_tick(e); });
}

// The keep-alive comes from the io_context thread itself, so a stuck loop
// stops it and the manager restarts the daemon.
void service::impl::do_watchdog(std::chrono::microseconds interval) {
    sd::watchdog();
    watchdog_timer.expires_after(interval);
    watchdog_timer.async_wait([this, interval](boost::system::error_code ec) {
        if (!ec) do_watchdog(interval);
    });
}

service::service(command_line cmd)
    : impl_(std::make_unique<impl>(std::move(cmd))) {}

service::~service() = default;

int service::run() {
    auto& s = *impl_;
    log::set_level(s.cfg.log.level);
    auto const started = std::chrono::steady_clock::now();
    log::info(version(), " starting");

    if (!s.open_storage()) return 1;
    if (!s.start_listener()) {
        s.writer->stop();
        return 1;
    }
    s.do_wait_signal();
    if (auto interval = sd::watchdog_interval()) s.do_watchdog(*interval);

    auto const listening = endpoint_text(s.listener->local_endpoint());
    auto const took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    log::notice("ready: listening on ", listening, " (start-up took ", took.count(), " ms)");
    sd::ready("listening on " + listening);

    s.ioc.run();

    s.writer->stop();
    log::notice("stopped");
    return 0;
}

} // namespace kryptod::daemon
