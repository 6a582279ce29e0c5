// Differential test of the move alerts of core/alert_book.hpp (kept in
// core/move_index.hpp) against a brute-force oracle that stores every point
// and recomputes each alert's low or high from scratch on every trade. Random
// arms, restores (in the rest after a fire, or armed before seeded minutes),
// updates, disarms, ticks (live, replayed late, equal times), ranges, seeded
// minutes and time steps must yield identical fired lists (reference price
// and time included) and expired sets, step by step. The seed is fixed
// unless KRYPTOD_SEED is set, and printed on failure; KRYPTOD_OPS overrides
// the number of operations.
#include "core/alert_book.hpp"
#include "core/move_index.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace core = kryptod::core;
using core::alert_id;
using core::millis;
using core::move_direction;
using core::price;
using core::repeat_mode;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
constexpr std::uint64_t default_ops = 40'000;
#else
constexpr std::uint64_t default_ops = 150'000;
#endif

std::uint64_t env_or(char const* name, std::uint64_t fallback) {
    char const* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return fallback;
    return std::strtoull(value, nullptr, 10);
}

constexpr millis no_clock = std::numeric_limits<millis>::min();

// The move rules of alert_book.hpp, written as directly as possible: every
// point kept in a list, every window scanned.
class oracle {
public:
    struct entry {
        core::alert_terms terms;
        millis armed_at = 0;
        bool resting = false;
        millis rest_until = 0;
        // The window starts at point `start_seq` when from_seq, else at the
        // first point with window time >= start_time.
        bool from_seq = false;
        std::uint64_t start_seq = 0;
        millis start_time = 0;
    };

    explicit oracle(int coins)
        : coins_(static_cast<std::size_t>(coins)) {}

    core::arm_outcome arm(core::alert_terms const& t, millis now) {
        if (alerts_.count(t.id)) return core::arm_outcome::duplicate;
        if (t.expires_at && *t.expires_at <= now) return core::arm_outcome::expired;
        entry e{t, now};
        e.start_time = now;
        alerts_[t.id] = e;
        return core::arm_outcome::armed;
    }

    core::arm_outcome restore(core::alert_terms const& t, millis armed_at,
                              std::optional<millis> last_fire, millis now) {
        auto const outcome = arm(t, armed_at);
        if (outcome != core::arm_outcome::armed || t.repeat != repeat_mode::every || !last_fire)
            return outcome;
        auto& e = alerts_[t.id];
        e.armed_at = std::max(armed_at, *last_fire);
        e.start_time = e.armed_at;
        e.rest_until = *last_fire + t.cooldown;
        e.resting = e.rest_until > now;
        return outcome;
    }

    core::arm_outcome update(core::alert_terms const& t, millis now) {
        disarm(t.id);
        return arm(t, now);
    }

    bool disarm(alert_id id) {
        auto const it = alerts_.find(id);
        if (it == alerts_.end()) return false;
        auto const symbol = it->second.terms.symbol;
        alerts_.erase(it);
        tidy(symbol);
        return true;
    }

