// notify::curl_global: one call of curl_global_init per process, and the
// handle factories of curl_handles.hpp that depend on it.
#include "daemon/notify/curl_global.hpp"

#include "daemon/notify/curl_handles.hpp"

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

curl_easy_ptr make_easy() {
    ensure_curl();
    curl_easy_ptr h(curl_easy_init());
    if (!h) throw std::runtime_error("libcurl could not create a handle");
    return h;
}

curl_multi_ptr make_multi() {
    ensure_curl();
    curl_multi_ptr m(curl_multi_init());
    if (!m) throw std::runtime_error("libcurl could not create a multi handle");
    return m;
}

char const* curl_failure_summary(CURLcode code) noexcept {
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_COULDNT_RESOLVE_HOST:
        return "cannot resolve host";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_USE_SSL_FAILED:
        return "TLS failed";
    default:
        return "connection failed";
    }
}

} // namespace kryptod::daemon::notify
