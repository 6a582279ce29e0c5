// notify::outbox_sender: drains kryptod's outbox (SPEC §5) so that no
// channel, destination or user can hold up anyone else's notifications.
//
// The outbox table is the durable queue: a fire commits its outbox rows with
// the trigger, and this sender delivers them off the io_context thread. Each
// row is claimed (a writer job that counts the attempt and leases the row),
// handed to its channel, then marked when the channel reports: delivered,
// or failed with a retry time from notify.retry_base doubling up to
// notify.retry_max with jitter, or failed for good after a permanent error
// or notify.max_attempts attempts. Each attempt on an alert notification
// becomes a `notified` event whose outcome is coarse ("delivered",
// "retrying: timeout", "failed: refused: private address", "retrying: HTTP
// 500"); what a failure reveals of the daemon's network (addresses, server
// replies, timings) goes to the log only.
//
// Design (threads, lanes, fairness, breaker, wake-up):
// - Lanes. The sender's own thread only decides: it claims, plans and
//   records, and never waits on the network. Deliveries run in lanes:
//   email on the email channel's thread over one kept-open SMTP connection
//   (a slow webhook never delays mail), every HTTP channel on the shared
//   http_lane, a libcurl multi handle with any number of transfers at
//   once, a 3 s connect deadline and a 5 s whole-request deadline. A lane
//   reports each attempt back through the sender's inbox.
// - Fairness. Claims are round robin by user: each user's oldest due row
//   before anyone's second, at most `batch` rows of one user per claim,
//   and a user who still holds more than batch / 2 claimed rows is left
//   out of the next claim. Held rows are queued per (user, channel) and
//   handed to the lanes one per queue per turn, so one user's hundred rows
//   wait behind each other, not in front of someone else's one. In-hand
//   rows are bounded (4 x batch), which keeps each well inside its lease.
// - Caps and breaker. Each channel names an attempt's destination (a
//   webhook's scheme://host:port, the SMTP server) and how many attempts to
//   it may be out at once; rows over the cap wait in hand. A destination
//   that leaves `breaker.threshold` attempts in a row without any answer is
//   skipped for a cooldown (notify.retry_base doubling, at most 5 min):
//   its rows fail at once as "retrying: destination unavailable" without
//   using a lane; after the cooldown one probe goes through.
// - Rate limits. A service that answers "too many" with Retry-After (or
//   its own equivalent, see each channel) is taken at its word: that row
//   is retried then rather than after the backoff, and the destination's
//   other rows wait in hand until then (at most 5 min, http_outcome.hpp).
// - Wake-up. The daemon calls wake() after it commits outbox rows; the
//   sender then claims at once. Otherwise it sleeps on its inbox until a
//   lane reports, a claim's commit comes back, the earliest retry it
//   scheduled is due or, as a fallback for rows queued without a wake() and
//   retries due after a restart, idle_poll passes. Nothing polls.
//
// Database access: reads (the recipient's email and channel settings) go
// through the sender's own read-only connection; every write (claim, mark,
// events) is a storage::writer job, so the writer stays the one connection
// that writes. A claim's rows are used only after its commit, so a sent
// message was durably counted first.
//
// A row that cannot be sent as it stands fails at once, without retries: a
// payload that does not decode, a recipient who no longer exists or is
// disabled, an address that is not a plain address, a webhook, Discord,
// Slack or ntfy row of a user without that setting any more ("discord is
// not set up"), a refused or invalid target.
//
// Delivery is at least once with a stable id: a crash between the server's
// acceptance and the mark leaves the row leased; the next sender's first
// claim takes it over at once (a restarted daemon does not wait out the
// lease; hence one running sender per database) and sends it again with the
// same Message-ID / X-Kryptod-Delivery, so a receiver sees at most one
// duplicate, recognisable by that id.
//
// The per-user cap (notify.max_per_user_per_hour) is not applied here: the
// fire path applies it when it queues alert notifications (see
// daemon/live_alerts.hpp), so every row in the outbox is meant to be sent
// and a notification is never counted against the cap twice.
//
// Thread-safety: start(), wake(), reload(), stop() and stats() may be
// called from any thread; everything else happens on the sender's thread.
// The writer must outlive the sender (stop the sender first). stop() may be
// called from the thread that runs the writer's completions (the io_context):
// it never waits for one.
#pragma once

