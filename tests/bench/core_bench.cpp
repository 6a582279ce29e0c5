// core_bench: measures the evaluator's hot paths on this machine, single
// threaded, with 1,000,000 armed alerts spread over 100 coins and over 1 coin,
// and prints a markdown table with the CPU it ran on. Exits non-zero when a
// target is missed:
//   tick that fires nothing (index)     <= 10 ns
//   cost per fired alert (index)        <= 50 ns
//   arm / cancel into the full index    <= 2 us each (also at a shared target)
//   index memory per armed alert        <= 64 bytes
// Core-state figures (alert_book: index + per-alert data + id map + symbols)
// are printed for reference. Move alerts are measured on top of the 100-coin
// layout (core_bench_moves.hpp has their targets). Ticks follow random walks across all coins.
// Timings are the best of several runs, to keep other load on the machine
// from failing the targets; memory is measured in a forked child so that
// earlier phases' freed heap does not hide what a structure costs.
#include "core/alert_book.hpp"
#include "core/threshold_index.hpp"
#include "core_bench_moves.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace core = kryptod::core;
using core::direction;
using core::price;

namespace {

constexpr std::size_t total_alerts = 1'000'000;
constexpr int runs = 5;
constexpr int fire_runs = 9; // move sweeps, see measure_moves()

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

long resident_bytes() {
    std::ifstream in("/proc/self/statm");
    long size = 0, resident = 0;
    in >> size >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

// Runs `measure` in a child process and returns the number it reports.
double in_child(std::function<double()> const& measure) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t const pid = fork();
    if (pid == 0) {
        close(fds[0]);
        double const value = measure();
        if (write(fds[1], &value, sizeof value) != sizeof value) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    double value = -1;
    if (read(fds[0], &value, sizeof value) != sizeof value) value = -1;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return value;
}

struct armed {
    core::symbol_id symbol;
    direction side;
    price target;
    std::uint64_t id;
};

// A layout of alerts: coin base prices, and alerts well away from them
// (above: +2% to +100%, below: -50% to -2%) unless `distinct_targets` limits
// each coin to that many shared target values per side.
struct layout {
    std::size_t coins;
    std::vector<std::int64_t> base; // units
    std::vector<armed> alerts;

    layout(std::size_t coin_count, std::size_t distinct_targets, std::uint64_t seed)
        : coins(coin_count) {
        std::mt19937_64 rng(seed);
        for (std::size_t c = 0; c < coins; ++c)
            base.push_back((1 + static_cast<std::int64_t>(rng() % 100000)) * price::scale);
        alerts.reserve(total_alerts);
        for (std::size_t i = 0; i < total_alerts; ++i)
            alerts.push_back(make(rng, distinct_targets, i));
    }

    armed make(std::mt19937_64& rng, std::size_t distinct_targets, std::uint64_t id) const {
        auto const c = static_cast<core::symbol_id>(rng() % coins);
        auto const b = base[c];
        auto const side = rng() % 2 ? direction::above : direction::below;
        std::int64_t spread = side == direction::above ? b / 100 * 98 : b / 100 * 48;
        std::int64_t offset = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(spread));
        if (distinct_targets != 0) {
            auto const step = spread / static_cast<std::int64_t>(distinct_targets);
            offset = offset / step * step;
        }
        auto const t = side == direction::above ? b + b / 50 + offset : b / 2 + offset;
        return armed{c, side, price::from_units(t), id};
    }
};

// Random-walk ticks across all coins that stay within +-1% of each base.
struct quiet_ticks {
    std::vector<core::symbol_id> symbols;
    std::vector<price> prices;

    quiet_ticks(layout const& l, std::size_t n, std::uint64_t seed) {
        std::mt19937_64 rng(seed);
        std::vector<std::int64_t> level = l.base;
        symbols.reserve(n);
        prices.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            auto const c = static_cast<core::symbol_id>(rng() % l.coins);
            auto const b = l.base[c];
            auto const step = b / 10000;
            level[c] += rng() % 2 ? step : -step;
            level[c] = std::clamp(level[c], b - b / 100, b + b / 100);
            symbols.push_back(c);
            prices.push_back(price::from_units(level[c]));
        }
    }
};

// Ticks that climb every coin from its base to 2x and then fall to 0.4x, in
// steps small enough to fire a few alerts each, interleaved across coins.
struct sweeping_ticks {
    std::vector<core::symbol_id> symbols;
    std::vector<price> prices;

