// notify::outbox_sender: the thread that drains kryptod's outbox (SPEC §5).
//
// The outbox table is the durable queue: a fire commits its outbox rows with
// the trigger, and this sender delivers them, in due order, off the
// io_context thread. Each row is claimed (a writer job that counts the
// attempt and leases the row), sent, then marked right after the server's
// answer: delivered, or failed with a retry time from notify.retry_base
// doubling up to notify.retry_max with jitter, or failed for good after a
// permanent error or notify.max_attempts attempts. Each attempt on an alert
// notification becomes a `notified` event (channel, attempt, outcome).
//
// Database access: reads (the recipient's email, webhook URL and secret) go
// through the sender's own read-only connection; every write (claim, mark,
// events) is a storage::writer job, so the writer stays the one connection
// that writes. The claim must be a writer job anyway: it is an atomic
// UPDATE ... RETURNING that counts the attempt and leases the rows in one
// step, and waiting for its commit guarantees that a sent message was
// durably counted first.
//
// A row that cannot be sent as it stands fails at once, without retries: a
// payload that does not decode, a recipient who no longer exists or is
// disabled, an address that is not a plain address, a webhook row of a user
// without webhook_url.
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
// Thread-safety: start(), notify(), reload(), stop() and stats() may be
// called from any thread; everything else happens on the sender's thread.
// The writer must outlive the sender (stop the sender first). stop() may be
// called from the thread that runs the writer's completions (the io_context):
// it never waits for one.
#pragma once

#include "core/alert.hpp"
#include "core/time.hpp"
#include "daemon/notify/delivery_result.hpp"
#include "daemon/notify/smtp_client.hpp"
#include "storage/writer.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

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

struct sender_options {
    int max_attempts = 10;                        // notify.max_attempts
    bool webhook_allow_private = false;           // notify.webhook_allow_private
    std::chrono::milliseconds retry_base{30000};  // notify.retry_base
    std::chrono::milliseconds retry_max{3600000}; // notify.retry_max
    std::chrono::milliseconds webhook_timeout{5000};
    // How long a claimed row stays invisible to other claims: the time after
    // which a row whose sender died is sent again. Must exceed the time one
    // batch can take.
    std::chrono::milliseconds lease{300000};
    // Rows claimed at once; one SMTP connection carries them all.
    int batch = 32;
    // With nothing due and no notify(), look again after this long (rows
    // enqueued without a notify(), retries due after a restart).
    std::chrono::milliseconds idle_poll{5000};
    // The wall clock (ms since the epoch); tests may pin it.
    std::function<core::millis()> clock;
    // Called on the sender's thread after every attempt; may be empty.
    std::function<void(attempt_report const&)> on_attempt;
};

// The [notify] section's values (seconds) as sender options (milliseconds).
sender_options sender_options_from(config::notify_section const& notify);

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

    // Wakes the sender: new rows were committed (call it from the fire's
    // completion). Cheap, never blocks on I/O.
    void notify();

    // New SMTP settings (SIGHUP), used from the next message on; the current
    // connection is dropped.
    void reload(smtp_settings smtp);

    // Finishes the message in hand, gives the rest of its claimed batch back
    // to the queue (due at once, their attempt not counted against them),
    // and joins the thread. Idempotent.
    void stop();

    sender_stats stats() const;

private:
    class worker;

    std::filesystem::path database_;
    storage::writer& writer_;
    sender_options options_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool woken_ = false;
    bool stopping_ = false;
    std::optional<smtp_settings> pending_smtp_;
    smtp_settings initial_smtp_;

    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> retried_{0};
    std::atomic<std::uint64_t> failed_{0};

    std::thread thread_;
};

} // namespace kryptod::daemon::notify
