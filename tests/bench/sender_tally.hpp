// bench::sender_tally: what the notification benchmarks (notify, chat,
// Telegram) learn from the outbox sender's attempt reports — each delivered
// row with the time the sender learnt it, and the failures.
#pragma once

#include "daemon/notify/outbox_sender.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kryptod::bench {

struct sender_tally {
    using clock_type = std::chrono::steady_clock;

    std::mutex mutex;
    std::condition_variable changed;
    std::unordered_map<std::int64_t, clock_type::time_point> accepted;
    int failures = 0;
    std::string first_failure;

    // The sender's on_attempt hook.
    void on_attempt(daemon::notify::attempt_report const& r) {
        auto const now = clock_type::now();
        {
            std::lock_guard lock(mutex);
            if (r.outcome == daemon::notify::delivery_outcome::delivered)
                accepted.emplace(r.outbox_id, now);
            else if (failures++ == 0)
                first_failure = r.detail;
        }
        changed.notify_all();
    }

    // Until `count` rows were delivered, or one failed, or `limit` passed.
    bool wait_for(std::size_t count, std::chrono::seconds limit) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, [&] { return accepted.size() >= count || failures; });
    }

    // Until row `id` was delivered, or one failed, or `limit` passed.
    bool wait_for_row(std::int64_t id, std::chrono::seconds limit) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, [&] { return accepted.count(id) != 0 || failures; });
    }
};

} // namespace kryptod::bench