#include "core/alert.hpp"
#include "core/time.hpp"
#include "daemon/notify/delivery_result.hpp"
#include "daemon/notify/smtp_client.hpp"
#include "daemon/notify/telegram_api.hpp"
#include "storage/outbox_store.hpp"
#include "storage/writer.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace kryptod::daemon::notify {

// One finished attempt, for metrics and benchmarks.
struct attempt_report {
    std::int64_t outbox_id = 0;
    core::channel channel = core::channel::email;
    std::optional<core::alert_id> alert;
    int attempt = 0;
    // delivered, temporary (will be retried) or permanent (given up).
    delivery_outcome outcome = delivery_outcome::delivered;
    bool final = false; // the row is now delivered or failed
    std::string detail;
};

// The first four come from the configuration (daemon/options.cpp fills
// them; they have no defaults of their own); the rest are the sender's.
struct sender_options {
    int max_attempts = 0;                                    // notify.max_attempts
    bool webhook_allow_private = false;                      // notify.webhook_allow_private
    std::chrono::milliseconds retry_base{0};                 // notify.retry_base
    std::chrono::milliseconds retry_max{0};                  // notify.retry_max
    std::chrono::milliseconds webhook_timeout{5000};         // the whole request
    std::chrono::milliseconds webhook_connect_timeout{3000}; // TCP and TLS set-up
    // How long a claimed row stays invisible to other claims: the time after
    // which a row whose sender died is sent again. Must exceed the time one
    // batch can take.
    std::chrono::milliseconds lease{300000};
    // Rows claimed at once, and at most this many of one user's; the sender
    // holds at most 4 x batch (see the fairness rule).
    int batch = 32;
    // Attempts in a row without an answer that trip a destination's breaker.
    int breaker_threshold = 3;
    // With nothing due and no notify(), look again after this long (rows
    // enqueued without a notify(), retries due after a restart).
    std::chrono::milliseconds idle_poll{5000};
    // The Telegram bot (telegram.*, the token read at start-up); no token:
    // Telegram rows fail as not set up.
    telegram_settings telegram;
    // The wall clock (ms since the epoch); tests may pin it.
    std::function<core::millis()> clock;
    // Called on the sender's thread after every attempt; may be empty.
    std::function<void(attempt_report const&)> on_attempt;
};

struct sender_stats {
    std::uint64_t delivered = 0;
    std::uint64_t retried = 0; // temporary failures that will be retried
    std::uint64_t failed = 0;  // rows given up (permanent or out of attempts)
};

class outbox_sender {
public:
    // `database` is the file the writer writes; the sender opens its own
    // read-only connection to it in start(). Nothing runs before start().
    outbox_sender(std::filesystem::path database, storage::writer& writer, smtp_settings smtp,
                  sender_options options);

    // Calls stop().
    ~outbox_sender();

    outbox_sender(outbox_sender const&) = delete;
    outbox_sender& operator=(outbox_sender const&) = delete;

    // Opens the read connection and starts the thread, which at once sends
    // whatever is already due. Throws SQLite::Exception or std::runtime_error
    // when the database cannot be opened or libcurl cannot start (startup:
    // the daemon logs it and exits). Call once.
    void start();

    // Wakes the sender: new rows were committed (call it after any commit
    // that queued outbox rows). Cheap, never blocks on I/O.
    void wake();

    // New SMTP settings (SIGHUP), used from the next message on; the current
    // connection is dropped.
    void reload(smtp_settings smtp);

    // Finishes the email in hand, abandons the HTTP transfers in flight,
    // gives every other claimed row back to the queue (due at once, their
    // attempt not counted against them), and joins the threads. Idempotent.
    void stop();

    sender_stats stats() const;

private:
    class worker;

    // What other threads hand the sender's thread; shared with the writer's
    // completions, which may run after the sender is gone.
    struct inbox;

    std::filesystem::path database_;
    storage::writer& writer_;
    sender_options options_;
    std::shared_ptr<inbox> inbox_;
    smtp_settings initial_smtp_;

    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> retried_{0};
    std::atomic<std::uint64_t> failed_{0};

    std::shared_ptr<worker> worker_;
    std::thread thread_;
};

} // namespace kryptod::daemon::notify
