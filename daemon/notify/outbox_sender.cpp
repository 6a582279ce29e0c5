// notify::outbox_sender: the sender's thread. Claim a batch (writer job,
// waited for), deliver each row, hand its outcome to the writer, repeat;
// sleep on a condition variable until notify(), the next retry we scheduled
// or the idle poll.
#include "daemon/notify/outbox_sender.hpp"

#include "daemon/log.hpp"
#include "daemon/notify/backoff.hpp"
#include "daemon/notify/email_message.hpp"
#include "daemon/notify/notice.hpp"
#include "daemon/notify/webhook_client.hpp"
#include "storage/alert_store.hpp"
#include "storage/database.hpp"
#include "storage/outbox_store.hpp"
#include "storage/user_store.hpp"

#include <algorithm>
#include <future>
#include <random>
#include <vector>

namespace kryptod::daemon::notify {

namespace {

using storage::outbox_store::message;
using namespace std::chrono_literals;

core::millis system_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

sender_options sender_options_from(config::notify_section const& notify) {
    sender_options o;
    o.max_attempts = static_cast<int>(notify.max_attempts);
    o.webhook_allow_private = notify.webhook_allow_private;
    o.retry_base = notify.retry_base;
    o.retry_max = notify.retry_max;
    return o;
}

class outbox_sender::worker {
public:
    worker(outbox_sender& owner, SQLite::Database reader, smtp_settings smtp)
        : o_(owner)
        , reader_(std::move(reader))
        , smtp_(std::move(smtp))
        , webhook_(webhook_options{
              owner.options_.webhook_allow_private, owner.options_.webhook_timeout, {}})
        , rng_(std::random_device{}()) {}

    void run() {
        for (;;) {
            std::optional<smtp_settings> reload;
            {
                std::lock_guard lock(o_.mutex_);
                if (o_.stopping_) return;
                o_.woken_ = false;
                reload.swap(o_.pending_smtp_);
            }
            if (reload) {
                smtp_.configure(std::move(*reload));
                log::info("notify: SMTP settings reloaded (", smtp_.settings().url, ")");
            }
            auto const claimed = claim();
            if (claimed) {
                process(*claimed);
                if (static_cast<int>(claimed->size()) == options().batch) continue;
            }
            sleep();
        }
    }

private:
    sender_options const& options() const { return o_.options_; }
    core::millis now() const { return options().clock ? options().clock() : system_now(); }

    bool stopping() const {
        std::lock_guard lock(o_.mutex_);
        return o_.stopping_;
    }

    // Runs `work` as a writer job and waits for its commit. nullopt when the
    // writer refused it, the transaction failed (logged) or the sender is
    // stopping.
    template <class T>
    std::optional<T> run_job(std::function<T(SQLite::Database&)> work, char const* what) {
        auto done = std::make_shared<std::promise<storage::result<T>>>();
        auto future = done->get_future();
        if (!submit_retrying<T>(
                std::move(work), [done](storage::result<T> r) { done->set_value(std::move(r)); },
                what))
            return std::nullopt;
        // Its completion arrives through the writer's `post` (the daemon's
        // io_context). stop() may be called from that very thread, so a
        // stopping sender does not wait for it: the rows of an unconfirmed
        // claim stay leased and come back after the lease, as after a crash.
        while (future.wait_for(50ms) != std::future_status::ready)
            if (stopping()) return std::nullopt;
        auto r = future.get();
        if (!r) {
            log::warning("notify: ", what, " failed: ", r.err().message);
            return std::nullopt;
        }
        return std::move(r).value();
    }

    // Hands a job to the writer, waiting out a full queue (a burst of API
    // writes) rather than dropping an outcome. False when the writer is
    // stopped or stays full while the sender is stopping.
    template <class T>
    bool submit_retrying(std::function<T(SQLite::Database&)> work,
                         std::function<void(storage::result<T>)> done, char const* what) {
        for (int tries = 0;; ++tries) {
            auto const s = o_.writer_.template submit<T>(work, done);
            if (s) return true;
            if (s.err().code != storage::errc::queue_full || (stopping() && tries > 500)) {
                log::warning("notify: ", what, " not queued: ", s.err().message);
                return false;
            }
            std::this_thread::sleep_for(10ms);
        }
    }

    bool submit_write(std::function<void(SQLite::Database&)> work, char const* what) {
        return submit_retrying<bool>(
            [work = std::move(work)](SQLite::Database& db) {
                work(db);
                return true;
            },
            [what](storage::result<bool> r) {
                if (!r) log::warning("notify: ", what, " failed: ", r.err().message);
            },
            what);
    }

