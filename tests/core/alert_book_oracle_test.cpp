// Differential test of core/alert_book.hpp against a brute-force oracle that
// keeps every alert in a map and scans all of them on each tick, range and
// time step. Random arms, restores (an alert loaded at a restart, maybe in
// the pause after a fire), updates, disarms, ticks (live, replayed and skewed),
// ranges and time steps must yield identical fired and expired sets, step by
// step. The seed is fixed unless KRYPTOD_SEED is set, and printed on failure;
// KRYPTOD_OPS overrides the number of operations.
#include "core/alert_book.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace core = kryptod::core;
using core::alert_id;
using core::direction;
using core::millis;
using core::price;
using core::repeat_mode;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
constexpr std::uint64_t default_ops = 150'000;
#else
constexpr std::uint64_t default_ops = 600'000;
#endif

std::uint64_t env_or(char const* name, std::uint64_t fallback) {
    char const* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return fallback;
    return std::strtoull(value, nullptr, 10);
}

// The firing rule of SPEC §2, written as directly as possible.
class oracle {
public:
    enum class phase { armed, crossing, cooling };

    struct entry {
        core::alert_terms terms;
        millis armed_at = 0;
        phase state = phase::armed;
        bool cooled = false;
        millis cooldown_until = 0;
    };

    core::arm_outcome arm(core::alert_terms const& t, millis now) {
        if (alerts_.count(t.id)) return core::arm_outcome::duplicate;
        if (t.expires_at && *t.expires_at <= now) return core::arm_outcome::expired;
        alerts_[t.id] = entry{t, now};
        return core::arm_outcome::armed;
    }

    // An alert put back after a restart: a repeat-every one with a last fire
    // is in that fire's pause, waiting to cross back and to cool down.
    core::arm_outcome restore(core::alert_terms const& t, millis armed_at,
                              std::optional<millis> last_fire, millis now) {
        auto const outcome = arm(t, armed_at);
        if (outcome != core::arm_outcome::armed || t.repeat != repeat_mode::every || !last_fire)
            return outcome;
        auto& e = alerts_[t.id];
        e.state = phase::crossing;
        e.cooldown_until = *last_fire + t.cooldown;
        e.cooled = e.cooldown_until <= now;
        return outcome;
    }

    core::arm_outcome update(core::alert_terms const& t, millis now) {
        alerts_.erase(t.id);
        return arm(t, now);
    }

    bool disarm(alert_id id) { return alerts_.erase(id) != 0; }

    // A tick is a range whose low and high are its price.
    std::vector<core::fired_alert> on_prices(core::symbol_id symbol, price low, price high,
                                             std::optional<price> trade, millis exchange_time,
                                             millis now, bool backfilled) {
        std::vector<core::fired_alert> fired;
        for (auto it = alerts_.begin(); it != alerts_.end();) {
            auto& e = it->second;
            auto const& t = e.terms;
            if (t.symbol != symbol) {
                ++it;
                continue;
            }
            bool const above = t.side == direction::above;
            if (e.state == phase::armed) {
                bool const reached = above ? high >= t.target : low <= t.target;
                bool const lapsed =
                    t.expires_at && (exchange_time >= *t.expires_at || now >= *t.expires_at);
                if (reached && e.armed_at <= exchange_time && !lapsed) {
                    bool const once = t.repeat == repeat_mode::once;
                    fired.push_back({t.id, trade.value_or(t.target), exchange_time, now, backfilled,
                                     once, std::nullopt, 0});
                    if (once) {
                        it = alerts_.erase(it);
                        continue;
                    }
                    e.state = phase::crossing;
                    e.cooled = false;
                    e.cooldown_until = now + t.cooldown;
                }
            } else if (e.state == phase::crossing) {
                bool const crossed = above ? low < t.target : high > t.target;
                if (crossed) e.state = e.cooled ? phase::armed : phase::cooling;
            }
            ++it;
        }
        return fired;
    }

    std::vector<alert_id> on_time(millis now) {
        std::vector<alert_id> expired;
        for (auto it = alerts_.begin(); it != alerts_.end();) {
            auto& e = it->second;
            if (e.terms.expires_at && now >= *e.terms.expires_at) {
                expired.push_back(it->first);
                it = alerts_.erase(it);
                continue;
            }
            if (e.state != phase::armed && !e.cooled && e.cooldown_until <= now) {
                e.cooled = true;
                if (e.state == phase::cooling) e.state = phase::armed;
            }
            ++it;
        }
        return expired;
    }

