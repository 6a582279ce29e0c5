// api::alert_page_cache: recent answers of GET /api/alerts, by user and
// query, so that a client polling its alerts is answered from memory, on the
// io_context thread, without a worker thread or a database read.
//
// A page stays exact. The storage writer reports the owner of every alert
// row any transaction touches (storage::writer::on_alerts_changed): just
// before its COMMIT, begin_change() drops the user's pages and, until
// end_change() after it, the user's pages are neither served nor kept, since
// a read in that window may or may not see the change. A read that began
// before a change ended may hold the old alerts: a read takes a ticket before
// it starts, and store() refuses its page when the user's alerts changed
// after that ticket was taken.
//
// Invariants:
// - A page is served only if it was read from a snapshot that holds every
//   change of its user that any reader could have seen.
// - The pages' bytes (bodies and keys) stay within the budget; the least
//   recently used page goes first. A page larger than a sixteenth of the
//   budget is never kept; a budget of 0 keeps nothing.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include "storage/writer.hpp"

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace kryptod::daemon::api {

struct alert_page_cache_stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::size_t pages = 0;
    std::size_t bytes = 0;
};

class alert_page_cache {
public:
    using user_id = std::int64_t;
    using body_ptr = std::shared_ptr<std::string const>;
    using ticket = std::uint64_t;

    static constexpr std::size_t default_budget = std::size_t{32} << 20;

    explicit alert_page_cache(std::size_t max_bytes = default_budget);

    // The body of `user`'s answer to `query` (a canonical key of its
    // filters and paging), or null.
    body_ptr find(user_id user, std::string_view query);

    // Taken before reading a page of `user` from the database.
    ticket begin_read() const;

    // Keeps the page read under `t`, unless `user`'s alerts changed since.
    void store(user_id user, std::string query, ticket t, body_ptr body);

    // A transaction changing these users' alerts is about to commit: their
    // pages are dropped, and none is served or kept until end_change().
    void begin_change(std::span<user_id const> users);
    // The transaction announced by begin_change() with these users ended
    // (committed or not); reads begun before are not kept.
    void end_change(std::span<user_id const> users);

    // Sets the byte budget, evicting down to it.
    void set_budget(std::size_t max_bytes);

    alert_page_cache_stats stats() const;

private:
    struct key {
        user_id user;
        std::string query;
    };
    struct key_less {
        using is_transparent = void;
        template <class A, class B>
        bool operator()(A const& a, B const& b) const noexcept {
            return std::pair<user_id, std::string_view>(a.user, a.query) <
                   std::pair<user_id, std::string_view>(b.user, b.query);
        }
    };
    struct key_view {
        user_id user;
        std::string_view query;
    };
    struct page;
    using page_map = std::map<key, page, key_less>;
    struct page {
        body_ptr body;
        std::list<page_map::iterator>::iterator lru; // position in lru_
    };

    static std::size_t cost(std::string_view query, std::string const& body) noexcept;
    void erase(page_map::iterator it);
    void evict_to_budget();

    std::size_t max_bytes_;
    mutable std::mutex mutex_;
    page_map pages_;
    std::list<page_map::iterator> lru_; // most recently used first
    std::size_t bytes_ = 0;
    // Each invalidation takes the next sequence number; changed_ holds the
    // last one of each user invalidated since floor_. A ticket under floor_
    // is refused: what happened before is forgotten, to bound changed_.
    std::uint64_t sequence_ = 0;
    std::uint64_t floor_ = 0;
    std::unordered_map<user_id, std::uint64_t> changed_;
    // Users with a change between begin_change() and end_change(), and how
    // many such changes each has.
    std::unordered_map<user_id, std::uint32_t> changing_;
    alert_page_cache_stats counters_;
};

// Makes `writer`'s alert changes reach `pages` (begin_change() just before
// each COMMIT that touches alerts, end_change() after it), which is what
// keeps the cached pages exact. Call once, before the writer runs its first
// job that changes alerts; the writer holds `pages` from then on, so the
// cache lives as long as the writer may report to it.
void follow_alert_writes(storage::writer& writer, std::shared_ptr<alert_page_cache> pages);

} // namespace kryptod::daemon::api