    std::optional<std::vector<message>> claim() {
        core::millis const t = now();
        int const limit = options().batch;
        core::millis const lease = options().lease.count();
        // The first claim also takes over the rows a previous process
        // claimed and never marked (killed between the server's acceptance
        // and the mark): that process is gone, and waiting out its lease
        // would hold those notifications back for up to `lease`. It claims
        // as if one lease later, with no extra lease, so every row it takes
        // is leased until t + lease as usual. A dead sender holds at most one
        // batch (it claims the next only after its marks, the writer keeping
        // jobs in order); retries due within the lease come along, sent early
        // once; the rows' updated_at reads one lease ahead until they are
        // marked. Only the first claim does this: a later one would retry,
        // over and over, rows this sender has just failed.
        core::millis const as_of = first_claim_ ? t + lease : t;
        core::millis const lease_from_then = first_claim_ ? 0 : lease;
        auto claimed = run_job<std::vector<message>>(
            [as_of, limit, lease_from_then](SQLite::Database& db) {
                return storage::outbox_store::claim_due(db, as_of, limit, lease_from_then);
            },
            "claiming due notifications");
        if (claimed) first_claim_ = false;
        // Whatever was due by now has just been claimed (or is leased by
        // someone else); a stale time here would make sleep() spin.
        if (claimed && next_retry_ && *next_retry_ <= t) next_retry_.reset();
        return claimed;
    }

    void sleep() {
        core::millis const t = now();
        auto wait = options().idle_poll;
        if (next_retry_)
            wait = std::min(
                wait, std::chrono::milliseconds(std::max<core::millis>(0, *next_retry_ - t + 1)));
        std::unique_lock lock(o_.mutex_);
        o_.wake_.wait_for(lock, wait, [this] { return o_.stopping_ || o_.woken_; });
    }

    void process(std::vector<message> const& batch) {
        smtp_down_.reset();
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (stopping()) {
                release({batch.begin() + static_cast<std::ptrdiff_t>(i), batch.end()});
                return;
            }
            deliver(batch[i]);
        }
    }

    // Gives claimed but unattempted rows back, due at once. Their claim
    // counted an attempt; allowing one more keeps them from failing for it.
    void release(std::vector<message> rest) {
        core::millis const t = now();
        int const max = options().max_attempts + 1;
        submit_write(
            [rest = std::move(rest), t, max](SQLite::Database& db) {
                for (auto const& m : rest)
                    storage::outbox_store::mark_attempt_failed(
                        db, m.id, "not attempted: kryptod stopped", t, max, t);
            },
            "returning unsent notifications");
    }

    void deliver(message const& m) {
        core::millis const t = now();
        auto decoded = decode(m.payload);
        if (!decoded.value)
            return finish(m, {delivery_outcome::permanent, 0, decoded.error}, nullptr);
        alert_notice const* alert = std::get_if<alert_notice>(&*decoded.value);

        delivery_result r;
        if (m.channel == core::channel::email)
            r = send_email(m, *decoded.value, t);
        else if (alert == nullptr)
            r = {delivery_outcome::permanent, 0, "account messages go by email only"};
        else
            r = send_webhook(m, *alert, t);
        finish(m, std::move(r), alert);
    }

    std::optional<storage::user_store::user_record> recipient(message const& m,
                                                              delivery_result& failure) {
        auto found = storage::attempt([&] { return storage::user_store::get(reader_, m.user); });
        if (!found) {
            failure = {delivery_outcome::temporary, 0,
                       "cannot read the recipient: " + found.err().message};
            return std::nullopt;
        }
        if (!found.value()) {
            failure = {delivery_outcome::permanent, 0, "the user no longer exists"};
            return std::nullopt;
        }
        if (found.value()->disabled) {
            failure = {delivery_outcome::permanent, 0, "the user is disabled"};
            return std::nullopt;
        }
        return std::move(found).value();
    }

    delivery_result send_email(message const& m, notice const& n, core::millis t) {
        std::string const id = message_id_for(m.id, m.delivery_id);
        std::string const& from = smtp_.settings().from;
        email_result built;
        if (auto const* alert = std::get_if<alert_notice>(&n)) {
            delivery_result failure;
            auto const user = recipient(m, failure);
            if (!user) return failure;
            built = render_alert_email(*alert, from, user->email, id, t);
        } else {
            built = render_account_email(std::get<account_email>(n), from, id, t);
        }
        if (!built.value) return {delivery_outcome::permanent, 0, built.error};
        // The server did not answer a moment ago: the rest of the batch would
        // only wait out the same timeout, one by one.
        if (smtp_down_) return *smtp_down_;
        auto r = smtp_.send(*built.value);
        if (r.unreachable()) smtp_down_ = r;
        return r;
    }

    delivery_result send_webhook(message const& m, alert_notice const& n, core::millis t) {
        delivery_result failure;
        auto const user = recipient(m, failure);
        if (!user) return failure;
        if (!user->webhook_url || user->webhook_url->empty())
            return {delivery_outcome::permanent, 0, "the user has no webhook_url"};
        webhook_request req;
        req.url = *user->webhook_url;
        req.secret = user->webhook_secret.value_or("");
        req.delivery_id = m.delivery_id;
        req.timestamp = t / 1000;
        req.body = webhook_body(n, m.delivery_id);
        return webhook_.post(req);
    }

