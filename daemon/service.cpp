// The daemon's lifecycle on one io_context.
#include "daemon/service.hpp"

#include "daemon/api/accounts.hpp"
#include "daemon/api/alert_transfer.hpp"
#include "daemon/api/alerts.hpp"
#include "daemon/api/market.hpp"
#include "daemon/api/openapi.hpp"
#include "daemon/api/telegram_link.hpp"
#include "daemon/api/users.hpp"
#include "daemon/cron.hpp"
#include "daemon/feed/feed_health.hpp"
#include "daemon/feed/market_feed.hpp"
#include "daemon/live_alerts.hpp"
#include "daemon/log.hpp"
#include "daemon/metrics.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/notify/telegram_poller.hpp"
#include "daemon/options.hpp"
#include "daemon/sd_notify.hpp"
#include "daemon/stream/stream_hub.hpp"
#include "daemon/stream/stream_route.hpp"
#include "daemon/trade_recorder.hpp"
#include "daemon/web_app.hpp"
#include "http/listener.hpp"
#include "storage/candle_store.hpp"
#include "storage/coin_store.hpp"
#include "storage/database.hpp"
#include "storage/outbox_store.hpp"
#include "storage/sample_store.hpp"
#include "storage/startup.hpp"
#include "storage/writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <csignal>
#include <optional>

namespace kryptod::daemon {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// How long a clean stop waits for sessions to finish the request in hand,
// and how often it looks.
constexpr auto drain_timeout = 5s;
constexpr auto drain_poll = 20ms;

// How often systemd's STATUS= line is refreshed.
constexpr auto status_period = 5s;
constexpr auto alerts_period = 1s;

// Retention deletes old samples in batches this small, so a large backlog
// never holds the writer for long (a deleted minute also refreshes its 5m and
// 15m mirror candles: 500 minutes hold the writer about 10 ms, where an alert
// fire's commit may be waiting); a full batch schedules the next one soon.
constexpr int retention_batch = 500;
// The rollup of minutes into hourly candles goes a few coins of one hour per
// writer job (60 minute rows each), for the same reason.
constexpr int rollup_coins = 50;
constexpr auto retention_first = 1min;
constexpr auto retention_period = 10min;
constexpr auto retention_backlog_pause = 100ms;

std::string endpoint_text(asio::ip::tcp::endpoint const& ep) {
    auto address = ep.address().to_string();
    if (ep.address().is_v6()) address = "[" + address + "]";
    return address + ":" + std::to_string(ep.port());
}

} // namespace

// Lifetimes: impl owns the io_context, and every completion handler of this
// file (timers, signals, routes, writer and engine completions, cron jobs)
// runs inside `ioc.run()` in service::run(), which impl outlives; handlers
// still queued when run() returns are destroyed with the io_context, never
// called. So these handlers hold `this` (the impl): its lifetime covers every
// call. The one callback called from another thread, the writer's `post`,
// only posts to `ioc`; the writer thread is joined (writer->stop(), at the
// latest in writer's destructor) before the io_context, declared first, goes.
// Objects that can outlive a run (listener, market feed, cron) bind their own
// handlers with shared_from_this().
struct service::impl {
    command_line cmd;
    config const& cfg = cmd.settings;
    asio::io_context ioc{1};
    asio::signal_set signals{ioc, SIGTERM, SIGINT, SIGHUP};
    // The periodic chores: STATUS=, watchdog, retention, the stop's drain.
    std::shared_ptr<cron> housekeeping = std::make_shared<cron>(ioc);
    cron::job_id retention_job = 0;
    bool retention_running = false;
    std::chrono::steady_clock::time_point drain_deadline;
    std::unique_ptr<storage::writer> writer;
    std::unique_ptr<live_alerts> engine;
    std::shared_ptr<api::api_context> accounts; // what the API's handlers share
    std::unique_ptr<notify::outbox_sender> sender;
    std::unique_ptr<notify::telegram_poller> telegram; // the bot's linking side
    std::shared_ptr<trade_recorder> recorder;
    std::shared_ptr<feed::market_feed> market;
    std::vector<feed::resume_point> resume;
    std::shared_ptr<http::listener> listener;
    std::shared_ptr<stream::stream_hub> streams; // GET /api/stream
    daemon::metrics metrics;
    std::string startup_summary;
    bool stopping = false;

    explicit impl(command_line c)
        : cmd(std::move(c)) {}

