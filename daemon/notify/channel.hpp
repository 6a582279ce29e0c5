// notify::channel: the interface every delivery channel implements, and
// what the sender hands it.
//
// A channel knows one thing: how a notice becomes a message on its service
// (an email, a signed webhook POST, a chat message) and how that service's
// answer reads as delivered, retry or give up. Everything channels share
// lives in the sender and around it, never in a channel: the outbox, claims
// and leases, retries with backoff and max_attempts, the `notified` events,
// fairness between users, the per-destination cap and circuit breaker, the
// recipient lookup, and for HTTP services the address policy and the
// concurrent client (http_lane). No channel knows another one; each is one
// file, listed once in channel_table.cpp.
//
// Thread-safety: prepare() runs on the sender's thread; a plan's start()
// too, and must not block; its completion may run on any thread, exactly
// once, unless the channel is stopped first.
#pragma once

#include "core/alert.hpp"
#include "core/time.hpp"
#include "daemon/notify/delivery_result.hpp"
#include "daemon/notify/notice.hpp"
#include "daemon/notify/smtp_client.hpp"
#include "daemon/notify/telegram_api.hpp"
#include "storage/outbox_store.hpp"
#include "storage/user_store.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace kryptod::daemon::notify {

class http_lane;

// One attempt on one outbox row.
struct attempt {
    storage::outbox_store::message const& row;
    notice const& what;
    // The recipient's current record for an alert notice (looked up, present
    // and enabled); null for an account email, which carries its address.
    storage::user_store::user_record const* user = nullptr;
    core::millis now = 0;
};

using completion = std::function<void(delivery_result)>;

// What a channel makes of an attempt.
struct plan {
    // Where it goes, as the breaker and the per-destination cap count it.
    std::string destination;
    // How many attempts to that destination may be out at once.
    std::size_t max_in_flight = 8;
    // Sends; empty when the row cannot be sent as it stands (`refused`).
    std::function<void(completion)> start;
    delivery_result refused;
};

// What channels are built from (the daemon's shared parts and settings).
struct channel_context {
    http_lane& http;
    smtp_settings smtp;
    telegram_settings telegram;
    std::filesystem::path database; // for channels that read what the user linked
};

class channel {
public:
    virtual ~channel() = default;

    virtual core::channel id() const noexcept = 0;

    // Decides what this attempt sends, without I/O. A plan without start()
    // fails the row at once with `refused` (permanent for a row that can
    // never be sent: no address, a notice this channel does not carry).
    virtual plan prepare(attempt const& a) = 0;

    // New SMTP settings (SIGHUP); channels that do not use them ignore it.
    virtual void reload(smtp_settings const&) {}

    // Finishes what must be finished (an email in hand), drops the rest
    // (their completions never run) and stops the channel's own threads.
    virtual void stop() {}
};

} // namespace kryptod::daemon::notify
