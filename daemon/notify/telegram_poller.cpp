// notify::telegram_poller: getMe, then getUpdates in a loop on one thread;
// see telegram_poller.hpp.
#include "daemon/notify/telegram_poller.hpp"

#include "daemon/backoff.hpp"
#include "daemon/clock.hpp"
#include "daemon/log.hpp"
#include "daemon/notify/curl_global.hpp"
#include "daemon/notify/curl_handles.hpp"
#include "http/password.hpp"
#include "storage/database.hpp"
#include "storage/telegram_store.hpp"
#include "storage/user_store.hpp"

#include <random>

namespace kryptod::daemon::notify {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr char const* help_text =
    "This is kryptod's alert bot. To get your alerts here, open kryptod and ask for a "
    "Telegram link (POST /api/auth/me/telegram), then follow it or send /start <code>. "
    "Send /stop to unlink this chat.";

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
    auto& body = *static_cast<std::string*>(out);
    std::size_t const len = size * n;
    if (body.size() + len > (1u << 20)) return 0; // a Bot API answer is never this big
    body.append(data, len);
    return len;
}

int check_stop(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<std::atomic<bool>*>(flag)->load(std::memory_order_relaxed) ? 1 : 0;
}

// What one update did: what the bot then says, and the user whose Telegram
// link it changed, as committed.
struct applied {
    std::optional<std::string> reply;
    std::optional<storage::user_store::user_record> changed;
};

std::optional<std::string> apply_command(SQLite::Database& db, telegram_update const& u,
                                         core::millis now,
                                         std::optional<storage::user_store::user_record>& changed);

// What one update does to the database, and what the bot then says.
applied apply(SQLite::Database& db, telegram_update const& u, core::millis now) {
    storage::telegram_store::set_offset(db, u.update_id + 1);
    applied out;
    if (u.chat) out.reply = apply_command(db, u, now, out.changed);
    return out;
}

std::optional<std::string> apply_command(SQLite::Database& db, telegram_update const& u,
                                         core::millis now,
                                         std::optional<storage::user_store::user_record>& changed) {
    namespace store = storage::telegram_store;
    auto const request = read_chat_request(u.text);
    switch (request.command) {
    case chat_command::start: {
        if (request.code.empty()) return std::string(help_text);
        auto const user = store::consume_code(db, http::token_digest(request.code), now);
        auto const record = user ? storage::user_store::get(db, *user) : std::nullopt;
        if (!record || record->disabled)
            return std::string("This link code is unknown, used or expired. Ask kryptod for a "
                               "new Telegram link; a code works once, for 15 minutes.");
        store::link(db, record->id, *u.chat, now);
        changed = storage::user_store::get(db, record->id);
        return "Linked to " + record->email + ". Alerts with the telegram channel come here; " +
               "send /stop to unlink.";
    }
    case chat_command::stop: {
        auto const user = store::unlink_chat(db, *u.chat);
        if (!user) return std::string("This chat is not linked to any kryptod account.");
        auto const record = storage::user_store::get(db, *user);
        changed = record;
        return "Unlinked from " + (record ? record->email : std::string("kryptod")) +
               ". No more alerts come here.";
    }
    case chat_command::other:
        break;
    }
    // Only commands are answered: the bot may sit in a group.
    if (u.text.starts_with("/")) return std::string(help_text);
    return std::nullopt;
}

} // namespace

telegram_poller::telegram_poller(poller_options options, storage::writer& writer)
    : options_(std::move(options))
    , writer_(writer) {}

telegram_poller::~telegram_poller() {
    stop();
}

void telegram_poller::start() {
    if (!options_.bot.enabled()) return;
    try {
        auto reader = storage::open_reader(options_.database);
        offset_ = storage::telegram_store::offset(reader);
    } catch (std::exception const& e) {
        log::error("telegram: cannot read the update offset, the bot stays off: ", e.what());
        return;
    }
    ensure_curl();
    {
        std::lock_guard lock(mutex_);
        state_ = bot_state::starting;
    }
    thread_ = std::thread([this] {
        try {
            run();
        } catch (std::exception const& e) {
            log::error("telegram: the bot stopped: ", e.what());
        }
    });
}

void telegram_poller::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wakeup_.notify_all();
    if (thread_.joinable()) thread_.join();
}

telegram_poller::bot_state telegram_poller::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

std::optional<std::string> telegram_poller::username() const {
    std::lock_guard lock(mutex_);
    return username_;
}

void telegram_poller::run() {
    if (!fetch_me()) return;
    int failures = 0;
    auto const deadline = options_.long_poll + 10s;
    while (!stopping()) {
        json::object ask;
        ask["offset"] = offset_;
        ask["timeout"] = options_.long_poll.count();
        ask["allowed_updates"] = json::array{"message"};
        auto const got = call("getUpdates", json::serialize(ask), deadline);
        if (stopping()) return;
        auto const answer = read_answer(got.status, got.body);
        if (!got.answered || !answer.ok) {
            ++failures;
            log::at(failures == 1 ? log_level::warning : log_level::debug,
                    "telegram: getUpdates failed (", failures,
                    " in a row): ", got.answered ? answer.description : got.error);
            sleep_backoff(answer.retry_after > 0 ? -answer.retry_after : failures);
            continue;
        }
        if (failures > 0) log::notice("telegram: getUpdates answers again");
        failures = 0;
        for (auto const& u : read_updates(answer.result)) {
            if (stopping()) return;
            if (u.update_id < offset_) continue; // already handled
            handle(u);
        }
    }
}

