// Wiring the web app's files into the router; see web_app.hpp.
#include "daemon/web_app.hpp"

#include "daemon/log.hpp"
#include "http/static_files.hpp"

#include <stdexcept>

namespace kryptod::daemon {

void serve_web_app(http::router& r, std::filesystem::path const& web_root) {
    try {
        auto files = http::static_files::load(web_root);
        log::info("web app: ", files.file_count(), " files (", files.total_bytes(), " bytes) from ",
                  web_root.string());
        r.fallback(std::move(files));
    } catch (std::exception const& e) {
        log::warning("web app not served: ", e.what());
    }
}

} // namespace kryptod::daemon
