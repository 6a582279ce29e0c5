// notify::outbox_sender: the sender's thread. Wait on the inbox; record what
// the lanes reported; take a claim's rows into hand; claim when woken, when
// a claim came back full, when room opened or a retry is due; hand held
// rows to their channels round robin within the caps and the breaker. See
// the header for the design.
#include "daemon/notify/outbox_sender.hpp"

#include "daemon/backoff.hpp"
#include "daemon/clock.hpp"
#include "daemon/log.hpp"
#include "daemon/notify/channel_table.hpp"
#include "daemon/notify/circuit_breaker.hpp"
#include "daemon/notify/http_lane.hpp"
#include "daemon/notify/notice.hpp"
#include "storage/alert_store.hpp"
#include "storage/database.hpp"
#include "storage/user_store.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <unordered_map>

namespace kryptod::daemon::notify {

namespace {

using storage::outbox_store::message;
using namespace std::chrono_literals;

// Rows of one user on one channel wait in one queue; see the fairness rule.
using queue_key = std::pair<core::user_id, core::channel>;

} // namespace

struct outbox_sender::inbox {
    struct report {
        std::int64_t row = 0;
        delivery_result result;
    };

    std::mutex mutex;
    std::condition_variable changed;
    bool woken = false;
    bool stopping = false;
    std::optional<smtp_settings> smtp;                          // reload()
    std::vector<report> reports;                                // from the lanes
    std::optional<std::optional<std::vector<message>>> claimed; // a claim came back
};

class outbox_sender::worker {
public:
    worker(outbox_sender& owner, SQLite::Database reader, smtp_settings smtp)
        : o_(owner)
        , inbox_(owner.inbox_)
        , reader_(std::move(reader))
        , http_(http_lane_options{owner.options_.webhook_allow_private,
                                  owner.options_.webhook_connect_timeout,
                                  owner.options_.webhook_timeout,
                                  {}})
        , channels_(make_channels(
              channel_context{http_, std::move(smtp), owner.options_.telegram, owner.database_}))
        , breaker_(breaker_options{
              owner.options_.breaker_threshold, owner.options_.retry_base,
              std::min<std::chrono::milliseconds>(owner.options_.retry_max, 300000ms)})
        , rng_(std::random_device{}()) {
        http_.start();
    }

    void run() {
        want_claim_ = true; // whatever is already due, and a dead predecessor's leases
        for (;;) {
            std::vector<inbox::report> reports;
            std::optional<std::optional<std::vector<message>>> claimed;
            std::optional<smtp_settings> reload;
            {
                inbox& in = *inbox_;
                std::unique_lock lock(in.mutex);
                in.changed.wait_for(lock, until_timer(), [&] {
                    return in.stopping || in.woken || !in.reports.empty() || in.claimed ||
                           in.smtp || (want_claim_ && can_claim());
                });
                if (in.stopping) break;
                if (in.woken) want_claim_ = true;
                in.woken = false;
                reports.swap(in.reports);
                claimed.swap(in.claimed);
                reload.swap(in.smtp);
            }
            if (reload)
                for (auto& c : channels_)
                    c->reload(*reload);
            for (auto& r : reports)
                finish(r.row, std::move(r.result), true);
            if (claimed) take(std::move(*claimed));
            if (timer_due()) {
                want_claim_ = true;
                if (!can_claim()) {
                    // Full hands or a claim out: room or its answer brings
                    // the next claim; the timer must not spin meanwhile.
                    more_due_ = true;
                    last_claim_at_ = now();
                    if (next_retry_ && *next_retry_ <= last_claim_at_) next_retry_.reset();
                }
            }
            if (want_claim_ && can_claim()) claim();
            dispatch();
        }
        shut_down();
    }

private:
    // A claimed row the sender holds until its outcome is recorded.
    struct held {
        message row;
        std::optional<notice> what; // decoded when first planned
        plan how;                   // set when planned
        bool planned = false;
        bool in_flight = false;
    };