    explicit sweeping_ticks(layout const& l) {
        std::size_t const steps = total_alerts / l.coins / 5 + 1;
        for (int leg = 0; leg < 2; ++leg)
            for (std::size_t s = 1; s <= steps; ++s)
                for (std::size_t c = 0; c < l.coins; ++c) {
                    auto const b = l.base[c];
                    auto const frac = static_cast<double>(s) / static_cast<double>(steps);
                    auto const to = leg == 0 ? b + static_cast<std::int64_t>(b * frac)
                                             : 2 * b - static_cast<std::int64_t>(b * 1.6 * frac);
                    symbols.push_back(static_cast<core::symbol_id>(c));
                    prices.push_back(price::from_units(to));
                }
    }
};

void fill(core::threshold_index& index, layout const& l) {
    for (auto const& a : l.alerts)
        index.arm(a.symbol, a.side, a.target, a.id);
}

void fill(core::alert_book& book, layout const& l) {
    for (std::size_t c = 0; c < l.coins; ++c)
        book.symbols().intern("COIN" + std::to_string(c));
    for (auto const& a : l.alerts) {
        core::alert_terms t;
        t.id = static_cast<core::alert_id>(a.id);
        t.symbol = a.symbol;
        t.target = a.target;
        t.side = a.side;
        book.arm(t, 0);
    }
}

struct figures {
    double tick_index_ns = 0, tick_book_ns = 0;
    double fire_index_ns = 0, fire_book_ns = 0;
    double arm_ns = 0, cancel_ns = 0, arm_p99_ns = 0, cancel_p99_ns = 0;
    double book_arm_ns = 0, book_disarm_ns = 0;
    double index_bytes = 0, book_bytes = 0;
};

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

// Fills in the memory figures. Runs before any timing, while the parent's
// heap holds no freed memory that a child could reuse unseen.
void measure_memory(layout const& l, figures& f) {
    f.index_bytes = in_child([&] {
        long const before = resident_bytes();
        core::threshold_index index;
        fill(index, l);
        return static_cast<double>(resident_bytes() - before) / total_alerts;
    });
    f.book_bytes = in_child([&] {
        long const before = resident_bytes();
        core::alert_book book;
        fill(book, l);
        return static_cast<double>(resident_bytes() - before) / total_alerts;
    });
}

