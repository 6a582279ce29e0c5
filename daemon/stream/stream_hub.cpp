// stream::stream_hub: fan-out of alert and price frames to open streams.
#include "daemon/stream/stream_hub.hpp"

#include "core/rfc3339.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace kryptod::daemon::stream {

namespace asio = boost::asio;

namespace {

constexpr std::string_view keepalive_comment = ": keepalive\n\n";

std::int64_t unix_seconds_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

struct stream_hub::client {
    std::shared_ptr<http::event_stream> stream;
    stream_request request;
    std::int64_t last_sent = 0; // the last alert event id written
    bool replaying = false;
    frame_list held; // live frames that came during the replay
};

stream_hub::stream_hub(asio::io_context& ioc, hub_options options, prices_fn prices,
                       still_valid_fn still_valid)
    : ioc_(ioc)
    , options_(options)
    , prices_(std::move(prices))
    , still_valid_(std::move(still_valid))
    , tick_(ioc) {}

stream_hub::~stream_hub() {
    if (reader_) reader_->stop();
}

void stream_hub::start(std::filesystem::path const& database) {
    std::weak_ptr<stream_hub> weak = weak_from_this();
    reader_ = std::make_unique<event_reader>(
        database, [&ioc = ioc_](std::function<void()> f) { asio::post(ioc, std::move(f)); },
        [weak](std::int64_t user, frame_list frames) {
            if (auto hub = weak.lock()) hub->deliver(user, std::move(frames));
        });
    next_keepalive_ = std::chrono::steady_clock::now() + options_.keepalive;
    do_tick();
}

void stream_hub::stop() {
    if (stopped_) return;
    stopped_ = true;
    tick_.cancel();
    // finish() calls on_end, which erases from clients_: walk a copy.
    std::vector<std::shared_ptr<http::event_stream>> open;
    for (auto const& [id, c] : clients_)
        open.push_back(c->stream);
    for (auto const& s : open)
        s->finish();
    if (reader_) reader_->stop();
}

stream_hub::admission stream_hub::admit(std::int64_t user) const {
    if (stopped_) return admission::stopping;
    if (clients_.size() >= options_.max_clients) return admission::server_limit;
    auto const it = by_user_.find(user);
    if (it != by_user_.end() && it->second.size() >= options_.max_per_user)
        return admission::user_limit;
    return admission::ok;
}

void stream_hub::add(std::shared_ptr<http::event_stream> s, stream_request r) {
    auto const id = next_id_++;
    auto c = std::make_unique<client>();
    c->stream = s;
    c->request = std::move(r);
    auto const user = c->request.user;
    // Watched before the replay is read: whatever commits after that read
    // reaches this stream live.
    reader_->watch(user);
    by_user_[user].push_back(id);
    if (c->request.last_event_id) {
        c->last_sent = *c->request.last_event_id;
        c->replaying = true;
    }
    bool const replay = c->replaying;
    clients_.emplace(id, std::move(c));
    ++stats_.open;
    std::weak_ptr<stream_hub> weak = weak_from_this();
    s->start([weak, id](http::event_stream::end_reason why) {
        if (auto hub = weak.lock()) hub->on_end(id, why);
    });
    if (replay && clients_.contains(id)) read_replay(id);
}

void stream_hub::read_replay(std::uint64_t id) {
    auto const it = clients_.find(id);
    if (it == clients_.end()) return;
    std::weak_ptr<stream_hub> weak = weak_from_this();
    auto const& c = *it->second;
    // A replay reads up to the newest event at its first chunk; later
    // chunks keep that bound, and live frames after it are held meanwhile.
    reader_->replay(c.request.user, c.last_sent, 0, options_.replay_chunk,
                    [weak, id](frame_list frames, std::int64_t up_to, bool complete) {
                        if (auto hub = weak.lock())
                            hub->on_replay(id, std::move(frames), up_to, complete);
                    });
}

void stream_hub::on_replay(std::uint64_t id, frame_list frames, std::int64_t up_to, bool complete) {
    auto const it = clients_.find(id);
    if (it == clients_.end()) return;
    auto& c = *it->second;
    c.replaying = false; // send_frames writes only while not replaying
    send_frames(c, frames);
    if (!clients_.contains(id)) return;
    if (!complete) {
        // More to replay: read the next chunk. Held frames wait for it.
        c.replaying = true;
        read_replay(id);
        return;
    }
    (void)up_to;
    auto held = std::move(c.held);
    c.held.clear();
    send_frames(c, held);
}

void stream_hub::committed(std::span<storage::writer::committed_event const> events) {
    if (reader_) reader_->committed(events);
}

void stream_hub::deliver(std::int64_t user, frame_list frames) {
    auto const it = by_user_.find(user);
    if (it == by_user_.end()) return;
    // A stream may end while frames are written (too slow): walk a copy.
    auto const ids = it->second;
    for (auto const id : ids) {
        auto const c = clients_.find(id);
        if (c == clients_.end()) continue;
        if (c->second->replaying) {
            auto& held = c->second->held;
            held.insert(held.end(), frames.begin(), frames.end());
            continue;
        }
        send_frames(*c->second, frames);
    }
}

void stream_hub::send_frames(client& c, frame_list const& frames) {
    auto const stream = c.stream; // on_end may destroy `c`
    std::uint64_t sent = 0;
    for (auto const& f : frames) {
        if (f->id <= c.last_sent) continue;
        stream->append(f->text);
        if (!stream->is_open()) return;
        c.last_sent = f->id;
        ++sent;
    }
    stats_.events_sent += sent;
    stream->flush();
}

void stream_hub::on_end(std::uint64_t id, http::event_stream::end_reason why) {
    auto const it = clients_.find(id);
    if (it == clients_.end()) return;
    auto const user = it->second->request.user;
    clients_.erase(it);
    --stats_.open;
    if (why == http::event_stream::end_reason::too_slow) ++stats_.slow_cutoffs;
    if (auto u = by_user_.find(user); u != by_user_.end()) {
        std::erase(u->second, id);
        if (u->second.empty()) by_user_.erase(u);
    }
    if (reader_) reader_->unwatch(user);
}

void stream_hub::user_changed(std::int64_t user) {
    auto const it = by_user_.find(user);
    if (it == by_user_.end()) return;
    std::vector<std::shared_ptr<http::event_stream>> ending;
    for (auto const id : it->second) {
        auto const& c = *clients_.at(id);
        if (!still_valid_(user, c.request.token_issued_at)) ending.push_back(c.stream);
    }
    for (auto const& s : ending)
        s->close();
}

hub_stats stream_hub::stats() const {
    return stats_;
}

void stream_hub::do_tick() {
    tick_.expires_after(options_.price_period);
    tick_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto hub = weak.lock()) hub->on_tick(ec);
    });
}

