// notify::http_outcome: status codes, Retry-After and destination names.
#include "daemon/notify/http_outcome.hpp"

#include "daemon/notify/curl_handles.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <cmath>

namespace kryptod::daemon::notify {

delivery_result judge_http(http_answer const& a) {
    delivery_result r;
    r.summary = a.summary;
    r.detail = a.detail;
    switch (a.what) {
    case http_answer::kind::invalid_url:
    case http_answer::kind::refused:
        r.outcome = delivery_outcome::permanent;
        return r;
    case http_answer::kind::no_answer:
        r.outcome = delivery_outcome::temporary;
        return r;
    case http_answer::kind::answered:
        break;
    }
    r.code = a.status;
    if (a.status >= 200 && a.status <= 299)
        r.outcome = delivery_outcome::delivered;
    else if (a.status == 408 || a.status == 429 || (a.status >= 500 && a.status <= 599))
        r.outcome = delivery_outcome::temporary;
    else
        r.outcome = delivery_outcome::permanent;
    if (r.outcome == delivery_outcome::temporary)
        if (auto wait = retry_after_of(a.retry_after)) {
            r.retry_after = *wait;
            r.detail += ", Retry-After " + a.retry_after;
        }
    return r;
}

std::optional<std::chrono::milliseconds> retry_after_of(std::string_view value) {
    if (value.empty() || value.size() > 32) return std::nullopt;
    // Digits with at most one dot: no sign, no exponent, nothing after.
    if (value.find_first_not_of("0123456789.") != std::string_view::npos ||
        value.find('.') != value.rfind('.') || value.front() == '.')
        return std::nullopt;
    double seconds = 0;
    auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds,
                                           std::chars_format::fixed);
    if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(seconds))
        return std::nullopt;
    double const ms = std::ceil(seconds * 1000.0);
    if (ms >= static_cast<double>(max_retry_after.count())) return max_retry_after;
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::string origin_of(std::string const& url) {
    curl_url_ptr u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return url;
    auto part = [&](CURLUPart which, unsigned flags) {
        char* text = nullptr;
        if (curl_url_get(u.get(), which, &text, flags) != CURLUE_OK || text == nullptr)
            return std::string();
        std::string out(text);
        curl_free(text);
        return out;
    };
    return part(CURLUPART_SCHEME, 0) + "://" + part(CURLUPART_HOST, 0) + ":" +
           part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

std::string private_destination(std::string_view label, std::string const& url) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(url.data(), url.size(), digest, &length, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string tag;
    for (unsigned int i = 0; i < 4 && i < length; ++i) {
        tag.push_back(hex[digest[i] >> 4]);
        tag.push_back(hex[digest[i] & 0xf]);
    }
    std::string out(label);
    // A URL that does not parse is its own origin: keep it out of the name.
    std::string origin = origin_of(url);
    if (origin == url) origin = "(invalid URL)";
    return out + " " + origin + " #" + tag;
}

} // namespace kryptod::daemon::notify
