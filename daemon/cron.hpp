// daemon::cron: the daemon's periodic housekeeping (STATUS= refresh, the
// watchdog keep-alive, price retention, the drain poll of a clean stop) on
// one timer of the io_context, instead of a timer per chore.
//
// Each job has a period and a next due time; the one timer waits for the
// earliest due time, runs every job that is due (in the order they were
// added) and waits again. A job's next run is set to one period after it
// started before it is called, so a job may move it (run_in) from inside,
// e.g. to come back sooner while a backlog lasts.
//
// Invariants: jobs run on the io_context thread only, one at a time, never
// after stop(); at most one wait is pending. The timer's completion holds the
// cron through shared_from_this(), so a cron may be dropped while its wait is
// pending. Jobs must not throw (they run inside io_context::run()).
//
// Thread-safety: every member is called on the io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kryptod::daemon {

class cron : public std::enable_shared_from_this<cron> {
public:
    using clock = std::chrono::steady_clock;
    using job_id = std::size_t;

    explicit cron(boost::asio::io_context& ioc);

    // Adds `job`, run every `period` (> 0), the first time `first` after it
    // is added (or after start(), if later). Returns its id for run_in().
    job_id every(std::string name, clock::duration period, std::function<void()> job,
                 clock::duration first);

    // Moves job `id`'s next run to `delay` from now.
    void run_in(job_id id, clock::duration delay);

    // Starts running due jobs; jobs may be added before or after.
    void start();

    // No job runs after this; the pending wait is cancelled.
    void stop();

    // The names of the jobs, in the order they were added (for the log).
    std::vector<std::string> names() const;

private:
    struct entry {
        std::string name;
        clock::duration period;
        clock::time_point due;
        std::function<void()> run;
    };

    void do_wait();
    void on_wait(boost::system::error_code ec);

    boost::asio::steady_timer timer_;
    std::vector<entry> jobs_;
    bool started_ = false;
    bool stopped_ = false;
};

} // namespace kryptod::daemon