bool telegram_poller::fetch_me() {
    for (int failures = 1; !stopping(); ++failures) {
        auto const got = call("getMe", "{}", 15s);
        if (stopping()) return false;
        auto const answer = read_answer(got.status, got.body);
        if (got.answered && answer.ok && answer.result.is_object()) {
            auto const* name = answer.result.as_object().if_contains("username");
            if (name != nullptr && name->is_string() && !name->as_string().empty()) {
                std::string const user(name->as_string());
                {
                    std::lock_guard lock(mutex_);
                    username_ = user;
                    state_ = bot_state::running;
                }
                log::info("telegram: bot @", user, " is up");
                return true;
            }
        }
        if (got.answered && (got.status == 401 || got.status == 404)) {
            {
                std::lock_guard lock(mutex_);
                state_ = bot_state::refused;
            }
            log::error("telegram: the Bot API refused the token in telegram.bot_token_file (",
                       log::one_line(answer.description),
                       "); Telegram is off until it is fixed and kryptod restarted");
            return false;
        }
        log::at(
            failures == 1 ? log_level::warning : log_level::debug,
            "telegram: getMe failed, retrying: ", got.answered ? answer.description : got.error);
        sleep_backoff(answer.retry_after > 0 ? -answer.retry_after : failures);
    }
    return false;
}

// Applies one update in one writer transaction with the next offset, waits
// for its commit, then answers in the chat. A refused or failed write is
// retried (the update must not be skipped), with backoff, until stop().
void telegram_poller::handle(telegram_update const& u) {
    struct outcome {
        std::mutex mutex;
        std::condition_variable done;
        std::optional<storage::result<applied>> result;
    };
    for (int failures = 1; !stopping(); ++failures) {
        auto const o = std::make_shared<outcome>();
        auto const now = wall_clock_now();
        auto const accepted =
            writer_.submit<applied>([u, now](SQLite::Database& db) { return apply(db, u, now); },
                                    [o](storage::result<applied> r) {
                                        {
                                            std::lock_guard lock(o->mutex);
                                            o->result.emplace(std::move(r));
                                        }
                                        o->done.notify_all();
                                    });
        if (accepted) {
            std::unique_lock lock(o->mutex);
            while (!o->result && !stopping())
                o->done.wait_for(lock, 200ms);
            if (!o->result) return; // stopping: the update is read again next time
            if (*o->result) {
                offset_ = u.update_id + 1;
                auto const done = std::move(o->result->value());
                lock.unlock();
                if (done.changed && options_.on_user_changed)
                    options_.on_user_changed(*done.changed);
                if (done.reply) reply(*u.chat, *done.reply);
                return;
            }
            log::warning("telegram: update ", u.update_id,
                         " not recorded: ", o->result->err().message);
        } else {
            log::warning("telegram: update ", u.update_id, " not queued: ", accepted.err().message);
        }
        sleep_backoff(failures);
    }
}

// The bot's answer in a chat: best effort, one retry after a 429's wait.
void telegram_poller::reply(std::int64_t chat, std::string const& text) {
    for (int tries = 0; tries < 2 && !stopping(); ++tries) {
        auto const got = call("sendMessage", send_message_body(chat, text), 15s);
        auto const answer = read_answer(got.status, got.body);
        if (got.answered && answer.ok) return;
        log::notice("telegram: cannot answer chat ", chat, ": ",
                    got.answered ? answer.description : got.error);
        if (answer.retry_after <= 0 || answer.retry_after > 30) return;
        sleep_backoff(-answer.retry_after);
    }
}

// Waits out failure `n` (>= 1) with the backoff rule, or -n seconds exactly
// (a 429's retry_after); returns early on stop().
void telegram_poller::sleep_backoff(int n) {
    if (n == 0) return;
    std::chrono::milliseconds wait;
    if (n < 0) {
        wait = std::chrono::seconds(-n);
    } else {
        static thread_local std::mt19937_64 rng(std::random_device{}());
        wait = retry_delay(n, options_.retry_base, options_.retry_max,
                           std::uniform_real_distribution<double>(0.0, 1.0)(rng));
    }
    std::unique_lock lock(mutex_);
    wakeup_.wait_for(lock, wait, [&] { return stopping(); });
}

telegram_poller::call_result telegram_poller::call(std::string_view method, std::string const& body,
                                                   std::chrono::seconds timeout) {
    call_result out;
    auto easy = make_easy();
    CURL* h = easy.get();
    std::string const url = method_url(options_.bot, method);
    header_list headers;
    headers.append("Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count() * 1000));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &check_stop);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &stopping_);
    CURLcode const code = curl_easy_perform(h);
    if (code != CURLE_OK) {
        // libcurl's message names the host, never the path with the token.
        out.error = curl_failure_summary(code);
        return out;
    }
    out.answered = true;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
    return out;
}

} // namespace kryptod::daemon::notify
