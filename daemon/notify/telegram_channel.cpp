// notify::telegram_channel: the Telegram channel and its pacer; see
// telegram_channel.hpp.
//
// The pacer is one thread holding the messages that wait for their chat's
// or the bot's turn. The bot's limit is a sliding window: at most
// messages_per_second sends within any one second, each send timed from the
// one that many sends before it (so a late wake-up does not add up over a
// long backlog); and sends are at least half the even spacing apart, so the
// Bot API never sees a burst. It hands a message to the lane when both allow it and
// sleeps until the earliest time one will; the lane's completion either
// reports the attempt or, on a 429, puts the message back at the front of
// its chat's line with the chat blocked for retry_after.
#include "daemon/notify/telegram_channel.hpp"

#include "daemon/notify/http_lane.hpp"
#include "daemon/notify/telegram_api.hpp"
#include "storage/database.hpp"
#include "storage/result.hpp"
#include "storage/telegram_store.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace kryptod::daemon::notify {

namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// 429s one message may meet within one attempt, and the longest retry_after
// waited out within it; beyond either the outbox's backoff takes over. Both
// keep an attempt well inside the sender's lease (5 minutes).
constexpr int max_rate_limited = 3;
constexpr int max_retry_after = 30;

delivery_result judge(http_answer const& h) {
    delivery_result r;
    r.detail = h.detail;
    r.summary = h.summary;
    switch (h.what) {
    case http_answer::kind::invalid_url:
    case http_answer::kind::refused:
        // telegram.api_url itself is unusable: a configuration error the
        // outbox keeps retrying until the operator fixes it.
        r.outcome = delivery_outcome::temporary;
        r.code = 0;
        return r;
    case http_answer::kind::no_answer:
        r.outcome = delivery_outcome::temporary;
        return r;
    case http_answer::kind::answered:
        break;
    }
    auto const a = read_answer(h.status, h.body);
    r.code = h.status;
    if (a.ok) {
        r.outcome = delivery_outcome::delivered;
        return r;
    }
    r.summary = "Telegram " + std::to_string(a.error_code) + ": " + a.description.substr(0, 200);
    r.detail = h.detail + " " + r.summary;
    long const s = h.status;
    if (s == 401 || s == 404 || s == 408 || s == 429 || s >= 500)
        r.outcome = delivery_outcome::temporary;
    else
        r.outcome = delivery_outcome::permanent; // 403: blocked; 400: chat gone, ...
    return r;
}

class telegram_channel final : public channel {
public:
    explicit telegram_channel(channel_context const& context)
        : bot_(context.telegram)
        , lane_(http_lane_options{true, 3000ms, 10000ms, {}})
        , chat_interval_(std::chrono::microseconds(
              60'000'000 / std::max<std::uint32_t>(1, bot_.chat_messages_per_minute)))
        , per_second_(std::max<std::uint32_t>(1, bot_.messages_per_second))
        , min_gap_(std::chrono::microseconds(500'000 / per_second_)) {
        if (!bot_.enabled()) return;
        reader_.emplace(storage::open_reader(context.database));
        lane_.start();
        pacer_ = std::thread([this] { pace(); });
    }

    ~telegram_channel() override { stop(); }

    core::channel id() const noexcept override { return core::channel::telegram; }

    plan prepare(attempt const& a) override {
        plan p;
        auto const* alert = std::get_if<alert_notice>(&a.what);
        if (alert == nullptr) {
            p.refused = {delivery_outcome::permanent, 0, "account messages go by email only",
                         "not a Telegram message"};
            return p;
        }
        if (!bot_.enabled()) {
            p.refused = {delivery_outcome::permanent, 0, "telegram.bot_token_file is not set",
                         "Telegram is not set up in this kryptod"};
            return p;
        }
        auto chat = storage::attempt(
            [&] { return storage::telegram_store::chat_of(*reader_, a.row.user); });
        if (!chat) {
            p.refused = {delivery_outcome::temporary, 0,
                         "cannot read the user's Telegram chat: " + chat.err().message,
                         "internal error"};
            return p;
        }
        if (!chat.value()) {
            p.refused = {delivery_outcome::permanent, 0, "the user has no linked Telegram chat",
                         "no linked Telegram chat"};
            return p;
        }
        std::int64_t const to = *chat.value();
        p.destination = "telegram chat " + std::to_string(to);
        // One message per chat at a time: the chat's line is the sender's
        // queue, so the pacer only ever holds one message of each chat
        // (plus the one a 429 put back).
        p.max_in_flight = 1;
        p.start = [this, to, body = send_message_body(to, alert_message_text(*alert))](
                      completion done) mutable {
            enqueue(pending{to, std::move(body), std::move(done), 0}, false);
        };
        return p;
    }

    void stop() override {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            stopping_ = true;
        }
        changed_.notify_all();
        if (pacer_.joinable()) pacer_.join();
        lane_.stop();
    }

private:
    struct pending {
        std::int64_t chat = 0;
        std::string body;
        completion done;
        int rate_limited = 0; // 429s met so far
    };

