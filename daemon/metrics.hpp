// metrics: the figures GET /metrics exposes in the Prometheus text format
// (version 0.0.4): counters and gauges pulled from the components at scrape
// time, plus what only this module records — HTTP requests by route, method
// and status, and the tick-to-trigger latency histogram.
//
// Thread-safety: record_request() and record_latency() run on the io_context
// thread, as does render(); nothing here is shared with other threads.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace kryptod::daemon {

// A cumulative histogram with fixed upper bounds (seconds).
class histogram {
public:
    explicit histogram(std::vector<double> bounds);
    void observe(double seconds);
    // `name_bucket{le="..."} n` lines, `_sum` and `_count`.
    void render(std::string& out, std::string_view name) const;
    std::uint64_t count() const noexcept { return count_; }

private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> counts_; // per bucket, not cumulative
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

// One sample of a metric family: label text like `channel="email"` (may be
// empty) and its value.
struct sample {
    std::string labels;
    double value = 0;
};

struct metric_family {
    std::string name;
    std::string help;
    std::string type; // "counter" or "gauge"
    std::vector<sample> samples;
};

class metrics {
public:
    metrics();

    void record_request(std::string_view route, std::string_view method, unsigned status);
    void record_latency(std::chrono::nanoseconds tick_to_trigger);

    // The exposition text: `families` (pulled from the components by the
    // caller), then the request counters and the latency histogram.
    std::string render(std::vector<metric_family> const& families) const;

private:
    std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
    histogram latency_;
};

// `value` escaped for a Prometheus label value (backslash, quote, newline).
std::string escape_label(std::string_view value);

} // namespace kryptod::daemon
