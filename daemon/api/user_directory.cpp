// The in-memory user directory and the API's user representation.
#include "daemon/api/user_directory.hpp"

#include "core/rfc3339.hpp"
#include "daemon/notify/channel_setup.hpp"

#include <cstdio>
#include <ctime>
#include <mutex>

namespace kryptod::daemon::api {

user_entry user_entry::from(storage::user_store::user_record const& record) {
    user_entry e;
    e.id = record.id;
    e.email = record.email;
    e.role = record.role;
    e.verified = record.verified;
    e.disabled = record.disabled;
    e.webhook_url = record.webhook_url;
    e.channels = notify::channels_set_up(record);
    e.created_at = record.created_at;
    e.tokens_valid_after = record.tokens_valid_after;
    return e;
}

boost::json::object to_json(user_entry const& user) {
    boost::json::object o;
    o["id"] = user.id;
    o["email"] = user.email;
    o["role"] = user.role;
    o["verified"] = user.verified;
    o["disabled"] = user.disabled;
    if (user.webhook_url)
        o["webhook_url"] = *user.webhook_url;
    else
        o["webhook_url"] = nullptr;
    boost::json::array channels;
    for (auto const ch : core::all_channels)
        if (core::has(user.channels, ch)) channels.emplace_back(core::to_string(ch));
    o["channels"] = std::move(channels);
    o["created_at"] = core::format_rfc3339(user.created_at);
    return o;
}

user_snapshot::user_snapshot(user_entry u)
    : user(std::move(u))
    , json(boost::json::serialize(to_json(user))) {}

void user_directory::put(storage::user_store::user_record const& record) {
    auto entry = std::make_shared<user_snapshot const>(user_entry::from(record));
    {
        std::unique_lock lock(mutex_);
        users_.insert_or_assign(record.id, std::move(entry));
    }
    if (on_put_) on_put_(record.id);
}

void user_directory::put_if_absent(storage::user_store::user_record const& record) {
    auto entry = std::make_shared<user_snapshot const>(user_entry::from(record));
    std::unique_lock lock(mutex_);
    users_.try_emplace(record.id, std::move(entry));
}

std::optional<user_entry> user_directory::find(std::int64_t id) const {
    std::shared_lock lock(mutex_);
    auto it = users_.find(id);
    if (it == users_.end()) return std::nullopt;
    return it->second->user;
}

std::shared_ptr<user_snapshot const> user_directory::snapshot(std::int64_t id) const {
    std::shared_lock lock(mutex_);
    auto it = users_.find(id);
    if (it == users_.end()) return nullptr;
    return it->second;
}

std::size_t user_directory::size() const {
    std::shared_lock lock(mutex_);
    return users_.size();
}

void user_directory::load(SQLite::Database& db) {
    constexpr std::int64_t batch = 1000;
    std::unordered_map<std::int64_t, std::shared_ptr<user_snapshot const>> loaded;
    for (std::int64_t offset = 0;; offset += batch) {
        auto page = storage::user_store::list(db, {batch, offset});
        for (auto const& record : page.items)
            loaded.insert_or_assign(
                record.id, std::make_shared<user_snapshot const>(user_entry::from(record)));
        if (static_cast<std::int64_t>(page.items.size()) < batch) break;
    }
    std::unique_lock lock(mutex_);
    users_ = std::move(loaded);
}

} // namespace kryptod::daemon::api