void measure(layout const& l, std::uint64_t seed, figures& f) {
    // Ticks that fire nothing.
    quiet_ticks const quiet(l, 4'000'000, seed + 1);
    {
        core::threshold_index index;
        fill(index, l);
        std::vector<core::threshold_index::hit> hits;
        f.tick_index_ns = 1e300;
        for (int r = 0; r < runs; ++r) {
            std::size_t fired = 0;
            auto const start = clock_type::now();
            for (std::size_t i = 0; i < quiet.symbols.size(); ++i)
                fired += index.on_tick(quiet.symbols[i], quiet.prices[i], hits);
            double const ns =
                seconds_since(start) * 1e9 / static_cast<double>(quiet.symbols.size());
            if (fired != 0) std::fprintf(stderr, "quiet ticks fired %zu alerts\n", fired);
            f.tick_index_ns = std::min(f.tick_index_ns, ns);
        }

        // Arm and cancel into the full index, one operation at a time.
        std::mt19937_64 rng(seed + 2);
        std::vector<armed> extra;
        for (std::uint64_t i = 0; i < 100'000; ++i) {
            auto a = l.alerts[rng() % total_alerts]; // targets already in use
            a.id = total_alerts + i;
            extra.push_back(a);
        }
        f.arm_ns = f.cancel_ns = 1e300;
        std::vector<double> arm_times, cancel_times;
        for (int r = 0; r < runs; ++r) {
            std::vector<double> arms, cancels;
            arms.reserve(extra.size());
            cancels.reserve(extra.size());
            auto start = clock_type::now();
            for (auto const& a : extra) {
                auto const t0 = clock_type::now();
                index.arm(a.symbol, a.side, a.target, a.id);
                arms.push_back(
                    std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
            }
            double const arm_ns = seconds_since(start) * 1e9 / static_cast<double>(extra.size());
            std::shuffle(extra.begin(), extra.end(), rng);
            start = clock_type::now();
            for (auto const& a : extra) {
                auto const t0 = clock_type::now();
                index.disarm(a.symbol, a.side, a.target, a.id);
                cancels.push_back(
                    std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
            }
            double const cancel_ns = seconds_since(start) * 1e9 / static_cast<double>(extra.size());
            if (arm_ns < f.arm_ns) {
                f.arm_ns = arm_ns;
                arm_times = std::move(arms);
            }
            if (cancel_ns < f.cancel_ns) {
                f.cancel_ns = cancel_ns;
                cancel_times = std::move(cancels);
            }
        }
        f.arm_p99_ns = percentile(arm_times, 0.99);
        f.cancel_p99_ns = percentile(cancel_times, 0.99);
    }
    {
        core::alert_book book;
        fill(book, l);
        std::vector<core::fired_alert> fired;
        f.tick_book_ns = 1e300;
        for (int r = 0; r < runs; ++r) {
            auto const start = clock_type::now();
            for (std::size_t i = 0; i < quiet.symbols.size(); ++i)
                book.on_tick(core::tick{quiet.symbols[i], quiet.prices[i],
                                        static_cast<core::millis>(i + 1), false},
                             static_cast<core::millis>(i + 1), fired);
            f.tick_book_ns =
                std::min(f.tick_book_ns,
                         seconds_since(start) * 1e9 / static_cast<double>(quiet.symbols.size()));
        }
        std::mt19937_64 rng(seed + 3);
        constexpr std::size_t n = 100'000;
        f.book_arm_ns = f.book_disarm_ns = 1e300;
        for (int r = 0; r < runs; ++r) {
            std::vector<core::alert_terms> extra;
            for (std::size_t i = 0; i < n; ++i) {
                auto const& a = l.alerts[rng() % total_alerts];
                core::alert_terms t;
                t.id = static_cast<core::alert_id>(total_alerts + i);
                t.symbol = a.symbol;
                t.target = a.target;
                t.side = a.side;
                extra.push_back(t);
            }
            auto start = clock_type::now();
            for (auto const& t : extra)
                book.arm(t, 1);
            f.book_arm_ns = std::min(f.book_arm_ns, seconds_since(start) * 1e9 / n);
            std::shuffle(extra.begin(), extra.end(), rng);
            start = clock_type::now();
            for (auto const& t : extra)
                book.disarm(t.id);
            f.book_disarm_ns = std::min(f.book_disarm_ns, seconds_since(start) * 1e9 / n);
        }
    }

    // Ticks that fire: sweep every coin through all of its targets.
    sweeping_ticks const sweep(l);
    f.fire_index_ns = f.fire_book_ns = 1e300;
    for (int r = 0; r < 3; ++r) {
        core::threshold_index index;
        fill(index, l);
        // Touch the output's pages first: page faults are not the index's cost.
        std::vector<core::threshold_index::hit> hits(total_alerts);
        hits.clear();
        std::size_t fired = 0;
        auto const start = clock_type::now();
        for (std::size_t i = 0; i < sweep.symbols.size(); ++i)
            fired += index.on_tick(sweep.symbols[i], sweep.prices[i], hits);
        double const elapsed = seconds_since(start);
        if (fired != total_alerts)
            std::fprintf(stderr, "sweep fired %zu of %zu\n", fired, total_alerts);
        f.fire_index_ns = std::min(f.fire_index_ns, elapsed * 1e9 / static_cast<double>(fired));
    }
    for (int r = 0; r < 3; ++r) {
        core::alert_book book;
        fill(book, l);
        std::vector<core::fired_alert> fired(total_alerts);
        fired.clear();
        auto const start = clock_type::now();
        for (std::size_t i = 0; i < sweep.symbols.size(); ++i)
            book.on_tick(core::tick{sweep.symbols[i], sweep.prices[i], 1, false}, 1, fired);
        double const elapsed = seconds_since(start);
        f.fire_book_ns =
            std::min(f.fire_book_ns, elapsed * 1e9 / static_cast<double>(fired.size()));
    }
}

// The evaluator with the 100-coin layout's price alerts plus move alerts:
// quiet ticks (a walk within +-1 % that no percent of 2.5 % or more can
// follow), fires of every move alert by a sweep, memory and window state.
void measure_moves(layout const& l, move_bench::figures& f) {
    using move_bench::move_alerts;
    constexpr core::alert_id first_move = total_alerts + 1;
    f.book_bytes = in_child([&] {
        core::alert_book book;
        book.reserve(total_alerts + move_alerts); // no growth of the tables in the figure
        fill(book, l);
        long const before = resident_bytes();
        move_bench::arm_moves(book, l.coins, first_move, 250, 2000, 7);
        return static_cast<double>(resident_bytes() - before) / move_alerts;
    });

    quiet_ticks const quiet(l, 4'000'000, 41);
    {
        core::alert_book book;
        fill(book, l);
        move_bench::arm_moves(book, l.coins, first_move, 250, 2000, 7);
        std::vector<core::fired_alert> fired;
        f.tick_ns = f.tick_wall_ns = 1e300;
        core::millis time = 0;
        for (int r = 0; r < runs; ++r) {
            auto const start = clock_type::now();
            double const cpu_start = move_bench::thread_seconds();
            for (std::size_t i = 0; i < quiet.symbols.size(); ++i) {
                ++time;
                book.on_tick(core::tick{quiet.symbols[i], quiet.prices[i], time, false}, time,
                             fired);
            }
            auto const n = static_cast<double>(quiet.symbols.size());
            f.tick_ns = std::min(f.tick_ns, (move_bench::thread_seconds() - cpu_start) * 1e9 / n);
            f.tick_wall_ns = std::min(f.tick_wall_ns, seconds_since(start) * 1e9 / n);
        }
        if (!fired.empty()) std::fprintf(stderr, "quiet ticks fired %zu alerts\n", fired.size());
        std::size_t window = 0, points = 0;
        for (std::size_t c = 0; c < l.coins; ++c) {
            window += book.moves().window_bytes(static_cast<core::symbol_id>(c));
            points += book.moves().window_points(static_cast<core::symbol_id>(c));
        }
        f.index_bytes = static_cast<double>(book.moves().memory_bytes() - window) / move_alerts;
        f.window_points_per_coin = static_cast<double>(points) / static_cast<double>(l.coins);
    }

    // Every coin climbs to 1.5x its base in 200 steps, then falls to 0.5x in
    // 200 more, all within 40 s: each up alert fires on the climb against the
    // base, each down alert on the fall against the top.
    std::vector<core::symbol_id> symbols;
    std::vector<price> prices;
    for (int leg = 0; leg < 2; ++leg)
        for (std::int64_t s = 0; s <= 200; ++s)
            for (std::size_t c = 0; c < l.coins; ++c) {
                auto const b = l.base[c];
                symbols.push_back(static_cast<core::symbol_id>(c));
                prices.push_back(
                    price::from_units(leg == 0 ? b + b / 2 * s / 200 : b + b / 2 - b * s / 200));
            }
    // A sweep takes some 10 ms: the best of more runs than the quiet walk's,
    // so that one interrupt or page fault does not decide the figure.
    f.fire_ns = f.fire_wall_ns = 1e300;
    for (int r = 0; r < fire_runs; ++r) {
        core::alert_book book;
        for (std::size_t c = 0; c < l.coins; ++c)
            book.symbols().intern("COIN" + std::to_string(c));
        move_bench::arm_moves(book, l.coins, first_move, 100, 1000, 8);
        std::vector<core::fired_alert> fired(move_alerts);
        fired.clear();
        auto const start = clock_type::now();
        double const cpu_start = move_bench::thread_seconds();
        for (std::size_t i = 0; i < symbols.size(); ++i) {
            auto const time = static_cast<core::millis>(i / 10 + 1);
            book.on_tick(core::tick{symbols[i], prices[i], time, false}, time, fired);
        }
        double const cpu = move_bench::thread_seconds() - cpu_start;
        double const elapsed = seconds_since(start);
        f.fired = fired.size();
        auto const n = static_cast<double>(fired.size());
        f.fire_ns = std::min(f.fire_ns, cpu * 1e9 / n);
        f.fire_wall_ns = std::min(f.fire_wall_ns, elapsed * 1e9 / n);
    }

    // The move index alone, as the price rows' "index" figure: same sweep.
    auto const terms = move_bench::move_terms(l.coins, first_move, 100, 1000, 8);
    f.fire_index_ns = 1e300;
    for (int r = 0; r < fire_runs; ++r) {
        core::move_index index;
        for (std::uint32_t i = 0; i < terms.size(); ++i) {
            auto const& t = terms[i];
            index.attach(t.symbol, t.window);
            index.join_at_time(i, t.symbol, t.window, t.move_side,
                               static_cast<std::int32_t>(t.move_percent), 0);
        }
        std::vector<core::move_index::hit> hits(move_alerts);
        hits.clear();
        double const cpu_start = move_bench::thread_seconds();
        for (std::size_t i = 0; i < symbols.size(); ++i) {
            auto const time = static_cast<core::millis>(i / 10 + 1);
            index.on_points(symbols[i], prices[i], prices[i], &prices[i], 1, time, hits);
        }
        double const cpu = move_bench::thread_seconds() - cpu_start;
        if (hits.size() != move_alerts) f.fired = hits.size();
        f.fire_index_ns = std::min(f.fire_index_ns, cpu * 1e9 / static_cast<double>(hits.size()));
    }
}

// One coin with a 24 h move window, fed a day of trades at `rate` per second
// as a walk of 0 to 3 cents a trade around 58,000: the points its deques
// hold at the end and their bytes.
struct day_window {
    std::size_t trades = 0, points = 0, bytes = 0;
};

day_window measure_day(double rate) {
    day_window d;
    d.trades = static_cast<std::size_t>(rate * 86'400);
    core::alert_book book;
    auto const coin = book.symbols().intern("BTCUSDT");
    core::alert_terms t;
    t.id = 1;
    t.symbol = coin;
    t.kind = core::alert_kind::move;
    t.move_percent = core::max_move_percent_hundredths;
    t.window = move_bench::windows[4];
    book.arm(t, 0);
    std::mt19937_64 rng(5);
    std::int64_t level = 58'000 * price::scale;
    std::vector<core::fired_alert> fired;
    for (std::size_t i = 0; i < 2 * d.trades; ++i) { // two days: the window is full
        level += (static_cast<std::int64_t>(rng() % 7) - 3) * (price::scale / 100);
        auto const time = static_cast<core::millis>(static_cast<double>(i) * 1000.0 / rate) + 1;
        book.on_tick(core::tick{coin, price::from_units(level), time, false}, time, fired);
    }
    d.points = book.moves().window_points(coin);
    d.bytes = book.moves().window_bytes(coin);
    return d;
}

struct verdict {
    bool ok = true;
    char const* check(double value, double limit) {
        if (value <= limit) return "ok";
        ok = false;
        return "**MISSED**";
    }
};

} // namespace

int main() {
    std::printf("kryptod core benchmark: %s, %ld cores online, one thread\n\n", cpu_model().c_str(),
                sysconf(_SC_NPROCESSORS_ONLN));
    std::fflush(stdout);

    layout const spread(100, 0, 1);
    layout const single(1, 0, 2);
    layout const shared(1, 10, 3); // 1 coin, 10 target values per side: 50,000 alerts each

    figures a, b, s;
    measure_memory(spread, a);
    measure_memory(single, b);
    measure_memory(shared, s);
    measure(spread, 10, a);
    measure(single, 20, b);
    measure(shared, 30, s);

    verdict v;
    auto const row = [&](char const* name, double fa, double fb, double fs, char const* unit,
                         double limit) {
        bool const gated = limit > 0;
        char const* mark = "";
        if (gated) {
            mark = v.check(fa, limit);
            if (*v.check(fb, limit) != 'o') mark = "**MISSED**";
            if (*v.check(fs, limit) != 'o') mark = "**MISSED**";
        }
        char target[32] = "-";
        if (gated) std::snprintf(target, sizeof target, "<= %g %s", limit, unit);
        std::printf("| %-44s | %10.1f | %10.1f | %10.1f | %-5s | %-12s | %-10s |\n", name, fa, fb,
                    fs, unit, target, mark);
    };
    std::printf("1,000,000 armed alerts. Columns: 100 coins; 1 coin; 1 coin with 10 shared "
                "targets per side.\n\n");
    std::printf("| %-44s | %10s | %10s | %10s | %-5s | %-12s | %-10s |\n", "figure", "100 coins",
                "1 coin", "shared", "unit", "target", "result");
    std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", std::string(46, '-').c_str(),
                std::string(12, '-').c_str(), std::string(12, '-').c_str(),
                std::string(12, '-').c_str(), std::string(7, '-').c_str(),
                std::string(14, '-').c_str(), std::string(12, '-').c_str());
    row("tick that fires nothing, index", a.tick_index_ns, b.tick_index_ns, s.tick_index_ns, "ns",
        10);
    row("tick that fires nothing, core state", a.tick_book_ns, b.tick_book_ns, s.tick_book_ns, "ns",
        0);
    row("cost per fired alert, index", a.fire_index_ns, b.fire_index_ns, s.fire_index_ns, "ns", 50);
    row("cost per fired alert, core state", a.fire_book_ns, b.fire_book_ns, s.fire_book_ns, "ns",
        0);
    row("arm into the full index (mean)", a.arm_ns, b.arm_ns, s.arm_ns, "ns", 2000);
    row("cancel from the full index (mean)", a.cancel_ns, b.cancel_ns, s.cancel_ns, "ns", 2000);
    row("arm into the full index (p99)", a.arm_p99_ns, b.arm_p99_ns, s.arm_p99_ns, "ns", 0);
    row("cancel from the full index (p99)", a.cancel_p99_ns, b.cancel_p99_ns, s.cancel_p99_ns, "ns",
        0);
    row("arm into the core state (mean)", a.book_arm_ns, b.book_arm_ns, s.book_arm_ns, "ns", 0);
    row("disarm from the core state (mean)", a.book_disarm_ns, b.book_disarm_ns, s.book_disarm_ns,
        "ns", 0);
    row("index memory per armed alert (RSS)", a.index_bytes, b.index_bytes, s.index_bytes, "B", 64);
    row("core state memory per armed alert (RSS)", a.book_bytes, b.book_bytes, s.book_bytes, "B",
        0);

    move_bench::figures m;
    measure_moves(spread, m);
    std::printf("\nMove alerts: the 100-coin layout's 1,000,000 price alerts plus 100,000 move "
                "alerts, windows 1 min to 24 h.\n\n");
    std::printf("| %-44s | %10s | %-5s | %-12s | %-10s |\n", "figure", "value", "unit", "target",
                "result");
    std::printf("|%s|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(12, '-').c_str(),
                std::string(7, '-').c_str(), std::string(14, '-').c_str(),
                std::string(12, '-').c_str());
    auto const move_row = [&](char const* name, double value, char const* unit, double limit) {
        char target[32] = "-";
        char const* mark = "";
        if (limit > 0) {
            std::snprintf(target, sizeof target, "<= %g %s", limit, unit);
            mark = v.check(value, limit);
        }
        std::printf("| %-44s | %10.1f | %-5s | %-12s | %-10s |\n", name, value, unit, target, mark);
    };
    move_row("tick that fires nothing, price + move (CPU)", m.tick_ns, "ns", 25);
    move_row("cost per fired move alert, move index (CPU)", m.fire_index_ns, "ns", 100);
    move_row("cost per fired move alert, core state (CPU)", m.fire_ns, "ns", 0);
    move_row("tick that fires nothing (wall clock)", m.tick_wall_ns, "ns", 0);
    move_row("cost per fired move alert (wall clock)", m.fire_wall_ns, "ns", 0);
    move_row("move index memory per armed move alert", m.index_bytes, "B", 64);
    move_row("core state memory per move alert (RSS)", m.book_bytes, "B", 0);
    move_row("window points held per coin (quiet walk)", m.window_points_per_coin, "", 0);
    if (m.fired != move_bench::move_alerts) {
        std::printf("the sweep fired %zu of %zu move alerts\n", m.fired, move_bench::move_alerts);
        v.ok = false;
    }
    std::printf("\nWindow state: a point is %zu bytes in each of two deques (lows, highs), so a "
                "window holds at most 48 bytes per trade in it (x2 at most for the ring's "
                "power-of-two capacity); a walk holds far fewer points than trades.\n",
                std::size_t{24});
    if (double const rate = move_bench::btcusdt_trade_rate(); rate > 0) {
        auto const d = measure_day(rate);
        std::printf("BTCUSDT, 24 h window at the recorded rate of %.1f trades/s (%zu trades a "
                    "day): %zu points held, %.1f KiB; a steady one-way trend would hold every "
                    "trade, %.1f MiB.\n",
                    rate, d.trades, d.points, static_cast<double>(d.bytes) / 1024,
                    static_cast<double>(d.trades) * 48 / (1024 * 1024));
    }
    std::printf("\n%s\n", v.ok ? "all targets met" : "TARGETS MISSED");
    return v.ok ? 0 : 1;
}