    bool open_storage();
    bool load_state();
    bool start_accounts();
    bool start_sender();
    bool start_streams();
    bool start_feed();
    void follow_coin_list();
    bool start_listener();
    std::string status_line() const;
    std::optional<std::string> not_ready_reason() const;
    std::vector<metric_family> metric_families() const;
    void start_housekeeping();
    void retain_history();
    http::router routes();
    void do_wait_signal();
    void on_signal(boost::system::error_code ec, int signal);
    void reload();
    void begin_stop();
    void check_drained();
};

bool service::impl::open_storage() {
    try {
        auto db = storage::open_database(cfg.storage.path);
        // feed.coins is the initial coin list: its coins are always listed;
        // coins added through the API stay until removed through it.
        for (auto const& coin : cfg.feed.coins)
            if (storage::coin_store::add(db, coin, wall_clock_now()))
                log::info("coin ", coin, " added from feed.coins");
        writer = std::make_unique<storage::writer>(
            std::move(db), [this](std::function<void()> f) { asio::post(ioc, std::move(f)); },
            writer_options_from(cfg));
    } catch (std::exception const& e) {
        log::error("cannot open database ", cfg.storage.path.string(), ": ", e.what());
        return false;
    }
    log::info("database ", cfg.storage.path.string(), " open (schema version ",
              storage::latest_schema_version(), ")");
    return true;
}

// Everything the book needs before serving: coins, armed alerts, last
// prices; read in one snapshot through a read-only connection.
bool service::impl::load_state() {
    engine = std::make_unique<live_alerts>(ioc, *writer, live_alerts_options_from(cfg));
    engine->on_latency([this](std::chrono::nanoseconds d) { metrics.record_latency(d); });
    try {
        auto reader = storage::open_reader(cfg.storage.path);
        // Room for every armed alert up front: the book's tables are then
        // allocated once, not grown (and copied) a doubling at a time.
        engine->book().reserve(storage::count_armed(reader));
        auto state = engine->load(reader);
        startup_summary = state.summary();
        for (auto const& f : state.feed)
            resume.push_back({f.symbol, f.last_trade_id, f.last_trade_time});
    } catch (std::exception const& e) {
        log::error("cannot load the alerts from ", cfg.storage.path.string(), ": ", e.what());
        return false;
    }
    log::info(startup_summary);
    return true;
}

// The HMAC secret (created on first start) and the user directory.
bool service::impl::start_accounts() {
    try {
        auto secret = api::load_or_create_secret(cfg.auth.secret_file);
        // The alert list page cache stays exact by hearing of every write
        // that changes alerts, from before the first one.
        auto alert_pages = std::make_shared<api::alert_page_cache>();
        api::follow_alert_writes(*writer, alert_pages);
        accounts = std::make_shared<api::api_context>(*writer, cfg.storage.path, secret,
                                                      api_settings_from(cfg), alert_pages);
    } catch (std::exception const& e) {
        log::error("cannot start the accounts: ", e.what());
        return false;
    }
    return true;
}

// The notification sender drains the outbox on its own thread; a fire's
// commit, or an account email's, wakes it at once.
bool service::impl::start_sender() {
    // A bad token file is one error line; the rest of the daemon runs.
    auto const bot = notify::telegram_settings_from(cfg.telegram);
    telegram = std::make_unique<notify::telegram_poller>(
        notify::poller_options{bot, cfg.storage.path, std::chrono::seconds(25),
                               std::chrono::seconds(1), std::chrono::seconds(60),
                               // GET /me lists the channels set up, Telegram's too.
                               [users = accounts](storage::user_store::user_record const& u) {
                                   users->users().put(u);
                               }},
        *writer);
    telegram->start();
    try {
        auto options = sender_options_from(cfg);
        options.telegram = bot;
        sender = std::make_unique<notify::outbox_sender>(
            cfg.storage.path, *writer, notify::smtp_settings_from(cfg.smtp), std::move(options));
        sender->start();
    } catch (std::exception const& e) {
        log::error("cannot start the notification sender: ", e.what());
        return false;
    }
    engine->on_committed([this](std::size_t) { sender->wake(); });
    accounts->on_outbox_queued([this] { sender->wake(); });
    return true;
}

