// feed_options: what the Binance feed needs to know, in the units it works
// in. The daemon fills it from `[feed]` of the configuration (seconds there);
// tests set milliseconds directly to keep their runs short.
#pragma once

#include <boost/url/url.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kryptod::daemon::feed {

using std::chrono::milliseconds;

struct feed_options {
    // From the configuration (daemon/options.cpp fills them; they have no
    // defaults of their own): feed.url, feed.rest_url, feed.ca_file,
    // feed.stale_after, feed.backfill_max, feed.backfill_hold. The rest are
    // the feed's own constants.
    std::string url;               // combined-stream endpoint
    std::string rest_url;          // aggTrades / klines
    std::filesystem::path ca_file; // empty: the system store

    // A connection that receives nothing (no data, ping, pong or reply) for
    // this long is dead. kryptod pings at half of it, so a quiet but healthy
    // feed always has its pong to show.
    milliseconds stale_after{0};
    milliseconds connect_timeout{10'000}; // resolve + TCP + TLS + websocket handshake

    milliseconds backoff_initial{1'000};
    milliseconds backoff_max{60'000};
    // The backoff starts over after a connection that subscribed and
    // delivered a trade, or that stayed up this long (a quiet coin list).
    milliseconds stable_after{60'000};
    // Binance allows 300 connection attempts per 5 minutes per address:
    // kryptod never makes more, rolls and reconnects together.
    std::size_t connection_attempts_max = 300;
    milliseconds connection_attempts_window{300'000};

    // Binance cuts every connection at 24 hours; kryptod replaces it first.
    milliseconds max_connection_age{std::chrono::hours(23) + std::chrono::minutes(30)};

    std::size_t max_streams_per_connection = 1024;
    // Binance allows 5 incoming messages per second and counts pings and
    // pongs among them: JSON requests keep one slot free for those.
    unsigned control_messages_per_second = 4;
    // Binance frames are well under 1 KiB; anything bigger than this is
    // refused by the websocket layer, which bounds the feed's memory.
    std::size_t read_message_max = 64 * 1024;

    milliseconds backfill_max{0}; // longer gaps fall back to 1-minute klines
    unsigned backfill_page_limit = 1000;
    std::size_t live_buffer_max = 100'000; // live trades held per coin while it catches up
    // How long a coin's live trades wait for its gap's replay (SPEC §4
    // feed.backfill_hold); past it they are evaluated as they come.
    milliseconds backfill_hold{0};
};

// A websocket or HTTP endpoint taken apart.
struct endpoint {
    bool tls = false;
    std::string host;
    std::string port;
    std::string target; // path and query, at least "/"
};

// Parses a ws://, wss://, http:// or https:// URL. Returns nullopt (and sets
// `error`) for any other scheme, a missing host or an unparsable text.
std::optional<endpoint> parse_endpoint(std::string_view url, std::string& error);

} // namespace kryptod::daemon::feed
