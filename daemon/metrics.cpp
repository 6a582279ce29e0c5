// Prometheus text exposition of kryptod's figures.
#include "daemon/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace kryptod::daemon {
namespace {

std::string number(double v) {
    char buf[32];
    if (v == static_cast<double>(static_cast<std::int64_t>(v)) && v < 1e15 && v > -1e15)
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    else
        std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

} // namespace

std::string escape_label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds))
    , counts_(bounds_.size() + 1, 0) {}

void histogram::observe(double seconds) {
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
    ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    sum_ += seconds;
    ++count_;
}

void histogram::render(std::string& out, std::string_view name) const {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += counts_[i];
        out.append(name).append("_bucket{le=\"").append(number(bounds_[i])).append("\"} ");
        out.append(number(static_cast<double>(cumulative))).append("\n");
    }
    out.append(name).append("_bucket{le=\"+Inf\"} ").append(number(static_cast<double>(count_)));
    out.append("\n").append(name).append("_sum ").append(number(sum_)).append("\n");
    out.append(name).append("_count ").append(number(static_cast<double>(count_))).append("\n");
}

metrics::metrics()
    : latency_({1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 1e-2, 1e-1}) {}

void metrics::record_request(std::string_view route, std::string_view method, unsigned status) {
    ++requests_[{std::string(route), std::string(method), status}];
}

void metrics::record_latency(std::chrono::nanoseconds d) {
    latency_.observe(std::chrono::duration<double>(d).count());
}

std::string metrics::render(std::vector<metric_family> const& families) const {
    std::string out;
    auto header = [&](std::string_view name, std::string_view help, std::string_view type) {
        out.append("# HELP ").append(name).append(" ").append(help).append("\n");
        out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    };
    for (auto const& f : families) {
        header(f.name, f.help, f.type);
        for (auto const& s : f.samples) {
            out.append(f.name);
            if (!s.labels.empty()) out.append("{").append(s.labels).append("}");
            out.append(" ").append(number(s.value)).append("\n");
        }
    }
    header("kryptod_http_requests_total", "HTTP requests answered, by route, method and status",
           "counter");
    for (auto const& [key, n] : requests_) {
        auto const& [route, method, status] = key;
        out.append("kryptod_http_requests_total{route=\"")
            .append(escape_label(route.empty() ? "unmatched" : route))
            .append("\",method=\"")
            .append(escape_label(method))
            .append("\",status=\"")
            .append(std::to_string(status))
            .append("\"} ")
            .append(number(static_cast<double>(n)))
            .append("\n");
    }
    header("kryptod_tick_to_trigger_seconds",
           "from a trade frame's arrival to the index returning the alerts it fires", "histogram");
    latency_.render(out, "kryptod_tick_to_trigger_seconds");
    return out;
}

} // namespace kryptod::daemon