// The live streams: the writer reports every committed alert event to the
// hub, the user directory every account change (a disabled user's streams
// end at once).
bool service::impl::start_streams() {
    auto const options = hub_options_from(cfg);
    auto prices = [this](std::vector<stream::coin_price>& out) {
        auto const& book = engine->book();
        for (auto id : engine->listed_coins())
            if (auto last = book.prices().get(id))
                out.push_back({id, book.symbols().name(id), last->last, last->time});
    };
    auto still_valid = [this](std::int64_t user, std::int64_t issued_at) {
        auto const u = accounts->users().snapshot(user);
        return u && !u->user.disabled && issued_at * 1000 >= u->user.tokens_valid_after;
    };
    streams = std::make_shared<stream::stream_hub>(ioc, options, prices, still_valid);
    try {
        streams->start(cfg.storage.path);
    } catch (std::exception const& e) {
        log::error("cannot start the live streams: ", e.what());
        return false;
    }
    writer->on_events_committed(
        [hub = streams](std::span<storage::writer::committed_event const> events) {
            hub->committed(events);
        });
    accounts->users().on_put([this](std::int64_t user) {
        asio::post(ioc, [this, user] { streams->user_changed(user); });
    });
    return true;
}

// The Binance feed. An unreachable exchange does not stop start-up: the feed
// keeps retrying with backoff and /readyz says it is down.
bool service::impl::start_feed() {
    auto const options = feed_options_from(cfg);
    recorder = std::make_shared<trade_recorder>(ioc, *engine, *writer);
    try {
        market =
            std::make_shared<feed::market_feed>(ioc, options, engine->book().symbols(), *recorder);
    } catch (std::exception const& e) {
        log::error("cannot start the feed: ", e.what());
        return false;
    }
    std::vector<std::string> coins;
    for (auto id : engine->listed_coins())
        coins.emplace_back(engine->book().symbols().name(id));
    market->start(coins, resume);
    recorder->start([feed = market](core::symbol_id s) { return feed->position(s); });
    return true;
}

// The admin changed the coin list: the feed follows it live.
void service::impl::follow_coin_list() {
    std::vector<std::string> wanted;
    for (auto id : engine->listed_coins())
        wanted.emplace_back(engine->book().symbols().name(id));
    auto followed = market->coins();
    for (auto const& coin : wanted)
        if (std::find(followed.begin(), followed.end(), coin) == followed.end())
            market->add_coin(coin);
    for (auto const& coin : followed)
        if (std::find(wanted.begin(), wanted.end(), coin) == wanted.end())
            market->remove_coin(coin);
}

std::string service::impl::status_line() const {
    auto const stats = engine->stats();
    auto const feed = market->status();
    return std::string(feed.up ? "feed up" : "feed down") + ", " +
           std::to_string(engine->book().size()) + " alerts armed, " +
           std::to_string(engine->book().symbols().size()) + " coins, " +
           std::to_string(stats.committed) + " fired";
}

// Why the daemon cannot do its job right now, for /readyz; nothing when it can.
std::optional<std::string> service::impl::not_ready_reason() const {
    if (stopping) return "stopping";
    if (auto reason = feed::not_ready_reason(market->status(), market->options().backfill_hold))
        return reason;
    if (!writer->healthy()) return "the database refuses writes (see the log)";
    if (auto reason = storage::check_writable(cfg.storage.path)) return *reason;
    return std::nullopt;
}

std::vector<metric_family> service::impl::metric_families() const {
    auto const e = engine->stats();
    auto const w = writer->stats();
    auto const n = sender->stats();
    auto const pages = accounts ? accounts->alert_pages().stats() : api::alert_page_cache_stats{};
    auto one = [](double v) { return std::vector<sample>{{"", v}}; };
    std::vector<metric_family> families{
        {"kryptod_ticks_total", "trades evaluated against the alerts", "counter",
         one(static_cast<double>(e.ticks))},
        {"kryptod_alerts_armed", "alerts in the in-memory index", "gauge",
         one(static_cast<double>(engine->book().size()))},
        {"kryptod_alerts_fired_total", "alert fires detected", "counter",
         one(static_cast<double>(e.fired))},
        {"kryptod_alerts_fire_commits_total", "alert fires durably recorded", "counter",
         one(static_cast<double>(e.committed))},
        {"kryptod_alerts_fire_commit_failures_total",
         "fire transactions that failed (their fires are retried)", "counter",
         one(static_cast<double>(e.commit_failures))},
        {"kryptod_alerts_fires_unrecorded", "fires detected and not yet durably recorded", "gauge",
         one(static_cast<double>(engine->unconfirmed_fires()))},
        {"kryptod_alerts_expired_total", "alerts expired", "counter",
         one(static_cast<double>(e.expired))},
        {"kryptod_notifications_total",
         "notification outcomes",
         "counter",
         {{R"(outcome="delivered")", static_cast<double>(n.delivered)},
          {R"(outcome="retried")", static_cast<double>(n.retried)},
          {R"(outcome="failed")", static_cast<double>(n.failed)},
          {R"(outcome="suppressed")", static_cast<double>(e.suppressed)}}},
        {"kryptod_storage_queue_depth", "jobs waiting for the database writer", "gauge",
         one(static_cast<double>(w.queue_depth))},
        {"kryptod_storage_jobs_total",
         "database writer jobs by outcome",
         "counter",
         {{R"(outcome="committed")", static_cast<double>(w.jobs_committed)},
          {R"(outcome="failed")", static_cast<double>(w.jobs_failed)},
          {R"(outcome="refused")", static_cast<double>(w.jobs_refused)}}},
        {"kryptod_alert_list_answers_total",
         "GET /api/alerts pages by where they came from",
         "counter",
         {{R"(source="memory")", static_cast<double>(pages.hits)},
          {R"(source="database")", static_cast<double>(pages.misses)}}},
        {"kryptod_alert_list_cache_bytes", "bytes of alert list pages kept in memory", "gauge",
         one(static_cast<double>(pages.bytes))},
    };
    for (auto& f : feed::metric_families(*market))
        families.push_back(std::move(f));
    for (auto& f : stream::metric_families(*streams))
        families.push_back(std::move(f));
    return families;
}

