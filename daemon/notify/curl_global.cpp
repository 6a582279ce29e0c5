// notify::curl_global: one call of curl_global_init per process.
#include "daemon/notify/curl_global.hpp"

#include <curl/curl.h>

#include <mutex>
#include <stdexcept>

namespace kryptod::daemon::notify {

void ensure_curl() {
    static std::once_flag once;
    static CURLcode code = CURLE_OK;
    std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (code != CURLE_OK)
        throw std::runtime_error(std::string("libcurl initialisation failed: ") +
                                 curl_easy_strerror(code));
}

} // namespace kryptod::daemon::notify