    sender_options const& options() const { return o_.options_; }
    core::millis now() const { return options().clock ? options().clock() : wall_clock_now(); }
    std::size_t max_in_hand() const { return 4 * static_cast<std::size_t>(options().batch); }
    std::size_t user_threshold() const {
        return static_cast<std::size_t>(std::max(1, options().batch / 2));
    }

    bool can_claim() const { return !claim_out_ && held_.size() < max_in_hand(); }

    // ------------------------------------------------------------ timer
    core::millis timer_at() const {
        core::millis at = last_claim_at_ + options().idle_poll.count();
        if (next_retry_) at = std::min(at, *next_retry_ + 1);
        for (auto const& [where, until] : paused_until_)
            at = std::min(at, until);
        return at;
    }
    bool timer_due() const { return now() >= timer_at(); }
    std::chrono::milliseconds until_timer() const {
        return std::chrono::milliseconds(std::max<core::millis>(0, timer_at() - now()));
    }

    // ------------------------------------------------------------ claims
    void claim() {
        core::millis const t = now();
        // The first claim may take as many rows as the sender can hold: a
        // dead predecessor held no more (see below). Later ones take a batch.
        std::size_t const room = max_in_hand() - held_.size();
        int const limit = static_cast<int>(
            first_claim_ ? room
                         : std::min<std::size_t>(static_cast<std::size_t>(options().batch), room));
        core::millis const lease = options().lease.count();
        // The first claim also takes over the rows a previous process
        // claimed and never marked (killed between the server's acceptance
        // and the mark): that process is gone, and waiting out its lease
        // would hold those notifications back for up to `lease`. It claims
        // as if one lease later, with no extra lease, so every row it takes
        // is leased until t + lease as usual. A dead sender held at most
        // 4 x batch rows, which this first claim can take in one go (the
        // rows due now come first, as before). Retries due within the lease
        // come along, sent early once; the rows' updated_at reads one lease
        // ahead until they are marked. Only the first claim does this: a
        // later one would retry, over and over, rows this sender has just
        // failed.
        core::millis const as_of = first_claim_ ? t + lease : t;
        core::millis const lease_from_then = first_claim_ ? 0 : lease;
        std::vector<core::user_id> skip;
        for (auto const& [user, count] : held_by_user_)
            if (count > user_threshold()) skip.push_back(user);
        int const per_user = first_claim_ ? limit : options().batch;
        want_claim_ = false;
        claim_out_ = true;
        last_claim_at_ = t;
        if (next_retry_ && *next_retry_ <= t) next_retry_.reset();
        more_due_ = !skip.empty(); // until the claim says otherwise
        last_limit_ = limit;
        last_per_user_ = per_user;
        std::shared_ptr<inbox> in = inbox_;
        bool const queued = submit_retrying<std::vector<message>>(
            [as_of, limit, per_user, skip, lease_from_then](SQLite::Database& db) {
                return storage::outbox_store::claim_due_fair(db, as_of, limit, per_user, skip,
                                                             lease_from_then);
            },
            // Runs wherever the writer posts completions (the daemon's
            // io_context), possibly after the sender stopped: stop() never
            // waits for it (the rows of an unconfirmed claim stay leased and
            // come back after the lease, as after a crash), and the inbox it
            // writes to is shared, not the sender's.
            [in](storage::result<std::vector<message>> r) {
                std::optional<std::vector<message>> rows;
                if (r)
                    rows = std::move(r).value();
                else
                    log::warning("notify: claiming due notifications failed: ", r.err().message);
                {
                    std::lock_guard lock(in->mutex);
                    in->claimed = std::move(rows);
                }
                in->changed.notify_one();
            },
            "claiming due notifications");
        if (!queued) claim_out_ = false;
    }

