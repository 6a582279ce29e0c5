// daemon::cron: periodic jobs on one steady_timer.
#include "daemon/cron.hpp"

#include <algorithm>
#include <cassert>

namespace kryptod::daemon {

cron::cron(boost::asio::io_context& ioc)
    : timer_(ioc) {}

cron::job_id cron::every(std::string name, clock::duration period, std::function<void()> job,
                         clock::duration first) {
    assert(period > clock::duration::zero());
    jobs_.push_back({std::move(name), period, clock::now() + first, std::move(job)});
    if (started_) do_wait();
    return jobs_.size() - 1;
}

void cron::run_in(job_id id, clock::duration delay) {
    assert(id < jobs_.size());
    jobs_[id].due = clock::now() + delay;
    if (started_) do_wait();
}

void cron::start() {
    if (started_ || stopped_) return;
    started_ = true;
    // A job added before start() waits its `first` from now, not from when
    // it was added, so set-up time does not make every job due at once.
    auto const now = clock::now();
    for (auto& j : jobs_)
        j.due = std::max(j.due, now);
    do_wait();
}

void cron::stop() {
    stopped_ = true;
    timer_.cancel();
}

std::vector<std::string> cron::names() const {
    std::vector<std::string> out;
    for (auto const& j : jobs_)
        out.push_back(j.name);
    return out;
}

// Setting the expiry cancels the wait in flight (its completion sees
// operation_aborted and does nothing), so one wait is ever pending.
void cron::do_wait() {
    if (stopped_ || jobs_.empty()) return;
    auto const next =
        std::min_element(jobs_.begin(), jobs_.end(), [](auto const& a, auto const& b) {
            return a.due < b.due;
        })->due;
    timer_.expires_at(next);
    timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) { self->on_wait(ec); });
}

void cron::on_wait(boost::system::error_code ec) {
    if (ec || stopped_) return;
    auto const now = clock::now();
    // By index: a job may add jobs, which may move the vector.
    for (std::size_t i = 0; i < jobs_.size() && !stopped_; ++i) {
        if (jobs_[i].due > now) continue;
        jobs_[i].due = now + jobs_[i].period;
        auto run = jobs_[i].run; // a copy: the vector may grow while it runs
        run();
    }
    do_wait();
}

} // namespace kryptod::daemon
