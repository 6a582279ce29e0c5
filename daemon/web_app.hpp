// The web app at `/`: the router's fallback serves http.web_root's files.
#pragma once

#include "http/router.hpp"

#include <filesystem>

namespace kryptod::daemon {

// Loads the files under `web_root` and makes them the router's fallback, so
// every path no API route matches is the app's (see http/static_files.hpp).
// A folder that cannot be served is logged as a warning and no app is
// served: the API does not depend on it.
void serve_web_app(http::router& r, std::filesystem::path const& web_root);

} // namespace kryptod::daemon