    void take(std::optional<std::vector<message>> rows) {
        claim_out_ = false;
        if (!rows) return; // logged; the timer tries again

        first_claim_ = false;
        // Rows may be left behind when the claim was full or gave some user
        // all it could take.
        std::unordered_map<core::user_id, int> per_user;
        for (auto const& m : *rows)
            ++per_user[m.user];
        bool const capped = std::any_of(per_user.begin(), per_user.end(), [this](auto const& u) {
            return u.second >= last_per_user_;
        });
        if (static_cast<int>(rows->size()) >= last_limit_ || capped) {
            more_due_ = true;
            want_claim_ = true;
        }
        for (auto& m : *rows) {
            if (held_.count(m.id) != 0) continue; // still ours from an earlier claim
            queue_key const key{m.user, m.channel};
            ++held_by_user_[m.user];
            auto& q = queues_[key];
            if (q.empty()) ring_.push_back(key);
            q.push_back(m.id);
            std::int64_t const id = m.id;
            held_.emplace(id, held{std::move(m), std::nullopt, {}, false, false});
        }
    }

    // ------------------------------------------------------------ dispatch
    // Hands held rows to their channels: one per (user, channel) queue per
    // turn, until a turn hands none.
    void dispatch() {
        core::millis const t = now();
        std::erase_if(paused_until_, [t](auto const& p) { return p.second <= t; });
        for (bool moved = true; moved;) {
            moved = false;
            std::size_t const turns = ring_.size();
            for (std::size_t i = 0; i < turns; ++i) {
                queue_key const key = ring_.front();
                ring_.pop_front();
                auto& q = queues_[key];
                if (step(q)) moved = true;
                if (q.empty())
                    queues_.erase(key);
                else
                    ring_.push_back(key);
            }
        }
    }

    // Handles the front of one queue; true when it left the queue.
    bool step(std::deque<std::int64_t>& q) {
        std::int64_t const id = q.front();
        held& h = held_.at(id);
        core::millis const t = now();
        if (!h.planned && !plan_for(h, t)) {
            q.pop_front();
            finish(id, std::move(h.how.refused), false);
            return true;
        }
        std::string const& where = h.how.destination;
        auto const verdict = breaker_.admit(where, t);
        if (verdict == circuit_breaker::verdict::skip) {
            q.pop_front();
            finish(id,
                   {delivery_outcome::temporary, 0, where + " is not answering (breaker open)",
                    "destination unavailable"},
                   false);
            return true;
        }
        if (verdict == circuit_breaker::verdict::wait) return false;
        // The destination asked for a pause (Retry-After): wait it out in hand.
        if (auto p = paused_until_.find(where); p != paused_until_.end() && p->second > t)
            return false;
        if (verdict == circuit_breaker::verdict::pass && in_flight_[where] >= h.how.max_in_flight)
            return false;
        q.pop_front();
        h.in_flight = true;
        ++in_flight_[where];
        // The channel calls back from its lane, at the latest while it is
        // being stopped in shut_down().
        h.how.start([in = inbox_, id](delivery_result r) {
            {
                std::lock_guard lock(in->mutex);
                in->reports.push_back({id, std::move(r)});
            }
            in->changed.notify_one();
        });
        return true;
    }

    // Decodes the row, looks up its recipient, asks its channel. False when
    // the row cannot be sent (h.how.refused says why).
    bool plan_for(held& h, core::millis t) {
        h.planned = true;
        auto decoded = decode(h.row.payload);
        if (!decoded.value) {
            // kryptod's own words about its own payload: nothing of the
            // network in them, and the user may need them (an emailed token
            // lost to a restart says to ask for a new email).
            h.how.refused = {delivery_outcome::permanent, 0, decoded.error,
                             "invalid message: " + decoded.error};
            return false;
        }
        h.what = std::move(decoded.value);
        channel* ch = channel_for(h.row.channel);
        if (ch == nullptr) {
            h.how.refused = {delivery_outcome::permanent, 0, "no such channel in this kryptod",
                             "channel not available"};
            return false;
        }
        std::optional<storage::user_store::user_record> user;
        if (std::holds_alternative<alert_notice>(*h.what)) {
            user = recipient(h.row, h.how.refused);
            if (!user) return false;
        }
        h.how = ch->prepare(attempt{h.row, *h.what, user ? &*user : nullptr, t});
        return static_cast<bool>(h.how.start);
    }