// Once a period, one walk over the streams: each gets the price frames it
// asked for and, when due, the keep-alive, in one write; a stream whose
// access token expired gets its frames and then ends.
void stream_hub::on_tick(boost::system::error_code ec) {
    if (ec || stopped_) return;
    build_price_frames();
    auto const now_s = unix_seconds_now();
    auto const now = std::chrono::steady_clock::now();
    bool const keepalive = now >= next_keepalive_;
    if (keepalive) next_keepalive_ = now + options_.keepalive;
    for (auto it = clients_.begin(); it != clients_.end();) {
        // A stream that ends while written leaves clients_ (on_end) and
        // takes `c` along; the walk has moved past it by then.
        auto const& c = *it->second;
        ++it;
        bool const expired = c.request.token_expires_at <= now_s;
        auto const& wanted = c.request.symbols;
        parts_.clear();
        std::size_t prices = 0;
        if (wanted.empty()) {
            if (!all_prices_.empty()) parts_.push_back(all_prices_);
            prices = price_frames_.size();
        } else {
            for (auto const& [symbol, text] : price_frames_) {
                if (std::find(wanted.begin(), wanted.end(), symbol) == wanted.end()) continue;
                parts_.push_back(text);
                ++prices;
            }
        }
        if (keepalive && !expired) parts_.push_back(keepalive_comment);
        if (parts_.empty() && !expired) continue;
        auto const stream = c.stream;
        stream->send(parts_);
        if (prices > 0 && stream->is_open()) stats_.prices_sent += prices;
        // The client reconnects with a fresh token.
        if (expired) stream->finish();
    }
    do_tick();
}

// Each coin whose price moved since its last frame gets one frame, built
// once, into price_frames_; all_prices_ is all of them in that order.
void stream_hub::build_price_frames() {
    scratch_.clear();
    price_frames_.clear();
    all_prices_.clear();
    prices_(scratch_);
    for (auto const& p : scratch_) {
        if (p.symbol >= price_sent_.size()) price_sent_.resize(p.symbol + std::size_t{1}, -1);
        if (price_sent_[p.symbol] == p.time) continue;
        price_sent_[p.symbol] = p.time;
        std::string frame = "event: price\ndata: {\"symbol\":\"";
        frame += p.name;
        frame += "\",\"price\":\"";
        frame += p.price.to_string();
        frame += "\",\"time\":\"";
        frame += core::format_rfc3339(p.time);
        frame += "\"}\n\n";
        all_prices_ += frame;
        price_frames_.emplace_back(p.symbol, std::move(frame));
    }
}

std::vector<metric_family> metric_families(stream_hub const& hub) {
    auto const s = hub.stats();
    auto one = [](double v) { return std::vector<sample>{{"", v}}; };
    return {
        {"kryptod_streams_open", "open live streams (GET /api/stream)", "gauge",
         one(static_cast<double>(s.open))},
        {"kryptod_stream_events_sent_total",
         "frames written to live streams",
         "counter",
         {{R"(event="alert")", static_cast<double>(s.events_sent)},
          {R"(event="price")", static_cast<double>(s.prices_sent)}}},
        {"kryptod_stream_slow_cutoffs_total",
         "live streams cut off because their unsent data passed 1 MiB", "counter",
         one(static_cast<double>(s.slow_cutoffs))},
    };
}

} // namespace kryptod::daemon::stream