    // A message joins its chat's line: at the back when new, at the front
    // when a 429 put it back.
    void enqueue(pending m, bool front) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            auto& line = lines_[m.chat];
            if (line.empty()) turns_.push_back(m.chat);
            if (front)
                line.push_front(std::move(m));
            else
                line.push_back(std::move(m));
        }
        changed_.notify_all();
    }

    // The pacer's thread: sends whatever its chat and the bot allow, then
    // sleeps until the next one could go or a message arrives.
    void pace() {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            auto const now = clock::now();
            std::optional<clock::time_point> wake;
            while (!sent_.empty() && sent_.front() + 1s <= now)
                sent_.pop_front();
            if (sent_.size() >= per_second_) {
                wake = sent_.front() + 1s;
            } else if (now < next_send_) {
                wake = next_send_;
            } else if (auto m = next_ready(now, wake)) {
                sent_.push_back(now);
                next_send_ = now + min_gap_;
                lock.unlock();
                submit(std::move(*m));
                lock.lock();
                continue;
            }
            if (wake)
                changed_.wait_until(lock, *wake);
            else
                changed_.wait(lock);
        }
    }

    // The first message, in turn order, whose chat may be sent to now; its
    // chat moves to the back of the turns. Otherwise `wake` becomes the
    // earliest time a waiting chat may be sent to.
    std::optional<pending> next_ready(clock::time_point now,
                                      std::optional<clock::time_point>& wake) {
        for (std::size_t i = 0, n = turns_.size(); i < n; ++i) {
            std::int64_t const chat = turns_.front();
            turns_.pop_front();
            auto& line = lines_[chat];
            auto free = free_at_.find(chat);
            if (free != free_at_.end() && free->second > now) {
                turns_.push_back(chat);
                if (!wake || free->second < *wake) wake = free->second;
                continue;
            }
            pending m = std::move(line.front());
            line.pop_front();
            if (line.empty())
                lines_.erase(chat);
            else
                turns_.push_back(chat);
            free_at_[chat] = now + chat_interval_;
            forget_idle_chats(now);
            return m;
        }
        return std::nullopt;
    }

    // Keeps free_at_ to the chats that still have to wait.
    void forget_idle_chats(clock::time_point now) {
        if (free_at_.size() < 4096) return;
        std::erase_if(free_at_, [&](auto const& e) { return e.second <= now; });
    }

    void submit(pending m) {
        http_request req;
        req.url = method_url(bot_, "sendMessage");
        req.headers = {"Content-Type: application/json"};
        req.body = m.body;
        lane_.submit(std::move(req), [this, m = std::move(m)](http_answer answer) mutable {
            on_answer(std::move(m), std::move(answer));
        });
    }

    // On the lane's thread.
    void on_answer(pending m, http_answer answer) {
        if (answer.what == http_answer::kind::answered && answer.status == 429) {
            auto const a = read_answer(answer.status, answer.body);
            int const after = std::max(1, a.retry_after);
            if (m.rate_limited < max_rate_limited && after <= max_retry_after) {
                ++m.rate_limited;
                {
                    std::lock_guard lock(mutex_);
                    auto& at = free_at_[m.chat];
                    at = std::max(at, clock::now() + std::chrono::seconds(after));
                }
                enqueue(std::move(m), true);
                return;
            }
        }
        auto done = std::move(m.done);
        done(judge(answer));
    }

    telegram_settings const bot_;
    std::optional<SQLite::Database> reader_; // the sender's thread only
    http_lane lane_;
    std::chrono::microseconds const chat_interval_;
    std::size_t const per_second_;
    std::chrono::microseconds const min_gap_;

    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    std::unordered_map<std::int64_t, std::deque<pending>> lines_; // by chat
    std::deque<std::int64_t> turns_;                              // chats with a line
    std::unordered_map<std::int64_t, clock::time_point> free_at_; // a chat's next turn
    std::deque<clock::time_point> sent_;                          // in the last second
    clock::time_point next_send_{};                               // min_gap_ after the last
    std::thread pacer_;
};

} // namespace

std::unique_ptr<channel> make_telegram_channel(channel_context const& context) {
    return std::make_unique<telegram_channel>(context);
}

} // namespace kryptod::daemon::notify
