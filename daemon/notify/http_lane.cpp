// notify::http_lane: one thread, one curl multi handle; requests handed
// over under a mutex and a curl_multi_wakeup(). See the header for the
// rules every request follows.
#include "daemon/notify/http_lane.hpp"

#include "daemon/notify/address_policy.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <memory>
#include <netinet/in.h>
#include <sys/socket.h>

namespace kryptod::daemon::notify {

namespace {

constexpr std::size_t max_body = 64 * 1024;

std::string numeric(sockaddr const* sa) {
    char text[INET6_ADDRSTRLEN] = {};
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in const*>(sa)->sin_addr, text, sizeof text);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6 const*>(sa)->sin6_addr, text,
                  sizeof text);
    return text;
}

// Whether `url` is one the lane will call: http(s) with a host.
bool callable(std::string const& url) {
    curl_url_ptr u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return false;
    auto has = [&](CURLUPart which, auto&& ok) {
        char* text = nullptr;
        if (curl_url_get(u.get(), which, &text, 0) != CURLUE_OK || text == nullptr) return false;
        bool const good = ok(std::string_view(text));
        curl_free(text);
        return good;
    };
    return has(CURLUPART_SCHEME, [](std::string_view s) { return s == "http" || s == "https"; }) &&
           has(CURLUPART_HOST, [](std::string_view h) { return !h.empty(); });
}

} // namespace

struct http_lane::transfer {
    curl_easy_ptr easy;
    header_list headers;
    http_request request;
    completion done;
    http_answer answer;
    char error[CURL_ERROR_SIZE] = {};
    bool allow_private = false;
    std::string refused_address; // the first private address it was led to

    static curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* address) {
        auto* t = static_cast<transfer*>(user);
        if (!t->allow_private && !is_global_address(&address->addr)) {
            if (t->refused_address.empty()) t->refused_address = numeric(&address->addr);
            return CURL_SOCKET_BAD;
        }
        return ::socket(address->family, address->socktype, address->protocol);
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
        auto* t = static_cast<transfer*>(user);
        std::size_t const n = size * count;
        std::size_t const room = max_body - std::min(max_body, t->answer.body.size());
        t->answer.body.append(data, std::min(n, room));
        return n;
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
        auto* t = static_cast<transfer*>(user);
        std::string_view line(data, size * count);
        constexpr std::string_view name = "retry-after:";
        if (line.size() > name.size() &&
            std::equal(name.begin(), name.end(), line.begin(),
                       [](char a, char b) { return a == (b | 0x20) || a == b; })) {
            line.remove_prefix(name.size());
            while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
                line.remove_prefix(1);
            while (!line.empty() &&
                   (line.back() == '\r' || line.back() == '\n' || line.back() == ' '))
                line.remove_suffix(1);
            t->answer.retry_after.assign(line.substr(0, 64));
        }
        return size * count;
    }
};

http_lane::http_lane(http_lane_options options)
    : options_(std::move(options))
    , multi_(make_multi()) {}

http_lane::~http_lane() {
    stop();
}

void http_lane::start() {
    thread_ = std::thread([this] { run(); });
}

void http_lane::submit(http_request request, completion done) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        queued_.emplace_back(std::move(request), std::move(done));
    }
    curl_multi_wakeup(multi_.get());
}

void http_lane::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    curl_multi_wakeup(multi_.get());
    if (thread_.joinable()) thread_.join();
}

void http_lane::run() {
    for (;;) {
        std::vector<std::pair<http_request, completion>> incoming;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) break;
            incoming.swap(queued_);
        }
        for (auto& [request, done] : incoming)
            add(std::move(request), std::move(done));
        int still = 0;
        curl_multi_perform(multi_.get(), &still);
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left))
            if (msg->msg == CURLMSG_DONE) finish(msg->easy_handle, msg->data.result);
        curl_multi_poll(multi_.get(), nullptr, 0, 1000, nullptr);
    }
    for (auto& [easy, t] : running_)
        curl_multi_remove_handle(multi_.get(), easy);
    running_.clear();
}

void http_lane::add(http_request request, completion done) {
    auto t = std::make_unique<transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    t->allow_private = options_.allow_private;
    if (!callable(t->request.url)) {
        t->answer.what = http_answer::kind::invalid_url;
        t->answer.summary = "invalid URL";
        t->answer.detail = "not an http(s) URL with a host";
        t->done(std::move(t->answer));
        return;
    }
    t->easy = make_easy();
    for (auto const& line : t->request.headers)
        t->headers.append(line.c_str());
    t->headers.append("Expect:"); // no 100-continue round trip
    CURL* h = t->easy.get();
    curl_easy_setopt(h, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(h, CURLOPT_URL, t->request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kryptod/" KRYPTOD_VERSION);
    if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &transfer::open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, t.get());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers.get());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, t->request.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(t->request.body.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &transfer::on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &transfer::on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t.get());
    if (curl_multi_add_handle(multi_.get(), h) != CURLM_OK) {
        t->answer.summary = "connection failed";
        t->answer.detail = "libcurl refused another transfer";
        t->done(std::move(t->answer));
        return;
    }
    running_[h] = std::move(t);
}

void http_lane::finish(CURL* easy, CURLcode code) {
    auto it = running_.find(easy);
    if (it == running_.end()) return;
    std::unique_ptr<transfer> t = std::move(it->second);
    running_.erase(it);
    curl_multi_remove_handle(multi_.get(), easy);
    http_answer& a = t->answer;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (code == CURLE_OK) {
        a.what = http_answer::kind::answered;
        a.status = status;
        a.summary = "HTTP " + std::to_string(status);
        a.detail = a.summary;
    } else if (!t->refused_address.empty() && status == 0) {
        a.what = http_answer::kind::refused;
        a.summary = "refused: private address";
        a.detail = "leads to the private address " + t->refused_address;
    } else {
        a.what = http_answer::kind::no_answer;
        a.summary = curl_failure_summary(code);
        // libcurl's own words usually carry the timing; add it when not.
        if (t->error[0] != '\0') {
            a.detail = t->error;
        } else {
            double seconds = 0;
            curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &seconds);
            a.detail = std::string(curl_easy_strerror(code)) + " after " +
                       std::to_string(static_cast<long>(seconds * 1000)) + " ms";
        }
    }
    t->done(std::move(a));
}

} // namespace kryptod::daemon::notify
