// storage::startup: one consistent read of what the daemon starts from.
#include "storage/startup.hpp"

#include "storage/alert_store.hpp"

#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <sys/mman.h>
#include <tuple>

namespace kryptod::storage {

namespace {

// An armed alert as held between reading and handing over: everything of
// armed_alert in 64 bytes instead of its 140 or so (no std::optional), since
// a million of them are held at once. A move alert has no target, so its
// percent and window share that slot (both under 2^31).
struct packed_alert {
    std::int64_t id;
    std::int64_t owner;
    std::int64_t target; // kind move: window_seconds << 32 | move_percent
    std::int64_t armed_at;
    std::int64_t expires_at;   // when has_expiry
    std::int64_t triggered_at; // when has_triggered
    std::int32_t cooldown_seconds;
    core::symbol_id symbol;
    core::direction side;
    core::repeat_mode repeat;
    core::channel channels;
    core::alert_kind kind;
    core::move_direction move_side;
    bool has_expiry : 1;
    bool has_triggered : 1;
    bool last_fire : 1; // last_fire == triggered_at

    static packed_alert of(alert_store::armed_alert const& a) {
        bool const move = a.kind == core::alert_kind::move;
        return {a.id,
                a.owner,
                move ? a.window_seconds << 32 | a.move_percent : a.target.units(),
                a.armed_at,
                a.expires_at.value_or(0),
                a.triggered_at.value_or(0),
                static_cast<std::int32_t>(a.cooldown_seconds),
                a.symbol,
                a.side,
                a.repeat,
                a.channels,
                a.kind,
                a.move_side,
                a.expires_at.has_value(),
                a.triggered_at.has_value(),
                a.last_fire.has_value()};
    }

    void unpack(alert_store::armed_alert& a) const {
        a.id = id;
        a.owner = owner;
        a.symbol = symbol;
        a.kind = kind;
        bool const move = kind == core::alert_kind::move;
        a.target = core::price::from_units(move ? 0 : target);
        a.move_percent = move ? target & 0xffffffff : 0;
        a.window_seconds = move ? target >> 32 : 0;
        a.move_side = move_side;
        a.side = side;
        a.repeat = repeat;
        a.cooldown_seconds = cooldown_seconds;
        a.expires_at = has_expiry ? std::optional(expires_at) : std::nullopt;
        a.channels = channels;
        a.armed_at = armed_at;
        a.triggered_at = has_triggered ? std::optional(triggered_at) : std::nullopt;
        a.last_fire = last_fire ? a.triggered_at : std::nullopt;
    }

    // The threshold index's order within a coin and side (its sort key):
    // `above` targets descending, `below` ascending, so the target a rising
    // or falling price reaches first is last; then by id, so alerts with one
    // target keep the order of their ids. Move alerts come after a coin's
    // price alerts, in id order.
    auto index_order() const noexcept {
        bool const move = kind == core::alert_kind::move;
        return std::make_tuple(symbol, kind, side,
                               move                             ? 0
                               : side == core::direction::above ? -target
                                                                : target,
                               id);
    }
};
static_assert(sizeof(packed_alert) == 64);

// Memory for the packed alerts: large blocks come straight from mmap with
// MADV_HUGEPAGE, so the kernel may back them with 2 MiB pages, one page
// fault per 2 MiB instead of per 4 KiB (a fault is the larger part of the
// cost of filling fresh memory, and 1,000,000 alerts are 64 MB). Where huge
// pages are off it is plain anonymous memory.
template <class T>
struct huge_page_allocator {
    using value_type = T;
    static constexpr std::size_t threshold = std::size_t{2} << 20;

    huge_page_allocator() = default;
    template <class U>
    huge_page_allocator(huge_page_allocator<U> const&) noexcept {}

    T* allocate(std::size_t n) {
        std::size_t const bytes = n * sizeof(T);
        if (bytes < threshold) return static_cast<T*>(::operator new(bytes));
        void* p =
            ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        ::madvise(p, bytes, MADV_HUGEPAGE); // a hint: failure changes nothing
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        std::size_t const bytes = n * sizeof(T);
        if (bytes < threshold)
            ::operator delete(p);
        else
            ::munmap(p, bytes);
    }
    template <class U>
    bool operator==(huge_page_allocator<U> const&) const noexcept {
        return true;
    }
};

} // namespace

std::string startup_state::summary() const {
    return "loaded " + std::to_string(armed) + " armed alerts, " + std::to_string(coins.size()) +
           " coins, " + std::to_string(feed.size()) + " feed positions in " +
           std::to_string(took.count()) + " ms";
}

std::size_t count_armed(SQLite::Database& db) {
    // The per-user counts kept by triggers: a few rows per user instead of
    // an index entry per alert.
    return static_cast<std::size_t>(
        db.execAndGet("SELECT coalesce(sum(n), 0) FROM alert_counts WHERE status = 'active'")
            .getInt64());
}

startup_state load_startup(SQLite::Database& db, core::symbol_table& symbols,
                           alert_store::armed_alert_fn const& on_armed) {
    auto const t0 = std::chrono::steady_clock::now();
    startup_state s;
    // A deferred transaction that only reads: one snapshot for all three.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::DEFERRED);
    s.coins = coin_store::list(db);
    for (auto const& c : s.coins)
        if (!symbols.try_intern(c.symbol))
            throw std::runtime_error("coin list holds an invalid symbol '" + c.symbol + "'");
    // The alerts come off the table in id order, which is random in target;
    // handed over in the index's own order instead, each arm appends to the
    // end of its coin's sorted run rather than shifting entries in the middle.
    std::vector<packed_alert, huge_page_allocator<packed_alert>> armed;
    armed.reserve(count_armed(db));
    s.armed = alert_store::for_each_armed(db, symbols, [&armed](alert_store::armed_alert const& a) {
        armed.push_back(packed_alert::of(a));
    });
    s.feed = feed_state_store::load_all(db);
    tx.commit();
    std::sort(armed.begin(), armed.end(), [](packed_alert const& a, packed_alert const& b) {
        return a.index_order() < b.index_order();
    });
    alert_store::armed_alert a;
    for (auto const& p : armed) {
        p.unpack(a);
        on_armed(a);
    }
    s.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    return s;
}

} // namespace kryptod::storage