    std::map<alert_id, entry> const& alerts() const { return alerts_; }

private:
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
            << "} ";
    return out.str();
}

// Runs `ops` random operations with at most about `max_alive` alerts whose
// targets and prices range over `levels` units, comparing book and oracle.
void run_differential(std::uint64_t seed, std::uint64_t ops, std::size_t max_alive,
                      std::int64_t levels) {
    BOOST_TEST_MESSAGE("alert_book_oracle: KRYPTOD_SEED=" << seed << ", " << ops << " operations, "
                                                          << max_alive << " alerts, " << levels
                                                          << " price levels");
    std::int64_t const step = std::max<std::int64_t>(1, levels / 60);
    // Each configuration draws its own stream from the one seed.
    std::seed_seq seeds{seed, static_cast<std::uint64_t>(max_alive),
                        static_cast<std::uint64_t>(levels)};
    std::mt19937_64 rng(seeds);
    auto const below = [&](std::uint64_t n) { return rng() % n; };

    core::alert_book book;
    oracle model;
    constexpr int coins = 3;
    for (int c = 0; c < coins; ++c)
        book.symbols().intern("COIN" + std::to_string(c));
    std::vector<std::int64_t> walk(coins, levels / 2);

    millis now = 1'000'000;
    alert_id next_id = 1;
    std::vector<core::fired_alert> fired;
    std::vector<alert_id> expired;
    std::uint64_t total_fired = 0, total_expired = 0;
    std::size_t peak_alive = 0;

    auto const random_terms = [&](alert_id id) {
        core::alert_terms t;
        t.id = id;
        t.symbol = static_cast<core::symbol_id>(below(coins));
        t.target = price::from_units(1 + static_cast<std::int64_t>(below(levels)));
        t.side = below(2) ? direction::above : direction::below;
        t.repeat = below(2) ? repeat_mode::every : repeat_mode::once;
        constexpr millis cooldowns[] = {0, 500, 5'000, 30'000};
        t.cooldown = cooldowns[below(4)];
        if (below(3) == 0) t.expires_at = now - 1'000 + static_cast<millis>(below(90'000));
        return t;
    };
    auto const some_id = [&]() -> alert_id {
        // Mostly a live id, sometimes one that is gone or never existed.
        auto const& alerts = model.alerts();
        if (alerts.empty() || below(10) == 0) return 1 + static_cast<alert_id>(below(next_id));
        auto it = alerts.lower_bound(1 + static_cast<alert_id>(below(next_id)));
        return it == alerts.end() ? alerts.begin()->first : it->first;
    };

    for (std::uint64_t op = 0; op < ops; ++op) {
        BOOST_TEST_CONTEXT("KRYPTOD_SEED=" << seed << ", operation " << op) {
            // Extra arms while the population is below its goal, so that the
            // large run really holds thousands of alerts.
            bool const sparse = model.alerts().size() < max_alive * 3 / 4;
            auto const roll = sparse && below(3) != 0 ? 0 : below(100);
            bool const crowded = model.alerts().size() > max_alive;
            if (roll < 18 && !crowded) {
                // Arm a new alert, or retry an existing id.
                alert_id const id = below(20) == 0 ? some_id() : next_id++;
                auto const t = random_terms(id);
                if (below(4) == 0) {
                    // Loaded at a restart: armed a while ago, maybe paused
                    // by a fire before or after the cooldown's length.
                    millis const armed_at = now - static_cast<millis>(below(5'000));
                    std::optional<millis> last_fire;
                    if (below(4) != 0) last_fire = now - static_cast<millis>(below(40'000));
                    BOOST_REQUIRE(book.restore(t, armed_at, last_fire, now) ==
                                  model.restore(t, armed_at, last_fire, now));
                } else {
                    BOOST_REQUIRE(book.arm(t, now) == model.arm(t, now));
                }
            } else if (roll < 23) {
                auto t = random_terms(some_id());
                BOOST_REQUIRE(book.update(t, now) == model.update(t, now));
            } else if (roll < 31 || (roll < 40 && crowded)) {
                auto const id = some_id();
                BOOST_REQUIRE(book.disarm(id) == model.disarm(id));
            } else if (roll < 88) {
                // A trade: mostly live, sometimes replayed from the past or
                // stamped slightly ahead of the daemon's clock.
                auto const symbol = static_cast<core::symbol_id>(below(coins));
                auto& level = walk[symbol];
                level += step * (below(8) == 0 ? static_cast<std::int64_t>(below(41)) - 20
                                               : static_cast<std::int64_t>(below(7)) - 3);
                level = std::clamp<std::int64_t>(level, 0, levels + 2);
                auto const p = price::from_units(level);
                millis exchange_time = now - static_cast<millis>(below(300));
                bool backfilled = false;
                if (below(20) == 0) {
                    exchange_time = now - static_cast<millis>(below(60'000));
                    backfilled = true;
                } else if (below(20) == 0) {
                    exchange_time = now + static_cast<millis>(below(200));
                }
                fired.clear();
                book.on_tick(core::tick{symbol, p, exchange_time, backfilled}, now, fired);
                auto const expected =
                    model.on_prices(symbol, p, p, p, exchange_time, now, backfilled);
                auto const got = sorted(fired);
                BOOST_REQUIRE_MESSAGE(got == sorted(expected),
                                      "tick " << p.to_string() << " on " << symbol << ": book "
                                              << show(got) << "oracle " << show(sorted(expected)));
                total_fired += got.size();
                BOOST_REQUIRE(book.prices().get(symbol).has_value());
            } else if (roll < 92) {
                auto const symbol = static_cast<core::symbol_id>(below(coins));
                auto const low = static_cast<std::int64_t>(below(levels + 2));
                auto const high = low + step * static_cast<std::int64_t>(below(15));
                auto const exchange_time = now - static_cast<millis>(below(120'000));
                fired.clear();
                book.on_range(symbol, price::from_units(low), price::from_units(high),
                              exchange_time, now, fired);
                auto const expected =
                    model.on_prices(symbol, price::from_units(low), price::from_units(high),
                                    std::nullopt, exchange_time, now, true);
                auto const got = sorted(fired);
                BOOST_REQUIRE_MESSAGE(got == sorted(expected),
                                      "range " << low << ".." << high << ": book " << show(got)
                                               << "oracle " << show(sorted(expected)));
                total_fired += got.size();
            } else {
                now += static_cast<millis>(below(4'000));
                expired.clear();
                book.on_time(now, expired);
                std::sort(expired.begin(), expired.end());
                BOOST_REQUIRE(expired == model.on_time(now));
                total_expired += expired.size();
            }
            now += static_cast<millis>(below(3));
            BOOST_REQUIRE(book.size() == model.alerts().size());
            peak_alive = std::max(peak_alive, book.size());
            if (op % 4096 == 0)
                for (auto const& [id, e] : model.alerts())
                    BOOST_REQUIRE(book.armed(id) == (e.state == oracle::phase::armed));
        }
    }
    // The run must have exercised the rule, not just agreed on nothing.
    BOOST_TEST(total_fired > ops / 20);
    BOOST_TEST(total_expired > ops / 1000);
    BOOST_TEST(peak_alive * 2 > max_alive);
    BOOST_TEST_MESSAGE("fired " << total_fired << ", expired " << total_expired << ", peak "
                                << peak_alive << " alerts");
}

} // namespace

BOOST_AUTO_TEST_SUITE(alert_book_oracle)

// Few alerts on few price levels: many shared targets, ties and crossings.
BOOST_AUTO_TEST_CASE(matches_brute_force_oracle) {
    run_differential(env_or("KRYPTOD_SEED", 20261123), env_or("KRYPTOD_OPS", default_ops), 250, 60);
}

// Thousands of alerts over a wide price range: the index splits and merges
// its chunks while the rule is checked.
BOOST_AUTO_TEST_CASE(matches_brute_force_oracle_at_scale) {
    run_differential(env_or("KRYPTOD_SEED", 20261123), env_or("KRYPTOD_OPS", default_ops) / 10,
                     6000, 3000);
}

BOOST_AUTO_TEST_SUITE_END()
