// Test support: a Server-Sent Events client for GET /api/stream on a running
// kryptod, over a plain socket so that a test controls exactly when (and
// whether) it reads. Every read has a deadline.
#pragma once

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <cstdint>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace kryptod::test {

// One event of the stream, or a comment (type ":", data its text).
struct sse_event {
    std::string type; // "alert", "price", ":" for a comment
    std::optional<std::int64_t> id;
    std::string data;
};

class sse_client {
public:
    // Connects and sends the request. `receive_buffer` > 0 shrinks the
    // socket's receive buffer first (a client that will not read).
    sse_client(unsigned short port, std::string const& token, std::string const& target,
               std::vector<std::string> const& headers = {}, int receive_buffer = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) throw std::runtime_error("socket");
        if (receive_buffer > 0)
            ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("connect");
        std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
        req += "Accept: text/event-stream\r\n";
        for (auto const& h : headers)
            req += h + "\r\n";
        req += "\r\n";
        if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
            throw std::runtime_error("send");
    }
    ~sse_client() { close(); }
    sse_client(sse_client const&) = delete;
    sse_client& operator=(sse_client const&) = delete;

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int fd() const { return fd_; }

    // The answer's status code (reads the head); 0 when none came in time.
    int status(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while (head_end_ == std::string::npos) {
            head_end_ = buffer_.find("\r\n\r\n");
            if (head_end_ != std::string::npos) break;
            if (!fill(deadline)) return 0;
        }
        if (status_ == 0) {
            status_ = std::stoi(buffer_.substr(9, 3));
            head_ = buffer_.substr(0, head_end_ + 4);
            body_at_ = head_end_ + 4;
        }
        return status_;
    }
    std::string const& head() const { return head_; }
    // The body so far (a refusal's problem JSON, once ended).
    std::string body() const { return buffer_.substr(body_at_); }

    // The next event or comment; nullopt when none came in time or the
    // stream ended (ended() tells which).
    std::optional<sse_event> next(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        if (status(timeout) == 0) return std::nullopt;
        for (;;) {
            auto const end = buffer_.find("\n\n", body_at_);
            if (end != std::string::npos) {
                auto const block = buffer_.substr(body_at_, end - body_at_);
                body_at_ = end + 2;
                return parse(block);
            }
            if (!fill(deadline)) return std::nullopt;
        }
    }

    // The next event of `type` (others skipped).
    std::optional<sse_event> next_of(std::string const& type,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            auto e = next(left);
            if (!e) return std::nullopt;
            if (e->type == type) return e;
        }
    }

    bool ended() const { return ended_; }

    // Reads whatever is there without waiting; false once the stream ended.
    bool poll_read() { return fill(std::chrono::steady_clock::now()); }

private:
    static sse_event parse(std::string const& block) {
        sse_event e;
        std::size_t at = 0;
        while (at <= block.size()) {
            auto nl = block.find('\n', at);
            if (nl == std::string::npos) nl = block.size();
            auto const line = block.substr(at, nl - at);
            at = nl + 1;
            if (line.starts_with(":")) {
                e.type = ":";
                e.data = line.substr(1);
            } else if (line.starts_with("event: ")) {
                e.type = line.substr(7);
            } else if (line.starts_with("id: ")) {
                e.id = std::stoll(line.substr(4));
            } else if (line.starts_with("data: ")) {
                if (!e.data.empty()) e.data += '\n';
                e.data += line.substr(6);
            }
        }
        return e;
    }

    bool fill(std::chrono::steady_clock::time_point deadline) {
        if (fd_ < 0 || ended_) return false;
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) <= 0)
            return false;
        char chunk[65536];
        auto const n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            ended_ = true;
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    std::string buffer_;
    std::string head_;
    std::size_t head_end_ = std::string::npos;
    std::size_t body_at_ = 0;
    int status_ = 0;
    bool ended_ = false;
};

} // namespace kryptod::test
