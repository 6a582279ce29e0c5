// core_bench, move alerts: the whole evaluator (core::alert_book) with the
// 1,000,000 price alerts of the 100-coin layout plus 100,000 move alerts over
// the same coins and five window lengths (1 min, 5 min, 15 min, 1 h, 24 h).
// Targets:
//   tick that fires nothing, price + move        <= 25 ns
//   cost per fired move alert, move index        <= 100 ns
//   move index memory per armed move alert       <= 64 bytes
// The two times are the evaluating thread's CPU time (best of several runs),
// so that other processes on a shared machine do not count; the wall-clock
// figures are printed next to them.
// As for price alerts, the fire target is the index's (core::move_index); the
// whole evaluator's cost per fire (slot, id map, the fired record) is printed.
// Also printed: the book's RSS per move alert (its slot and index entries), the
// window bytes per trade held, and a 24 h window at BTCUSDT's real trade rate
// (from the recorded aggTrade capture in ../shared/fixtures, when present).
#pragma once

#include "core/alert_book.hpp"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <time.h>
#include <vector>

namespace move_bench {

namespace core = kryptod::core;

constexpr std::size_t move_alerts = 100'000;
constexpr core::millis windows[] = {60'000, 300'000, 900'000, 3'600'000, 86'400'000};

struct figures {
    double tick_ns = 0, fire_ns = 0;           // thread CPU time
    double tick_wall_ns = 0, fire_wall_ns = 0; // wall clock
    double fire_index_ns = 0;                  // the move index alone, thread CPU time
    double index_bytes = 0, book_bytes = 0;
    double window_points_per_coin = 0;
    std::size_t fired = 0;
};

// Seconds of CPU time the calling thread has used.
inline double thread_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The terms of `move_alerts` move alerts over `coins` coins, ids from
// `first_id`, with percents in [min_percent, max_percent] hundredths.
inline std::vector<core::alert_terms> move_terms(std::size_t coins, core::alert_id first_id,
                                                 std::int64_t min_percent, std::int64_t max_percent,
                                                 std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<core::alert_terms> out;
    for (std::size_t i = 0; i < move_alerts; ++i) {
        core::alert_terms t;
        t.id = first_id + static_cast<core::alert_id>(i);
        t.symbol = static_cast<core::symbol_id>(rng() % coins);
        t.kind = core::alert_kind::move;
        t.move_side = rng() % 2 ? core::move_direction::up : core::move_direction::down;
        t.move_percent =
            min_percent + static_cast<std::int64_t>(
                              rng() % static_cast<std::uint64_t>(max_percent - min_percent + 1));
        t.window = windows[rng() % 5];
        out.push_back(t);
    }
    return out;
}

// Arms them in `book` at time 0.
inline void arm_moves(core::alert_book& book, std::size_t coins, core::alert_id first_id,
                      std::int64_t min_percent, std::int64_t max_percent, std::uint64_t seed) {
    for (auto const& t : move_terms(coins, first_id, min_percent, max_percent, seed))
        book.arm(t, 0);
}

// Trades per second of BTCUSDT in the recorded aggTrade capture, or 0 when
// the fixtures are not there.
inline double btcusdt_trade_rate() {
    char const* dir = std::getenv("KRYPTOD_FIXTURES");
    std::string const path =
        std::string(dir ? dir : "../shared/fixtures") + "/binance/cryptofeed/BINANCE-ee25be.0";
    std::ifstream in(path);
    if (!in) return 0;
    std::string line;
    std::size_t trades = 0;
    long long first = 0, last = 0;
    while (std::getline(in, line)) {
        if (line.find("\"btcusdt@aggTrade\"") == std::string::npos) continue;
        auto const at = line.find("\"T\":");
        if (at == std::string::npos) continue;
        long long const t = std::atoll(line.c_str() + at + 4);
        if (trades++ == 0) first = t;
        last = t;
    }
    if (trades < 2 || last <= first) return 0;
    return static_cast<double>(trades - 1) * 1000.0 / static_cast<double>(last - first);
}

} // namespace move_bench