    channel* channel_for(core::channel id) const {
        for (auto const& c : channels_)
            if (c->id() == id) return c.get();
        return nullptr;
    }

    std::optional<storage::user_store::user_record> recipient(message const& m,
                                                              delivery_result& failure) {
        auto found = storage::attempt([&] { return storage::user_store::get(reader_, m.user); });
        if (!found) {
            failure = {delivery_outcome::temporary, 0,
                       "cannot read the recipient: " + found.err().message, "internal error"};
            return std::nullopt;
        }
        if (!found.value()) {
            failure = {delivery_outcome::permanent, 0, "the user no longer exists", "no such user"};
            return std::nullopt;
        }
        if (found.value()->disabled) {
            failure = {delivery_outcome::permanent, 0, "the user is disabled", "user disabled"};
            return std::nullopt;
        }
        return std::move(found).value();
    }

    // ------------------------------------------------------------ outcomes
    // Records an attempt's outcome and lets go of the row. `attempted`: it
    // went through a lane (the breaker and the caps count it).
    void finish(std::int64_t id, delivery_result r, bool attempted) {
        auto it = held_.find(id);
        if (it == held_.end()) return;
        held h = std::move(it->second);
        held_.erase(it);
        message const& m = h.row;
        core::millis const t = now();
        if (attempted) {
            std::string const& where = h.how.destination;
            if (--in_flight_[where] == 0) in_flight_.erase(where);
            breaker_.record(where, !r.unreachable(), t);
            if (r.retry_after.count() > 0) {
                core::millis& until = paused_until_[where];
                until = std::max(until, t + r.retry_after.count());
            }
        }
        if (--held_by_user_[m.user] == 0) held_by_user_.erase(m.user);
        if (more_due_ &&
            (held_.size() == max_in_hand() / 2 ||
             (held_by_user_.count(m.user) != 0 && held_by_user_[m.user] == user_threshold())))
            want_claim_ = true;
        if (more_due_ && held_by_user_.count(m.user) == 0) want_claim_ = true;

        bool const delivered = r.delivered();
        bool const final = delivered || r.outcome == delivery_outcome::permanent ||
                           m.attempts >= options().max_attempts;
        // A service that said when to come back (Retry-After) is taken at
        // its word; otherwise the backoff guesses.
        core::millis const retry_at =
            r.retry_after.count() > 0
                ? t + r.retry_after.count()
                : t + retry_delay(m.attempts, options().retry_base, options().retry_max,
                                  std::uniform_real_distribution<double>(0.0, 1.0)(rng_))
                          .count();
        // What the user sees: coarse, never the details of the network.
        std::string const summary = r.summary.empty() ? std::string("delivery failed") : r.summary;
        std::string const outcome =
            delivered ? std::string("delivered") : (final ? "failed: " : "retrying: ") + summary;
        int const max = r.outcome == delivery_outcome::permanent ? 0 : options().max_attempts;
        std::optional<core::alert_id> const alert_id = m.alert;
        core::channel const ch = m.channel;
        int const attempt = m.attempts;
        submit_write(
            [=](SQLite::Database& db) {
                if (delivered)
                    storage::outbox_store::mark_delivered(db, id, t);
                else
                    storage::outbox_store::mark_attempt_failed(db, id, summary, retry_at, max, t);
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

        // The log has the details the user's event leaves out.
        std::string const logged = delivered ? outcome : outcome + " (" + r.detail + ")";
        log_level const level =
            delivered ? log_level::info : (final ? log_level::warning : log_level::notice);
        auto const* alert = h.what ? std::get_if<alert_notice>(&*h.what) : nullptr;
        if (alert != nullptr && alert_id)
            log::alert(level, *alert_id, m.user, alert->symbol, "notify: ", core::to_string(ch),
                       " attempt ", attempt, " ", log::one_line(logged));
        else
            log::at(level, "notify: outbox message ", id, " (", core::to_string(ch), ") attempt ",
                    attempt, " ", log::one_line(logged));
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

    // ------------------------------------------------------------ stopping
    // The email in hand is finished and recorded; every other held row goes
    // back to the queue, due at once. Their claim counted an attempt;
    // allowing one more keeps them from failing for it. An HTTP transfer
    // abandoned here may have reached its server: it is sent again under
    // the same delivery id, as after a crash.
    void shut_down() {
        for (auto& c : channels_)
            c->stop();
        http_.stop();
        std::vector<inbox::report> reports;
        {
            std::lock_guard lock(inbox_->mutex);
            reports.swap(inbox_->reports);
        }
        for (auto& r : reports)
            finish(r.row, std::move(r.result), true);
        if (held_.empty()) return;
        std::vector<std::int64_t> rest;
        for (auto const& [id, h] : held_)
            rest.push_back(id);
        core::millis const t = now();
        int const max = options().max_attempts + 1;
        submit_write(
            [rest = std::move(rest), t, max](SQLite::Database& db) {
                for (auto id : rest)
                    storage::outbox_store::mark_attempt_failed(
                        db, id, "not attempted: kryptod stopped", t, max, t);
            },
            "returning unsent notifications");
    }

    bool stopping() const {
        std::lock_guard lock(inbox_->mutex);
        return inbox_->stopping;
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

    outbox_sender& o_;
    std::shared_ptr<inbox> inbox_;
    SQLite::Database reader_;
    http_lane http_;
    std::vector<std::unique_ptr<channel>> channels_;
    circuit_breaker breaker_;
    std::mt19937_64 rng_;

    std::unordered_map<std::int64_t, held> held_; // claimed, outcome not yet recorded
    std::map<queue_key, std::deque<std::int64_t>> queues_;
    std::deque<queue_key> ring_; // the queues with rows, in turn order
    std::unordered_map<core::user_id, std::size_t> held_by_user_;
    std::unordered_map<std::string, std::size_t> in_flight_; // by destination
    // Destinations that asked to be left alone (Retry-After), until when.
    std::unordered_map<std::string, core::millis> paused_until_;

    bool first_claim_ = true; // takes over a dead predecessor's leases
    bool claim_out_ = false;  // a claim is with the writer
    bool want_claim_ = false;
    bool more_due_ = false; // the last claim may have left due rows behind
    int last_limit_ = 0;    // of the claim out
    int last_per_user_ = 0; // likewise
    core::millis last_claim_at_ = 0;
    std::optional<core::millis> next_retry_; // earliest retry this sender scheduled
};

outbox_sender::outbox_sender(std::filesystem::path database, storage::writer& writer,
                             smtp_settings smtp, sender_options options)
    : database_(std::move(database))
    , writer_(writer)
    , options_(std::move(options))
    , inbox_(std::make_shared<inbox>())
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
    worker_ = std::make_shared<worker>(*this, storage::open_reader(database_), initial_smtp_);
    thread_ = std::thread([w = worker_] {
        try {
            w->run();
        } catch (std::exception const& e) {
            // Nothing in run() is expected to throw; a bug must not take the
            // daemon down with std::terminate, but it must be loud.
            log::error("notify: the outbox sender stopped: ", e.what());
        }
    });
}

void outbox_sender::wake() {
    {
        std::lock_guard lock(inbox_->mutex);
        inbox_->woken = true;
    }
    inbox_->changed.notify_one();
}

void outbox_sender::reload(smtp_settings smtp) {
    {
        std::lock_guard lock(inbox_->mutex);
        inbox_->smtp = std::move(smtp);
    }
    inbox_->changed.notify_one();
}

void outbox_sender::stop() {
    {
        std::lock_guard lock(inbox_->mutex);
        inbox_->stopping = true;
    }
    inbox_->changed.notify_one();
    if (thread_.joinable()) thread_.join();
    worker_.reset();
}

sender_stats outbox_sender::stats() const {
    return {delivered_.load(std::memory_order_relaxed), retried_.load(std::memory_order_relaxed),
            failed_.load(std::memory_order_relaxed)};
}

} // namespace kryptod::daemon::notify