http::router service::impl::routes() {
    http::router r;
    r.add(http::verb::get, "/healthz", [](http::incoming in, http::responder respond) {
        respond(http::json_response(http::status::ok, {{"status", "ok"}}, in.req.version()));
    });
    r.add(http::verb::get, "/readyz", [this](http::incoming in, http::responder respond) {
        if (auto reason = not_ready_reason()) {
            respond(
                http::problem(http::status::service_unavailable, *reason, {}, in.req.version()));
            return;
        }
        respond(http::json_response(http::status::ok, {{"status", "ready"}}, in.req.version()));
    });
    r.add(http::verb::get, "/metrics", [this](http::incoming in, http::responder respond) {
        http::response res{http::status::ok, in.req.version()};
        res.set(http::bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res.body() = metrics.render(metric_families());
        res.prepare_payload();
        respond(std::move(res));
    });
    api::add_account_routes(r, accounts);
    api::add_user_routes(r, accounts);
    api::add_alert_routes(r, accounts, *engine, alert_api_settings_from(cfg));
    api::add_market_routes(r, accounts, *engine,
                           {[this] { follow_coin_list(); },
                            [this](core::symbol_id id) {
                                return recorder ? recorder->open_minute(id) : std::nullopt;
                            }});
    api::add_telegram_routes(r, accounts, *telegram);
    stream::add_stream_route(r, accounts, *engine, streams);
    api::add_openapi_route(r); // last: it checks the document against every route above
    serve_web_app(r, cfg.http.web_root);
    r.observe([this](std::string_view route, http::verb method, unsigned status) {
        metrics.record_request(route, http::bhttp::to_string(method), status);
    });
    return r;
}

// The daemon's periodic chores, on one timer. The watchdog keep-alive comes
// from the io_context thread itself, so a stuck loop stops it and the
// manager restarts the daemon; it goes on while a stop drains.
void service::impl::start_housekeeping() {
    // Keeps `systemctl status` current: feed state and counts.
    housekeeping->every(
        "status", status_period,
        [this] {
            if (!stopping) sd::status(status_line());
        },
        status_period);
    // Alert expiries and cooldown ends, and the retry of a failed fire
    // commit, within a second.
    housekeeping->every(
        "alerts", alerts_period, [this] { engine->on_clock(); }, alerts_period);
    retention_job = housekeeping->every(
        "retention", retention_period, [this] { retain_history(); }, retention_first);
    if (auto interval = sd::watchdog_interval())
        housekeeping->every(
            "watchdog", *interval, [] { sd::watchdog(); }, 0s);
    housekeeping->start();
}

// Rolls closed hours of price samples up into hourly candles, then deletes
// samples older than prices.retention_days (only rolled-up ones), hourly
// candles older than prices.hourly_retention_days and sent or failed outbox
// rows older than notify.retention_days: a small batch of each per writer
// job, off the tick path; a full batch or a rollup backlog brings the next
// one forward.
void service::impl::retain_history() {
    if (stopping || retention_running) return;
    auto const now = wall_clock_now();
    auto const cutoff = now - static_cast<core::millis>(cfg.prices.retention_days) * 86'400'000;
    auto const hourly_cutoff =
        now - static_cast<core::millis>(cfg.prices.hourly_retention_days) * 86'400'000;
    auto const outbox_cutoff =
        now - static_cast<core::millis>(cfg.notify.retention_days) * 86'400'000;
    struct purged {
        bool rollup_behind = false;
        int samples = 0;
        int hours = 0;
        std::size_t messages = 0;
    };
    auto deleted = std::make_shared<purged>();
    // The writer posts the completion to ioc: impl's lifetime covers it.
    auto const submitted = writer->submit(
        [now, cutoff, hourly_cutoff, outbox_cutoff, deleted](SQLite::Database& db) {
            deleted->rollup_behind = storage::candle_store::roll_up(db, now, rollup_coins);
            deleted->samples = storage::sample_store::delete_before(db, cutoff, retention_batch);
            deleted->hours =
                storage::candle_store::delete_hours_before(db, hourly_cutoff, retention_batch);
            deleted->messages =
                storage::outbox_store::purge_finished(db, outbox_cutoff, retention_batch);
        },
        [this, deleted](storage::status st) {
            retention_running = false;
            if (!st) log::warning("retention failed: ", st.err().message);
            if (deleted->samples > 0)
                log::debug("retention deleted ", deleted->samples, " price samples");
            if (deleted->messages > 0)
                log::debug("retention deleted ", deleted->messages, " sent notifications");
            if (deleted->hours > 0)
                log::debug("retention deleted ", deleted->hours, " hourly price candles");
            bool const backlog = deleted->rollup_behind || deleted->samples == retention_batch ||
                                 deleted->hours == retention_batch ||
                                 deleted->messages == static_cast<std::size_t>(retention_batch);
            if (backlog && !stopping) housekeeping->run_in(retention_job, retention_backlog_pause);
        });
    retention_running = submitted.ok();
}

bool service::impl::start_listener() {
    auto limits = server_limits_from(cfg);
    limits.larger_bodies.emplace_back(api::import_path, api::import_body_limit(cfg.http.max_body));
    auto const& address = cfg.http.listen;
    try {
        asio::ip::tcp::endpoint endpoint{asio::ip::make_address(address.host), address.port};
        listener = std::make_shared<http::listener>(
            ioc, endpoint, limits, routes(),
            http::trusted_proxies::parse(cfg.http.trusted_proxies));
    } catch (boost::system::system_error const& e) {
        log::error("cannot listen on ", address.host, ":", address.port, ": ", e.code().message());
        return false;
    }
    listener->report_to([](std::string_view line) { log::warning("http: ", line); });
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
        auto smtp = notify::smtp_settings_from(fresh.smtp);
        log::set_level(fresh.log.level);
        sender->reload(std::move(smtp));
        log::notice("configuration reloaded; log level ", to_string(fresh.log.level),
                    ", SMTP settings applied");
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
    streams->stop();
    market->stop();
    engine->stop();
    drain_deadline = std::chrono::steady_clock::now() + drain_timeout;
    housekeeping->every(
        "drain", drain_poll, [this] { check_drained(); }, 0s);
}

// Polls until every session has finished its answer and the writer has
// answered every fire transaction, or the deadline passes; then stores the
// feed positions (the writer commits that last job as it stops), unless a
// fire is still not durable (its retry ended with stop()): then the stored
// positions stay behind it and the next start backfills it.
void service::impl::check_drained() {
    if ((listener->active_sessions() == 0 && engine->committing_fires() == 0) ||
        std::chrono::steady_clock::now() >= drain_deadline) {
        recorder->stop();
        signals.cancel();
        housekeeping->stop();
        ioc.stop();
    }
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
    if (!s.load_state() || !s.start_accounts() || !s.start_sender() || !s.start_streams() ||
        !s.start_feed() || !s.start_listener()) {
        if (s.market) s.market->stop();
        if (s.telegram) s.telegram->stop();
        if (s.streams) s.streams->stop();
        if (s.sender) s.sender->stop();
        if (s.accounts) s.accounts->stop();
        s.writer->stop();
        return 1;
    }
    s.start_housekeeping();
    s.do_wait_signal();

    auto const listening = endpoint_text(s.listener->local_endpoint());
    auto const took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    log::notice("ready: listening on ", listening, "; ", s.startup_summary, " (start-up took ",
                took.count(), " ms)");
    sd::ready("listening on " + listening + "; " + s.status_line());

    s.ioc.run();

    s.telegram->stop();
    s.streams->stop();
    s.sender->stop();
    s.accounts->stop();
    s.writer->stop();
    log::notice("stopped");
    return 0;
}

} // namespace kryptod::daemon
