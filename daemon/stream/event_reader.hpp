// stream::event_reader: turns committed alert events into the live stream's
// `alert` frames, on a thread of its own with a read-only connection, so
// that neither the writer nor the io_context reads or serialises them.
//
// Two kinds of work, done strictly in the order asked:
// - committed(): the writer's event watch (storage/writer.hpp) reports each
//   committed transaction's events; those of watched users (users with an
//   open stream) are read back with their alerts and delivered.
// - replay(): the events of one user after a client's Last-Event-ID, up to
//   the newest event at the time of reading, a chunk at a time.
// A frame is `event: alert`, `id: <event id>`, and `data:` {"alert": the
// alert as GET /api/alerts/{id} shows it now, "event": the event as
// /events shows it}. Frames of one user come in event id order.
//
// Thread-safety: every member may be called from any thread; `deliver` and
// the replay callbacks run wherever `post` runs them (the io_context).
#pragma once

#include "storage/writer.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace kryptod::daemon::stream {

// One `alert` frame, ready to write; shared by every stream of its user.
struct alert_frame {
    std::int64_t id = 0; // the event's id
    std::string text;
};
using frame_list = std::vector<std::shared_ptr<alert_frame const>>;

class event_reader {
public:
    using post_fn = std::function<void(std::function<void()>)>;
    // A user's frames from one committed batch.
    using deliver_fn = std::function<void(std::int64_t user, frame_list frames)>;
    // A replay chunk: its frames; `complete` when no more events remain up
    // to `up_to`, the newest event when the replay began.
    using replay_fn = std::function<void(frame_list frames, std::int64_t up_to, bool complete)>;

    // Opens a reader connection to `database` and starts the thread. Throws
    // SQLite::Exception when the file cannot be opened.
    event_reader(std::filesystem::path const& database, post_fn post, deliver_fn deliver);
    ~event_reader();

    event_reader(event_reader const&) = delete;
    event_reader& operator=(event_reader const&) = delete;

    // Events of `user` are delivered while watched at least once.
    void watch(std::int64_t user);
    void unwatch(std::int64_t user);

    // The writer's event watch listener (writer thread).
    void committed(std::span<storage::writer::committed_event const> events);

    // Reads up to `limit` events of `user` with `after` < id <= `up_to`
    // (`up_to` 0: the newest event now), and posts them to `done`.
    void replay(std::int64_t user, std::int64_t after, std::int64_t up_to, std::size_t limit,
                replay_fn done);

    // Drops what is queued and joins the thread. Idempotent.
    void stop();

    // Frames built, for metrics.
    std::uint64_t frames_built() const;

private:
    // Live events (replay_done empty) or a replay.
    struct job {
        std::vector<storage::writer::committed_event> events;
        std::int64_t user = 0;
        std::int64_t after = 0;
        std::int64_t up_to = 0;
        std::size_t limit = 0;
        replay_fn replay_done;
    };
    void run();
    void run_live(std::vector<storage::writer::committed_event> const& events);
    void run_replay(job& j);

    std::unique_ptr<struct reader_connection> db_;
    post_fn post_;
    deliver_fn deliver_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<job> queue_;
    std::unordered_map<std::int64_t, int> watched_;
    std::uint64_t frames_built_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace kryptod::daemon::stream