    void finish(message const& m, delivery_result r, alert_notice const* alert) {
        core::millis const t = now();
        bool const delivered = r.delivered();
        bool const final = delivered || r.outcome == delivery_outcome::permanent ||
                           m.attempts >= options().max_attempts;
        core::millis const retry_at =
            t + retry_delay(m.attempts, options().retry_base, options().retry_max,
                            std::uniform_real_distribution<double>(0.0, 1.0)(rng_))
                    .count();
        std::string const outcome =
            delivered ? std::string("delivered") : (final ? "failed: " : "retrying: ") + r.detail;
        int const max = r.outcome == delivery_outcome::permanent ? 0 : options().max_attempts;
        std::int64_t const id = m.id;
        std::optional<core::alert_id> const alert_id = m.alert;
        core::channel const ch = m.channel;
        int const attempt = m.attempts;
        std::string const reason = r.detail;
        submit_write(
            [=](SQLite::Database& db) {
                if (delivered)
                    storage::outbox_store::mark_delivered(db, id, t);
                else
                    storage::outbox_store::mark_attempt_failed(db, id, reason, retry_at, max, t);
                if (!alert_id) return;
                storage::alert_store::event_record ev;
                ev.alert = *alert_id;
                ev.type = storage::alert_store::event_type::notified;
                ev.time = t;
                ev.channel = ch;
                ev.attempt = attempt;
                ev.outcome = outcome;
                storage::alert_store::add_event(db, ev);
            },
            "recording a delivery outcome");

        if (delivered)
            o_.delivered_.fetch_add(1, std::memory_order_relaxed);
        else if (final)
            o_.failed_.fetch_add(1, std::memory_order_relaxed);
        else
            o_.retried_.fetch_add(1, std::memory_order_relaxed);
        if (!final && (!next_retry_ || retry_at < *next_retry_)) next_retry_ = retry_at;

        log_level const level =
            delivered ? log_level::info : (final ? log_level::warning : log_level::notice);
        if (alert)
            log::alert(level, *alert_id, m.user, alert->symbol, "notify: ", core::to_string(ch),
                       " attempt ", attempt, " ", outcome);
        else
            log::at(level, "notify: outbox message ", id, " (", core::to_string(ch), ") attempt ",
                    attempt, " ", log::one_line(outcome));
        report(m, r.outcome, final, r.detail);
    }

    void report(message const& m, delivery_outcome outcome, bool final, std::string detail) {
        if (!options().on_attempt) return;
        attempt_report rep;
        rep.outbox_id = m.id;
        rep.channel = m.channel;
        rep.alert = m.alert;
        rep.attempt = m.attempts;
        rep.outcome = outcome;
        rep.final = final;
        rep.detail = std::move(detail);
        options().on_attempt(rep);
    }

    outbox_sender& o_;
    SQLite::Database reader_;
    smtp_client smtp_;
    webhook_client webhook_;
    std::mt19937_64 rng_;
    bool first_claim_ = true;                  // takes over a dead predecessor's leases
    std::optional<core::millis> next_retry_;   // earliest retry this sender scheduled
    std::optional<delivery_result> smtp_down_; // the batch's unreachable server, if so
};

outbox_sender::outbox_sender(std::filesystem::path database, storage::writer& writer,
                             smtp_settings smtp, sender_options options)
    : database_(std::move(database))
    , writer_(writer)
    , options_(std::move(options))
    , initial_smtp_(std::move(smtp)) {
    options_.batch = std::max(1, options_.batch);
    options_.max_attempts = std::max(1, options_.max_attempts);
    if (options_.retry_base <= 0ms) options_.retry_base = 1ms;
    if (options_.retry_max < options_.retry_base) options_.retry_max = options_.retry_base;
}

outbox_sender::~outbox_sender() {
    stop();
}

void outbox_sender::start() {
    auto w = std::make_shared<worker>(*this, storage::open_reader(database_), initial_smtp_);
    thread_ = std::thread([w] {
        try {
            w->run();
        } catch (std::exception const& e) {
            // Nothing in run() is expected to throw; a bug must not take the
            // daemon down with std::terminate, but it must be loud.
            log::error("notify: the outbox sender stopped: ", e.what());
        }
    });
}

void outbox_sender::notify() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    wake_.notify_one();
}

void outbox_sender::reload(smtp_settings smtp) {
    {
        std::lock_guard lock(mutex_);
        pending_smtp_ = std::move(smtp);
        woken_ = true;
    }
    wake_.notify_one();
}

void outbox_sender::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

sender_stats outbox_sender::stats() const {
    return {delivered_.load(std::memory_order_relaxed), retried_.load(std::memory_order_relaxed),
            failed_.load(std::memory_order_relaxed)};
}

} // namespace kryptod::daemon::notify
