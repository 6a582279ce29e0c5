// notify::http_lane: the one HTTP client of every channel that POSTs to a
// user-given URL (the webhook today; Discord, Slack, ntfy and the Telegram
// Bot API next). One thread runs a libcurl multi handle, so any number of
// requests are in flight at once and a server that never answers holds one
// transfer, never the lane.
//
// Invariants, for every request:
// - only http and https; no redirects followed; proxies from the
//   environment ignored (CURLOPT_PROXY "", CURLOPT_NOPROXY "*");
// - unless private targets are allowed, a socket is opened only to an
//   address address_policy calls global, checked in the open-socket
//   callback on the address libcurl is about to connect to: the check sees
//   what DNS answered at connect time, so a name that resolves to a public
//   address when vetted and to 127.0.0.1 later (DNS rebinding) gains
//   nothing;
// - a connect deadline (short: a dead host costs little) and a deadline for
//   the whole request;
// - at most 64 KiB of the answer's body kept.
//
// Thread-safety: submit() and stop() may be called from any thread;
// completions run on the lane's thread, one at a time, and must not block.
#pragma once

#include "daemon/notify/curl_handles.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace kryptod::daemon::notify {

struct http_lane_options {
    bool allow_private = false; // notify.webhook_allow_private
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds timeout{5000}; // the whole request
    std::filesystem::path ca_file;           // empty: the system store
};

struct http_request {
    std::string url;
    std::vector<std::string> headers; // "Name: value" lines
    std::string body;                 // POSTed as is
};

struct http_answer {
    enum class kind {
        answered,    // an HTTP status came back
        invalid_url, // not an http(s) URL with a host: nothing was sent
        refused,     // every address it led to is private: nothing was sent
        no_answer,   // unreachable, timed out, TLS failed
    };
    kind what = kind::no_answer;
    long status = 0;         // when answered
    std::string retry_after; // the Retry-After header, if any
    std::string body;        // the first 64 KiB
    std::string summary;     // coarse, for the user: "HTTP 503", "timeout", ...
    std::string detail;      // for the log: libcurl's words, addresses, timings
};

class http_lane {
public:
    using completion = std::function<void(http_answer)>;

    // Throws std::runtime_error when libcurl cannot start.
    explicit http_lane(http_lane_options options);
    // Calls stop().
    ~http_lane();

    http_lane(http_lane const&) = delete;
    http_lane& operator=(http_lane const&) = delete;

    void start();

    // Queues a request; `done` runs once on the lane's thread with the
    // answer, or never when the lane stops first.
    void submit(http_request request, completion done);

    // Abandons the transfers in flight (their completions never run) and
    // joins the thread. Idempotent.
    void stop();

private:
    struct transfer;
    void run();
    void add(http_request request, completion done);
    void finish(CURL* easy, CURLcode code);

    http_lane_options options_;
    curl_multi_ptr multi_;

    std::mutex mutex_;
    std::vector<std::pair<http_request, completion>> queued_;
    bool stopping_ = false;
    std::unordered_map<CURL*, std::unique_ptr<transfer>> running_; // the lane's thread only
    std::thread thread_;
};

} // namespace kryptod::daemon::notify
