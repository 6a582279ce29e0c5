// stream::stream_hub: every open live stream (GET /api/stream, SPEC §9) and
// what is sent on them: the `alert` frames of their user, throttled `price`
// frames, keep-alive comments.
//
// Invariants:
// - At most max_per_user streams per user and max_clients in all: admit()
//   says which limit a new one would pass.
// - A stream never gets an alert event twice, and gets them in id order:
//   it remembers the last id sent and drops anything not after it. A
//   stream resuming after a Last-Event-ID is watched (live frames are
//   held) before its replay is read, and the replay reads up to the newest
//   event at that moment; held frames after it follow. So nothing is lost
//   across the hand-over and nothing is sent twice.
// - Prices go out from one 1 s tick: per coin at most one frame a second,
//   its last price at the tick, and only when it changed since the last
//   frame; the fire path never does per-stream work for prices.
// - A keep-alive comment goes to every stream every keepalive period; a
//   stream ends at its access token's expiry, and at once when its user is
//   disabled or their sessions end (user_changed()).
// - The tick walks the streams once: each gets its price frames and the
//   keep-alive, when due, in one write straight from frames built once for
//   all (http::event_stream::send), so fanning a tick out costs one system
//   call per stream and no per-stream copy.
// - A stream whose unsent data would pass max_queued is cut off
//   (http::event_stream), counted in slow_cutoffs.
//
// Thread-safety: every member runs on the io_context thread, except
// committed() (the writer thread; it only hands over to the reader).
#pragma once

#include "core/price.hpp"
#include "core/symbol_table.hpp"
#include "core/time.hpp"
#include "daemon/metrics.hpp"
#include "daemon/stream/event_reader.hpp"
#include "http/event_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kryptod::daemon::stream {

struct hub_options {
    std::size_t max_per_user = 0; // stream.max_per_user
    std::size_t max_clients = 0;  // stream.max_clients
    std::size_t max_queued = 1 << 20;
    std::chrono::milliseconds price_period{1000};
    std::chrono::milliseconds keepalive{15000};
    // Replayed events read at a time; the next chunk is read once the
    // client took most of the last one.
    std::size_t replay_chunk = 500;
};

// A coin's last price, as the price tick reads it.
struct coin_price {
    core::symbol_id symbol = 0;
    std::string_view name;
    core::price price;
    core::millis time = 0;
};

// Who a stream is for, and what it asked.
struct stream_request {
    std::int64_t user = 0;
    std::int64_t token_issued_at = 0;     // iat, Unix seconds
    std::int64_t token_expires_at = 0;    // exp, Unix seconds
    std::vector<core::symbol_id> symbols; // empty: every coin
    std::optional<std::int64_t> last_event_id;
};

struct hub_stats {
    std::size_t open = 0;
    std::uint64_t events_sent = 0; // alert frames written to streams
    std::uint64_t prices_sent = 0; // price frames written to streams
    std::uint64_t slow_cutoffs = 0;
};

class stream_hub : public std::enable_shared_from_this<stream_hub> {
public:
    // Fills its argument with the listed coins' last prices.
    using prices_fn = std::function<void(std::vector<coin_price>&)>;
    // Whether a user's stream opened with a token issued at `issued_at` may
    // go on (the user exists, is enabled and their sessions did not end).
    using still_valid_fn = std::function<bool(std::int64_t user, std::int64_t issued_at)>;

    stream_hub(boost::asio::io_context& ioc, hub_options options, prices_fn prices,
               still_valid_fn still_valid);
    ~stream_hub();

    // Starts the event reader on `database` and the tick. Throws
    // SQLite::Exception when the database cannot be opened.
    void start(std::filesystem::path const& database);
    // Ends every stream cleanly and refuses new ones. Idempotent.
    void stop();

    enum class admission { ok, user_limit, server_limit, stopping };
    admission admit(std::int64_t user) const;

    // Takes an opened stream over (after admit() said ok).
    void add(std::shared_ptr<http::event_stream> s, stream_request r);

    // The writer's event watch listener; any thread.
    void committed(std::span<storage::writer::committed_event const> events);

    // A user's account changed: their streams end if it no longer admits
    // them.
    void user_changed(std::int64_t user);

    hub_stats stats() const;
    std::size_t max_queued() const noexcept { return options_.max_queued; }

private:
    struct client;
    void deliver(std::int64_t user, frame_list frames);
    void send_frames(client& c, frame_list const& frames);
    void read_replay(std::uint64_t id);
    void on_replay(std::uint64_t id, frame_list frames, std::int64_t up_to, bool complete);
    void on_end(std::uint64_t id, http::event_stream::end_reason why);
    void do_tick();
    void on_tick(boost::system::error_code ec);
    void build_price_frames();

    boost::asio::io_context& ioc_;
    hub_options options_;
    prices_fn prices_;
    still_valid_fn still_valid_;
    std::unique_ptr<event_reader> reader_;
    boost::asio::steady_timer tick_;
    std::unordered_map<std::uint64_t, std::unique_ptr<client>> clients_;
    std::unordered_map<std::int64_t, std::vector<std::uint64_t>> by_user_;
    std::uint64_t next_id_ = 1;
    // Per coin, the exchange time of the last price frame sent.
    std::vector<core::millis> price_sent_;
    std::vector<coin_price> scratch_;
    // The tick's price frames, each built once: per coin, and all of them
    // together for the streams that asked for every coin.
    std::vector<std::pair<core::symbol_id, std::string>> price_frames_;
    std::string all_prices_;
    std::vector<std::string_view> parts_; // what one stream gets this tick
    std::chrono::steady_clock::time_point next_keepalive_;
    hub_stats stats_;
    bool stopped_ = false;
};

// The hub's /metrics families: open streams, alert events and prices sent,
// streams cut off as too slow.
std::vector<metric_family> metric_families(stream_hub const& hub);

} // namespace kryptod::daemon::stream
