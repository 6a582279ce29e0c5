// notify::smtp_client: libcurl's SMTP with one reused easy handle. See the
// header for the TLS policy; classify() below is the one place that maps
// libcurl's outcome to retry or give up.
#include "daemon/notify/smtp_client.hpp"

#include "daemon/notify/curl_handles.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace kryptod::daemon::notify {

namespace {

struct upload {
    std::string_view data;
    std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* up = static_cast<upload*>(user);
    std::size_t const n = std::min(size * count, up->data.size() - up->offset);
    std::memcpy(buffer, up->data.data() + up->offset, n);
    up->offset += n;
    return n;
}

// Keeps the server's last refusal (a 4xx or 5xx reply line), so that it is
// logged and stored in the server's own words ("451 4.3.0 try again later")
// rather than libcurl's summary ("Weird server reply"). Later replies, such
// as the 221 to the QUIT after a refusal, do not overwrite it.
int keep_reply(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
    if (type != CURLINFO_HEADER_IN || size == 0 || (data[0] != '4' && data[0] != '5')) return 0;
    auto* last = static_cast<std::string*>(user);
    last->assign(data, std::min<std::size_t>(size, 512));
    while (!last->empty() && (last->back() == '\n' || last->back() == '\r'))
        last->pop_back();
    return 0;
}

delivery_result classify(CURLcode code, long response, char const* error_buffer,
                         std::string const& reply) {
    delivery_result r;
    r.code = response;
    if (code == CURLE_OK) {
        r.outcome = delivery_outcome::delivered;
        r.detail = "accepted";
        r.summary = "delivered";
        return r;
    }
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    if (response >= 500 && response <= 599)
        r.outcome = delivery_outcome::permanent;
    else
        r.outcome = delivery_outcome::temporary;
    // A failure before any answer keeps code 0, which marks the server as
    // unreachable for the rest of a batch.
    r.summary = response >= 400 ? "SMTP " + std::to_string(response)
                                : std::string(curl_failure_summary(code));
    if (response >= 400)
        detail = reply.rfind(std::to_string(response), 0) == 0
                     ? "SMTP " + reply
                     : "SMTP " + std::to_string(response) + ": " + detail;
    r.detail = std::move(detail);
    return r;
}

} // namespace

smtp_settings smtp_settings_from(config::smtp_section const& smtp) {
    smtp_settings s;
    s.url = smtp.url;
    s.tls = smtp.tls;
    s.username = smtp.username;
    s.from = smtp.from;
    s.ca_file = smtp.ca_file;
    if (!smtp.password_file.empty()) {
        std::ifstream in(smtp.password_file);
        if (!in)
            throw config_error("smtp.password_file: cannot read \"" + smtp.password_file.string() +
                               "\"");
        std::getline(in, s.password);
        if (!s.password.empty() && s.password.back() == '\r') s.password.pop_back();
    }
    return s;
}

smtp_client::smtp_client(smtp_settings settings)
    : settings_(std::move(settings))
    , handle_(make_easy()) {}

smtp_client::~smtp_client() = default;

void smtp_client::configure(smtp_settings settings) {
    settings_ = std::move(settings);
    reset_handle();
}

void smtp_client::reset_handle() {
    // A fresh handle drops the connection made under the old settings.
    handle_ = make_easy();
}

delivery_result smtp_client::send(email_message const& m) {
    CURL* h = handle_.get();
    char error_buffer[CURL_ERROR_SIZE] = {};
    upload up{m.text, 0};
    std::string const mail_from = "<" + m.from + ">";
    std::string const rcpt = "<" + m.to + ">";
    header_list recipients;
    if (!recipients.append(rcpt.c_str()))
        return {delivery_outcome::temporary, 0, "out of memory building the recipient list",
                "connection failed"};

    curl_easy_reset(h); // keeps the live connection and caches, forgets the options
    curl_easy_setopt(h, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    std::string reply;
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &keep_reply);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &reply);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(settings_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    switch (settings_.tls) {
    case smtp_tls::required:
        curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
        break;
    case smtp_tls::opportunistic:
        curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
        break;
    case smtp_tls::off:
        curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE));
        break;
    }
    if (!settings_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (!settings_.username.empty()) {
        curl_easy_setopt(h, CURLOPT_USERNAME, settings_.username.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_upload);
    curl_easy_setopt(h, CURLOPT_READDATA, &up);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(m.text.size()));

    CURLcode const code = curl_easy_perform(h);
    long response = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response);
    // The options pointed at locals; nothing may use them after this.
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, nullptr);
    curl_easy_setopt(h, CURLOPT_READDATA, nullptr);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, nullptr);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
    return classify(code, response, error_buffer, reply);
}

} // namespace kryptod::daemon::notify
