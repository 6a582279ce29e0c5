// notify::email_channel: renders on the sender's thread, sends on the
// channel's own SMTP thread. See the header.
#include "daemon/notify/email_channel.hpp"

#include "daemon/log.hpp"
#include "daemon/notify/email_message.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

namespace kryptod::daemon::notify {

namespace {

class email_channel final : public channel {
public:
    explicit email_channel(smtp_settings smtp)
        : from_(smtp.from)
        , url_(smtp.url)
        , client_(std::move(smtp)) {
        thread_ = std::thread([this] { run(); });
    }

    ~email_channel() override { stop(); }

    core::channel id() const noexcept override { return core::channel::email; }

    plan prepare(attempt const& a) override {
        plan p;
        std::string const message_id = message_id_for(a.row.id, a.row.delivery_id);
        email_result built;
        {
            std::lock_guard lock(mutex_);
            p.destination = "smtp " + url_;
            if (auto const* alert = std::get_if<alert_notice>(&a.what)) {
                if (a.user == nullptr) {
                    p.refused = {delivery_outcome::permanent, 0, "no recipient", "no recipient"};
                    return p;
                }
                built = render_alert_email(*alert, from_, a.user->email, message_id, a.now);
            } else {
                built =
                    render_account_email(std::get<account_email>(a.what), from_, message_id, a.now);
            }
        }
        if (!built.value) {
            p.refused = {delivery_outcome::permanent, 0, built.error, "invalid email address"};
            return p;
        }
        // One connection: the queue may be deep, the server sees one message at a time.
        p.max_in_flight = 256;
        p.start = [this, m = std::move(*built.value)](completion done) mutable {
            {
                std::lock_guard lock(mutex_);
                if (stopping_) return;
                queue_.push_back({std::move(m), std::move(done)});
            }
            changed_.notify_one();
        };
        return p;
    }

    void reload(smtp_settings const& smtp) override {
        {
            std::lock_guard lock(mutex_);
            from_ = smtp.from;
            url_ = smtp.url;
            pending_ = smtp;
        }
        changed_.notify_one();
    }

    void stop() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            queue_.clear();
        }
        changed_.notify_one();
        if (thread_.joinable()) thread_.join();
    }

private:
    struct job {
        email_message message;
        completion done;
    };

    void run() {
        for (;;) {
            job next;
            std::optional<smtp_settings> fresh;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [this] { return stopping_ || pending_ || !queue_.empty(); });
                if (stopping_) return;
                fresh.swap(pending_);
                if (!fresh) {
                    next = std::move(queue_.front());
                    queue_.pop_front();
                }
            }
            if (fresh) {
                client_.configure(std::move(*fresh));
                log::info("notify: SMTP settings reloaded (", client_.settings().url, ")");
                continue;
            }
            delivery_result r = client_.send(next.message);
            std::deque<job> behind;
            if (r.unreachable()) {
                // The rest would only wait out the same timeout one by one.
                std::lock_guard lock(mutex_);
                behind.swap(queue_);
            }
            next.done(r);
            for (auto& j : behind)
                j.done(r);
        }
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::string from_; // of the current settings, for rendering
    std::string url_;
    std::optional<smtp_settings> pending_;
    std::deque<job> queue_;
    bool stopping_ = false;
    smtp_client client_; // the channel's thread only
    std::thread thread_;
};

} // namespace

std::unique_ptr<channel> make_email_channel(channel_context const& context) {
    return std::make_unique<email_channel>(context.smtp);
}

} // namespace kryptod::daemon::notify
