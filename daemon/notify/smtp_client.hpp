// notify::smtp_client: sends kryptod's emails over SMTP through libcurl.
//
// One client keeps one libcurl easy handle for its whole life, so libcurl
// keeps the connection to the mail server open between messages: a tick that
// fires many alerts sends them all over one connection (and one TLS
// handshake). STARTTLS is enforced as smtp.tls asks: `required` never sends
// a byte of a message in plaintext (CURLUSESSL_ALL: a server that offers no
// STARTTLS gets no MAIL command), `opportunistic` upgrades when offered
// (CURLUSESSL_TRY), `off` never does. An `smtps://` URL is TLS from the
// start whatever smtp.tls says.
//
// Thread-safety: none; one client per thread (the outbox sender's).
#pragma once

#include "daemon/config.hpp"
#include "daemon/notify/curl_handles.hpp"
#include "daemon/notify/delivery_result.hpp"
#include "daemon/notify/email_message.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace kryptod::daemon::notify {

// What the client needs of the [smtp] section, with the password already
// read from smtp.password_file.
struct smtp_settings {
    std::string url = "smtp://localhost:25";
    smtp_tls tls = smtp_tls::required;
    std::string username; // empty: no authentication
    std::string password;
    std::string from = "kryptod@localhost";
    std::filesystem::path ca_file; // empty: the system store
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds timeout{30000}; // one whole message, connect included
};

// The settings of a loaded configuration; reads smtp.password_file (its
// first line, without the line end) when one is named. Throws config_error
// naming smtp.password_file when it cannot be read.
smtp_settings smtp_settings_from(config::smtp_section const& smtp);

class smtp_client {
public:
    // Throws std::runtime_error when libcurl cannot make a handle.
    explicit smtp_client(smtp_settings settings);
    ~smtp_client();

    smtp_client(smtp_client const&) = delete;
    smtp_client& operator=(smtp_client const&) = delete;

    // Uses `settings` from the next send on; the open connection, made under
    // the old ones, is closed.
    void configure(smtp_settings settings);

    smtp_settings const& settings() const noexcept { return settings_; }

    // Sends one message (envelope m.from -> m.to, DATA m.text) and reports
    // how it ended: delivered once the server accepted the DATA; temporary
    // for no answer, a TLS failure (including STARTTLS required but not
    // offered) or a 4xx; permanent for a 5xx. Never throws.
    delivery_result send(email_message const& m);

private:
    void reset_handle();

    smtp_settings settings_;
    curl_easy_ptr handle_; // kept across sends for connection reuse
};

} // namespace kryptod::daemon::notify
