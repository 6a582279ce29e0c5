// daemon::channel_setup: see channel_setup.hpp.
#include "daemon/channel_setup.hpp"

#include "storage/telegram_store.hpp"

namespace kryptod::daemon {

core::channel channels_set_up(SQLite::Database& db, storage::user_store::user_record const& user) {
    core::channel set = core::channel::email;
    if (user.webhook_url) set = set | core::channel::webhook;
    if (storage::telegram_store::chat_of(db, user.id)) set = set | core::channel::telegram;
    return set;
}

} // namespace kryptod::daemon
