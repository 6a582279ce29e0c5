// api::telegram_link: linking a Telegram chat to the caller (SPEC §10).
//
// POST /api/auth/me/telegram answers {"code", "link", "expires_in"}: a
// random code, single use, valid 15 minutes, stored only as its hash, and
// `link` = https://t.me/<bot username>?start=<code>, which opens the bot
// and sends it "/start <code>"; the bot (notify::telegram_poller) then links
// that chat. Asking again replaces the caller's earlier code. Without a
// working bot the answer is 503 saying why (not set up, token refused,
// still starting).
//
// DELETE /api/auth/me/telegram unlinks the caller's chat (204, also when
// none was linked), whether or not the bot runs.
#pragma once

#include "daemon/api/api_context.hpp"
#include "daemon/notify/telegram_poller.hpp"
#include "http/router.hpp"

#include <chrono>
#include <memory>

namespace kryptod::daemon::api {

// How long a link code works.
inline constexpr std::chrono::minutes telegram_code_ttl{15};

// `bot` must outlive the router.
void add_telegram_routes(http::router& r, std::shared_ptr<api_context> const& services,
                         notify::telegram_poller const& bot);

} // namespace kryptod::daemon::api
