// api::alert_page_cache: see alert_page_cache.hpp.
#include "daemon/api/alert_page_cache.hpp"

namespace kryptod::daemon::api {

namespace {

// Bookkeeping of one page (map node, list node, strings' headers), roughly.
constexpr std::size_t page_overhead = 160;

// changed_ is forgotten past this many users (16 bytes and a node each).
constexpr std::size_t max_remembered_changes = 65536;

} // namespace

alert_page_cache::alert_page_cache(std::size_t max_bytes)
    : max_bytes_(max_bytes) {}

std::size_t alert_page_cache::cost(std::string_view query, std::string const& body) noexcept {
    return page_overhead + query.size() + body.size();
}

alert_page_cache::body_ptr alert_page_cache::find(user_id user, std::string_view query) {
    std::lock_guard lock(mutex_);
    // A changing user has no page: begin_change() dropped them and store()
    // keeps none until end_change().
    auto it = pages_.find(key_view{user, query});
    if (it == pages_.end()) {
        ++counters_.misses;
        return nullptr;
    }
    ++counters_.hits;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.body;
}

alert_page_cache::ticket alert_page_cache::begin_read() const {
    std::lock_guard lock(mutex_);
    return sequence_;
}

void alert_page_cache::store(user_id user, std::string query, ticket t, body_ptr body) {
    if (!body) return;
    std::size_t const size = cost(query, *body);
    std::lock_guard lock(mutex_);
    if (size > max_bytes_ / 16 || t < floor_ || changing_.contains(user)) return;
    if (auto c = changed_.find(user); c != changed_.end() && c->second > t) return;
    auto [it, inserted] = pages_.try_emplace(key{user, std::move(query)});
    if (!inserted) {
        // Another read of the same page got here first; both are current.
        bytes_ -= cost(it->first.query, *it->second.body);
        it->second.body = std::move(body);
        lru_.splice(lru_.begin(), lru_, it->second.lru);
    } else {
        it->second.body = std::move(body);
        lru_.push_front(it);
        it->second.lru = lru_.begin();
    }
    bytes_ += size;
    evict_to_budget();
}

void alert_page_cache::begin_change(std::span<user_id const> users) {
    std::lock_guard lock(mutex_);
    for (auto user : users) {
        ++changing_[user];
        auto it = pages_.lower_bound(key_view{user, {}});
        while (it != pages_.end() && it->first.user == user)
            erase(it++);
    }
}

void alert_page_cache::end_change(std::span<user_id const> users) {
    std::lock_guard lock(mutex_);
    ++sequence_;
    if (changed_.size() + users.size() > max_remembered_changes) {
        // Every ticket taken so far is now refused, so nothing older matters.
        changed_.clear();
        floor_ = sequence_;
    }
    for (auto user : users) {
        changed_[user] = sequence_;
        if (auto c = changing_.find(user); c != changing_.end() && --c->second == 0)
            changing_.erase(c);
    }
}

void alert_page_cache::set_budget(std::size_t max_bytes) {
    std::lock_guard lock(mutex_);
    max_bytes_ = max_bytes;
    evict_to_budget();
}

void alert_page_cache::evict_to_budget() {
    while (bytes_ > max_bytes_ && !lru_.empty())
        erase(lru_.back());
}

void alert_page_cache::erase(page_map::iterator it) {
    bytes_ -= cost(it->first.query, *it->second.body);
    lru_.erase(it->second.lru);
    pages_.erase(it);
}

alert_page_cache_stats alert_page_cache::stats() const {
    std::lock_guard lock(mutex_);
    auto s = counters_;
    s.pages = pages_.size();
    s.bytes = bytes_;
    return s;
}

void follow_alert_writes(storage::writer& writer, std::shared_ptr<alert_page_cache> pages) {
    writer.on_alerts_changed([pages = std::move(pages)](storage::writer::alert_change phase,
                                                        std::span<std::int64_t const> owners) {
        if (phase == storage::writer::alert_change::committing)
            pages->begin_change(owners);
        else
            pages->end_change(owners);
    });
}

} // namespace kryptod::daemon::api