    void seed(core::symbol_id symbol, millis minute_start, price low, price high) {
        if (!watched(symbol)) return;
        auto& c = coins_[symbol];
        millis const t = std::max(minute_start + 59'999, c.clock);
        c.clock = t;
        c.points.push_back({t, c.next_seq++, low.units()});
        c.points.push_back({t, c.next_seq++, high.units()});
        tidy(symbol);
    }

    // A tick is a range of one point; a range records its low then its high.
    std::vector<core::fired_alert> on_points(core::symbol_id symbol, price low, price high,
                                             int count, millis time, millis now, bool backfilled) {
        std::vector<core::fired_alert> fired;
        if (!watched(symbol)) return fired;
        auto& c = coins_[symbol];
        millis const t = std::max(time, c.clock);
        c.clock = t;
        std::uint64_t const first = c.next_seq;
        std::vector<alert_id> gone, resting;
        for (auto& [id, e] : alerts_) {
            auto const& terms = e.terms;
            if (terms.symbol != symbol || e.resting) continue;
            bool const up = terms.move_side == move_direction::up;
            std::optional<point> ref;
            for (auto const& p : c.points) {
                if (p.time < t - terms.window) continue;
                if (e.from_seq ? p.seq < e.start_seq : p.time < e.start_time) continue;
                // The latest of equal extremes.
                if (!ref || (up ? p.units <= ref->units : p.units >= ref->units)) ref = p;
            }
            if (!ref) continue;
            price const probe = up ? high : low;
            auto const percent = static_cast<std::int32_t>(terms.move_percent);
            if (!core::moved(terms.move_side, probe.units(), ref->units, percent)) continue;
            bool const lapsed =
                terms.expires_at && (time >= *terms.expires_at || now >= *terms.expires_at);
            if (e.armed_at > time || lapsed) continue;
            bool const once = terms.repeat == repeat_mode::once;
            fired.push_back(
                {id, probe, time, now, backfilled, once, price::from_units(ref->units), ref->time});
            if (once) {
                gone.push_back(id);
                continue;
            }
            e.resting = true;
            e.rest_until = now + terms.cooldown;
            e.from_seq = true;
            e.start_seq = first;
        }
        c.points.push_back({t, c.next_seq++, count == 1 ? high.units() : low.units()});
        if (count == 2) c.points.push_back({t, c.next_seq++, high.units()});
        for (auto const id : gone)
            alerts_.erase(id);
        tidy(symbol);
        return fired;
    }

    std::vector<alert_id> on_time(millis now) {
        std::vector<alert_id> expired;
        std::vector<core::symbol_id> touched;
        for (auto it = alerts_.begin(); it != alerts_.end();) {
            auto& e = it->second;
            if (e.terms.expires_at && now >= *e.terms.expires_at) {
                expired.push_back(it->first);
                touched.push_back(e.terms.symbol);
                it = alerts_.erase(it);
                continue;
            }
            if (e.resting && e.rest_until <= now) e.resting = false;
            ++it;
        }
        for (auto const s : touched)
            tidy(s);
        return expired;
    }

    std::map<alert_id, entry> const& alerts() const { return alerts_; }

private:
    struct point {
        millis time;
        std::uint64_t seq;
        std::int64_t units;
    };

    struct coin {
        std::vector<point> points;
        millis clock = no_clock;
        std::uint64_t next_seq = 1;
    };

    bool watched(core::symbol_id symbol) const {
        for (auto const& [id, e] : alerts_)
            if (e.terms.symbol == symbol) return true;
        return false;
    }

    // The book keeps a coin's points only while a move alert watches it, and
    // only those inside the longest window in use.
    void tidy(core::symbol_id symbol) {
        auto& c = coins_[symbol];
        millis longest = -1;
        for (auto const& [id, e] : alerts_)
            if (e.terms.symbol == symbol) longest = std::max(longest, e.terms.window);
        if (longest < 0) {
            c = coin{};
            return;
        }
        std::erase_if(c.points, [&](point const& p) { return p.time < c.clock - longest; });
    }

    std::vector<coin> coins_;
    std::map<alert_id, entry> alerts_;
};

std::vector<core::fired_alert> sorted(std::vector<core::fired_alert> v) {
    std::sort(v.begin(), v.end(), [](auto const& a, auto const& b) { return a.id < b.id; });
    return v;
}

std::string show(std::vector<core::fired_alert> const& v) {
    std::ostringstream out;
    for (auto const& f : v)
        out << "{id " << f.id << " at " << f.at.to_string() << " xt " << f.exchange_time << " now "
            << f.detected_at << (f.backfilled ? " backfilled" : "") << (f.final ? " final" : "")
            << " ref " << (f.reference_price ? f.reference_price->to_string() : "-") << " @"
            << f.reference_time << "} ";
    return out.str();
}

// Runs `ops` random operations with at most about `max_alive` move alerts
// on prices that walk around `level` units in steps of up to `step`.
void run_differential(std::uint64_t seed, std::uint64_t ops, std::size_t max_alive,
                      std::int64_t level, std::int64_t step) {
    BOOST_TEST_MESSAGE("move_index_oracle: KRYPTOD_SEED=" << seed << ", " << ops << " operations, "
                                                          << max_alive << " alerts");
    std::seed_seq seeds{seed, static_cast<std::uint64_t>(max_alive),
                        static_cast<std::uint64_t>(step)};
    std::mt19937_64 rng(seeds);
    auto const below = [&](std::uint64_t n) { return rng() % n; };

    constexpr int coins = 3;
    core::alert_book book;
    oracle model(coins);
    for (int c = 0; c < coins; ++c)
        book.symbols().intern("COIN" + std::to_string(c));
    std::vector<std::int64_t> walk(coins, level);

    millis now = 10'000'000;
    alert_id next_id = 1;
    std::vector<core::fired_alert> fired;
    std::vector<alert_id> expired;
    std::uint64_t total_fired = 0, total_expired = 0, total_ranges = 0;

    auto const random_terms = [&](alert_id id) {
        core::alert_terms t;
        t.id = id;
        t.symbol = static_cast<core::symbol_id>(below(coins));
        t.kind = core::alert_kind::move;
        t.move_side = below(2) ? move_direction::up : move_direction::down;
        // Mostly small moves that the walk makes, sometimes huge ones.
        t.move_percent = below(20) == 0 ? 1 + static_cast<std::int64_t>(below(100'000))
                                        : 1 + static_cast<std::int64_t>(below(400));
        constexpr millis windows[] = {60'000, 60'000, 90'000, 150'000, 300'000};
        t.window = below(4) == 0 ? 60'000 + static_cast<millis>(below(240'001)) : windows[below(5)];
        t.repeat = below(2) ? repeat_mode::every : repeat_mode::once;
        constexpr millis cooldowns[] = {0, 500, 5'000, 30'000};
        t.cooldown = cooldowns[below(4)];
        if (below(4) == 0) t.expires_at = now - 1'000 + static_cast<millis>(below(200'000));
        return t;
    };
    auto const some_id = [&]() -> alert_id {
        auto const& alerts = model.alerts();
        if (alerts.empty() || below(8) == 0) return next_id + 1000; // absent
        auto it = alerts.begin();
        std::advance(it, static_cast<long>(below(alerts.size())));
        return it->first;
    };
    auto const exchange_time = [&]() -> millis {
        // Usually close to now, sometimes equal to the last, sometimes late.
        auto const r = below(10);
        if (r < 6) return now - static_cast<millis>(below(300));
        if (r < 9) return now;
        return now - static_cast<millis>(below(20'000));
    };

    for (std::uint64_t op = 0; op < ops; ++op) {
        auto const kind = below(100);
        std::string what;
        std::vector<core::fired_alert> expected;
        fired.clear();
        expired.clear();
        if (kind < 4 && model.alerts().size() < max_alive) {
            auto const t = random_terms(next_id++);
            what = "arm";
            BOOST_REQUIRE((book.arm(t, now) == model.arm(t, now)));
        } else if (kind < 6 && model.alerts().size() < max_alive) {
            auto const t = random_terms(next_id++);
            millis const armed_at = now - static_cast<millis>(below(200'000));
            std::optional<millis> last_fire;
            if (below(2)) last_fire = armed_at + static_cast<millis>(below(200'000));
            what = "restore";
            BOOST_REQUIRE((book.restore(t, armed_at, last_fire, now) ==
                           model.restore(t, armed_at, last_fire, now)));
        } else if (kind < 8) {
            auto t = random_terms(0);
            t.id = some_id();
            what = "update";
            BOOST_REQUIRE((book.update(t, now) == model.update(t, now)));
        } else if (kind < 10) {
            auto const id = some_id();
            what = "disarm";
            BOOST_REQUIRE(book.disarm(id) == model.disarm(id));
        } else if (kind < 12) {
            auto const c = static_cast<core::symbol_id>(below(coins));
            millis const minute = (now - static_cast<millis>(below(300'000))) / 60'000 * 60'000;
            auto const lo = walk[c] - static_cast<std::int64_t>(below(3 * step));
            auto const hi = walk[c] + static_cast<std::int64_t>(below(3 * step));
            what = "seed";
            book.seed_minute(c, minute, price::from_units(lo), price::from_units(hi));
            model.seed(c, minute, price::from_units(lo), price::from_units(hi));
        } else if (kind < 20) {
            now += static_cast<millis>(below(3'000));
            what = "time";
            book.on_time(now, expired);
            auto const want = model.on_time(now);
            std::sort(expired.begin(), expired.end());
            BOOST_REQUIRE_MESSAGE(expired == want, "op " << op << " seed " << seed);
            total_expired += expired.size();
        } else if (kind < 24) {
            auto const c = static_cast<core::symbol_id>(below(coins));
            auto const lo = walk[c] - static_cast<std::int64_t>(below(4 * step));
            auto const hi = walk[c] + static_cast<std::int64_t>(below(4 * step));
            millis const xt = exchange_time();
            what = "range";
            book.on_range(c, price::from_units(lo), price::from_units(hi), xt, now, fired);
            expected =
                model.on_points(c, price::from_units(lo), price::from_units(hi), 2, xt, now, true);
            ++total_ranges;
        } else {
            auto const c = static_cast<core::symbol_id>(below(coins));
            walk[c] += static_cast<std::int64_t>(below(2 * step + 1)) - step;
            walk[c] = std::clamp<std::int64_t>(walk[c], level / 2, level * 2);
            if (below(50) == 0) now += static_cast<millis>(below(1'000));
            millis const xt = exchange_time();
            bool const backfilled = below(5) == 0;
            price const p = price::from_units(walk[c]);
            what = "tick";
            book.on_tick(core::tick{c, p, xt, backfilled}, now, fired);
            expected = model.on_points(c, p, p, 1, xt, now, backfilled);
        }
        auto const got = sorted(fired);
        auto const want = sorted(expected);
        BOOST_REQUIRE_MESSAGE(got == want, "op " << op << " (" << what << ") seed " << seed
                                                 << "\n  book:   " << show(got)
                                                 << "\n  oracle: " << show(want));
        total_fired += got.size();
        if (op % 997 == 0) {
            BOOST_REQUIRE(book.size() == model.alerts().size());
            for (auto const& [id, e] : model.alerts()) {
                BOOST_REQUIRE(book.contains(id));
                BOOST_REQUIRE(book.armed(id) == !e.resting);
            }
        }
    }
    BOOST_TEST_MESSAGE("  fired " << total_fired << ", expired " << total_expired << ", ranges "
                                  << total_ranges);
    // The walk must actually exercise the rules.
    BOOST_TEST(total_fired > ops / 200);
    BOOST_TEST(total_expired > 0u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(move_index_oracle)

BOOST_AUTO_TEST_CASE(random_walks_match_the_oracle) {
    auto const seed = env_or("KRYPTOD_SEED", 16);
    auto const ops = env_or("KRYPTOD_OPS", default_ops);
    // Fine steps (many equal prices), then coarse ones (many fires).
    run_differential(seed, ops, 40, 10'000, 3);
    run_differential(seed, ops, 40, 100'000'000, 400'000);
}

BOOST_AUTO_TEST_SUITE_END()
