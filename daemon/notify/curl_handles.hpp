// notify::curl_handles: libcurl's C resources as unique_ptrs, so that every
// path out of a function (an early return, an exception) frees them.
//
// The easy and multi handles come from ensure_curl()'d libcurl; a null
// handle from make_easy()/make_multi() is reported as std::runtime_error,
// so a handle in hand is never null. header_list::append keeps the list it
// had when libcurl runs out of memory (curl_slist_append then returns null
// without freeing the old list) and reports the failure as false.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace kryptod::daemon::notify {

struct curl_easy_deleter {
    void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct curl_multi_deleter {
    void operator()(CURLM* m) const noexcept { curl_multi_cleanup(m); }
};
struct curl_slist_deleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
struct curl_url_deleter {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};

using curl_easy_ptr = std::unique_ptr<CURL, curl_easy_deleter>;
using curl_multi_ptr = std::unique_ptr<CURLM, curl_multi_deleter>;
using curl_url_ptr = std::unique_ptr<CURLU, curl_url_deleter>;

// Throws std::runtime_error when libcurl cannot make the handle.
curl_easy_ptr make_easy();
curl_multi_ptr make_multi();

// The coarse, user-facing name of a transfer that got no answer:
// "timeout", "TLS failed", "cannot resolve host" or "connection failed".
char const* curl_failure_summary(CURLcode code) noexcept;

// A curl_slist (headers, recipients, CURLOPT_RESOLVE lines) owned by value.
class header_list {
public:
    // False (and the list unchanged) when libcurl is out of memory.
    bool append(char const* line) noexcept {
        curl_slist* grown = curl_slist_append(list_.get(), line);
        if (grown == nullptr) return false;
        list_.release();
        list_.reset(grown);
        return true;
    }
    curl_slist* get() const noexcept { return list_.get(); }

private:
    std::unique_ptr<curl_slist, curl_slist_deleter> list_;
};

} // namespace kryptod::daemon::notify
