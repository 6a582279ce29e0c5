// notify::telegram_poller: the Telegram bot's side of linking (SPEC §10).
// At start getMe names the bot (for the link the API hands out); then a
// long-poll loop on getUpdates reads what chats send it: "/start <code>"
// links the chat to the code's user and answers "Linked to <email>";
// "/stop" unlinks the chat and says so.
//
// Invariants:
// - Each update is handled exactly once across restarts and crashes: what
//   it changes (a code used up, a chat linked or unlinked) and the next
//   offset commit in one writer transaction, and getUpdates is always asked
//   from the stored offset. The answer in the chat goes after that commit;
//   a crash between the two loses the answer, never the link.
// - A token getMe refuses (401, 404) stops the bot with one error line and
//   nothing else of the daemon is affected; any other failure (no answer,
//   5xx, 429) is retried with daemon::retry_delay backoff (1 s doubling to
//   60 s).
// - Every request has a deadline (the long poll's timeout plus 10 s); stop()
//   aborts the request in flight within about a second.
// - Nothing logged names the token or a URL containing it.
//
// Thread-safety: start() and stop() from one thread; username() and
// state() from any thread.
#pragma once

#include "daemon/notify/telegram_api.hpp"
#include "storage/user_store.hpp"
#include "storage/writer.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace kryptod::daemon::notify {

struct poller_options {
    telegram_settings bot;
    std::filesystem::path database; // read for the stored offset
    std::chrono::seconds long_poll; // getUpdates' timeout
    std::chrono::milliseconds retry_base;
    std::chrono::milliseconds retry_max;
    // Called on the poller's thread with a user's committed record after a
    // chat command linked or unlinked it (the API's user directory follows).
    std::function<void(storage::user_store::user_record const&)> on_user_changed;
};

class telegram_poller {
public:
    enum class bot_state {
        off,      // no token: Telegram is not set up
        starting, // waiting for getMe
        refused,  // getMe refused the token
        running,  // getMe answered; updates are read
    };

    // `writer` must outlive the poller (stop the poller first).
    telegram_poller(poller_options options, storage::writer& writer);
    // Calls stop().
    ~telegram_poller();

    telegram_poller(telegram_poller const&) = delete;
    telegram_poller& operator=(telegram_poller const&) = delete;

    // Starts the thread (nothing when the bot has no token). Never throws
    // for the network; a database that cannot be read is logged and the bot
    // stays off.
    void start();
    // Aborts the request in flight and joins the thread. Idempotent.
    void stop();

    bot_state state() const;
    // The bot's username once getMe answered, without the "@".
    std::optional<std::string> username() const;

private:
    void run();
    bool fetch_me();
    void handle(telegram_update const& u);
    void reply(std::int64_t chat, std::string const& text);
    void sleep_backoff(int failures);
    bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

    struct call_result {
        bool answered = false; // an HTTP status came back
        long status = 0;
        std::string body;
        std::string error; // libcurl's words otherwise
    };
    call_result call(std::string_view method, std::string const& body,
                     std::chrono::seconds timeout);

    poller_options options_;
    storage::writer& writer_;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::condition_variable wakeup_;
    bot_state state_ = bot_state::off;
    std::optional<std::string> username_;
    std::int64_t offset_ = 0;
    std::thread thread_;
};

} // namespace kryptod::daemon::notify
