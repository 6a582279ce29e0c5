// stream::event_reader: the reading and serialising thread of the live
// stream.
#include "daemon/stream/event_reader.hpp"

#include "daemon/api/alert_json.hpp"
#include "storage/alert_store.hpp"
#include "storage/database.hpp"
#include "storage/statement_cache.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>

namespace kryptod::daemon::stream {

namespace alert_store = storage::alert_store;

// The thread's connection and its prepared statements (destroyed first).
struct reader_connection {
    SQLite::Database db;
    storage::statement_cache statements{db};

    explicit reader_connection(std::filesystem::path const& path)
        : db(storage::open_reader(path)) {}
};

namespace {

// The frames of `events`, each with its alert as it is now. An event whose
// alert is gone (never the case: alerts are only soft-deleted) is skipped.
frame_list frames_of(SQLite::Database& db, std::vector<alert_store::event_record> const& events) {
    std::map<core::alert_id, std::optional<std::string>> alerts;
    frame_list out;
    out.reserve(events.size());
    for (auto const& e : events) {
        auto [it, fresh] = alerts.try_emplace(e.alert);
        if (fresh)
            if (auto a = alert_store::find(db, e.alert))
                it->second = api::alert_text(a->alert, a->symbol);
        if (!it->second) continue;
        auto frame = std::make_shared<alert_frame>();
        frame->id = e.id;
        auto& t = frame->text;
        t.reserve(it->second->size() + 256);
        t += "event: alert\nid: ";
        t += std::to_string(e.id);
        t += "\ndata: {\"alert\":";
        t += *it->second;
        t += ",\"event\":";
        t += boost::json::serialize(api::event_json(e));
        t += "}\n\n";
        out.push_back(std::move(frame));
    }
    return out;
}

} // namespace

event_reader::event_reader(std::filesystem::path const& database, post_fn post, deliver_fn deliver)
    : db_(std::make_unique<reader_connection>(database))
    , post_(std::move(post))
    , deliver_(std::move(deliver)) {
    thread_ = std::thread([this] { run(); });
}

event_reader::~event_reader() {
    stop();
}

void event_reader::watch(std::int64_t user) {
    std::lock_guard lock(mutex_);
    ++watched_[user];
}

void event_reader::unwatch(std::int64_t user) {
    std::lock_guard lock(mutex_);
    auto it = watched_.find(user);
    if (it != watched_.end() && --it->second <= 0) watched_.erase(it);
}

void event_reader::committed(std::span<storage::writer::committed_event const> events) {
    job j;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || watched_.empty()) return;
        for (auto const& e : events)
            if (watched_.contains(e.owner)) j.events.push_back(e);
        if (j.events.empty()) return;
        queue_.push_back(std::move(j));
    }
    wake_.notify_one();
}

void event_reader::replay(std::int64_t user, std::int64_t after, std::int64_t up_to,
                          std::size_t limit, replay_fn done) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        job j;
        j.user = user;
        j.after = after;
        j.up_to = up_to;
        j.limit = limit;
        j.replay_done = std::move(done);
        queue_.push_back(std::move(j));
    }
    wake_.notify_one();
}

void event_reader::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        queue_.clear();
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

std::uint64_t event_reader::frames_built() const {
    std::lock_guard lock(mutex_);
    return frames_built_;
}

void event_reader::run() {
    storage::statement_cache::scope cached(db_->statements);
    for (;;) {
        job j;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            j = std::move(queue_.front());
            queue_.pop_front();
        }
        // A read that fails (the disk, a locked file) costs the frames of
        // that job, never the thread: streams go on with the next events,
        // and a client that reconnects gets them replayed.
        try {
            if (j.replay_done)
                run_replay(j);
            else
                run_live(j.events);
        } catch (std::exception const&) {
            if (j.replay_done)
                post_(
                    [done = std::move(j.replay_done), up_to = j.up_to] { done({}, up_to, true); });
        }
    }
}

// The events of one committed transaction: per owner, the id range they
// span holds exactly that owner's events of the transaction (ids grow with
// every insert, and nothing else committed in between).
void event_reader::run_live(std::vector<storage::writer::committed_event> const& events) {
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> ranges;
    for (auto const& e : events) {
        auto [it, fresh] = ranges.try_emplace(e.owner, e.id, e.id);
        if (!fresh) {
            it->second.first = std::min(it->second.first, e.id);
            it->second.second = std::max(it->second.second, e.id);
        }
    }
    for (auto const& [owner, range] : ranges) {
        auto const records = alert_store::events_of_owner(db_->db, owner, range.first - 1,
                                                          range.second, events.size());
        auto frames = frames_of(db_->db, records);
        if (frames.empty()) continue;
        {
            std::lock_guard lock(mutex_);
            frames_built_ += frames.size();
        }
        post_([deliver = deliver_, owner, frames = std::move(frames)]() mutable {
            deliver(owner, std::move(frames));
        });
    }
}

void event_reader::run_replay(job& j) {
    auto const up_to = j.up_to > 0 ? j.up_to : alert_store::last_event_id(db_->db);
    auto const records = alert_store::events_of_owner(db_->db, j.user, j.after, up_to, j.limit);
    bool const complete = records.size() < j.limit;
    auto frames = frames_of(db_->db, records);
    post_([done = std::move(j.replay_done), frames = std::move(frames), up_to, complete]() mutable {
        done(std::move(frames), up_to, complete);
    });
}

} // namespace kryptod::daemon::stream
