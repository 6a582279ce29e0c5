// Tests of notify::smtp_client against the local aiosmtpd server: STARTTLS
// with a CA file, smtp.tls=required refusing a server without STARTTLS,
// 4xx/5xx classification, several messages over one connection, and the
// settings read from the configuration (smtp.password_file).
#include "daemon/notify/smtp_client.hpp"
#include "notify_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>

namespace kryptod::notify_test {

namespace notify = daemon::notify;

namespace {

notify::email_message message(std::string const& to, std::string const& subject) {
    notify::account_email e{to, subject, "hello\n.\n"};
    return notify::render_account_email(e, "alerts@kryptod.test", "<" + subject + "@kryptod>",
                                        wall_now())
        .value.value();
}

// A self-signed certificate for 127.0.0.1, made with the openssl tool.
struct certificate {
    temp_dir dir{"kryptod-cert"};
    fs::path cert = dir.path / "cert.pem";
    fs::path key = dir.path / "key.pem";
    certificate() {
        std::string const cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
                                "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
                                key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(smtp_client)

BOOST_AUTO_TEST_CASE(starttls_with_a_ca_file_delivers_over_tls) {
    certificate cert;
    smtp_server server({"--starttls", cert.cert.string(), cert.key.string()});
    notify::smtp_settings s;
    s.url = server.url();
    s.tls = daemon::smtp_tls::required;
    s.ca_file = cert.cert;
    notify::smtp_client client(s);
    auto const r = client.send(message("tls@example.com", "over-tls"));
    BOOST_TEST(r.delivered(), r.detail);
    BOOST_TEST(server.count("STARTTLS") == 1);
    BOOST_TEST(server.messages().size() == 1u);

    // Without the CA the server's certificate is not trusted: nothing is sent.
    s.ca_file.clear();
    client.configure(s);
    auto const untrusted = client.send(message("tls@example.com", "untrusted"));
    BOOST_TEST((untrusted.outcome == notify::delivery_outcome::temporary), untrusted.detail);
    BOOST_TEST(server.messages().size() == 1u);
}

BOOST_AUTO_TEST_CASE(required_tls_refuses_a_server_without_starttls) {
    smtp_server server;
    notify::smtp_settings s;
    s.url = server.url();
    s.tls = daemon::smtp_tls::required;
    notify::smtp_client client(s);
    auto const r = client.send(message("plain@example.com", "plain"));
    BOOST_TEST((r.outcome == notify::delivery_outcome::temporary));
    BOOST_TEST(r.detail.find("STARTTLS") != std::string::npos, r.detail);
    BOOST_TEST(server.count("MAIL") == 0);
    BOOST_TEST(server.count("DATA") == 0);
}

BOOST_AUTO_TEST_CASE(answers_are_classified_and_one_connection_carries_many) {
    smtp_server server;
    notify::smtp_settings s;
    s.url = server.url();
    s.tls = daemon::smtp_tls::off;
    notify::smtp_client client(s);
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(client.send(message("many@example.com", "m" + std::to_string(i))).delivered());
    auto const temp = client.send(message("tempfail@example.com", "t"));
    BOOST_TEST((temp.outcome == notify::delivery_outcome::temporary));
    BOOST_TEST(temp.code == 451);
    BOOST_TEST(temp.detail.find("451 4.3.0") != std::string::npos, temp.detail);
    auto const perm = client.send(message("bounce@example.com", "b"));
    BOOST_TEST((perm.outcome == notify::delivery_outcome::permanent));
    BOOST_TEST(perm.code == 550);
    BOOST_TEST(server.count("CONNECT") <= 3); // libcurl may reconnect after a refusal
    BOOST_TEST(server.messages().size() == 5u);
    BOOST_TEST(server.count("EHLO") <= 3);

    server.stop();
    auto const down = client.send(message("many@example.com", "down"));
    BOOST_TEST((down.outcome == notify::delivery_outcome::temporary));
    BOOST_TEST(down.unreachable());
}

BOOST_AUTO_TEST_CASE(settings_come_from_the_smtp_section) {
    temp_dir dir;
    std::ofstream(dir.path / "password") << "s3cret\r\nsecond line\n";
    daemon::config::smtp_section smtp;
    smtp.url = "smtps://mail.example.com:465";
    smtp.tls = daemon::smtp_tls::opportunistic;
    smtp.username = "kryptod";
    smtp.password_file = dir.path / "password";
    smtp.from = "alerts@example.com";
    auto const s = notify::smtp_settings_from(smtp);
    BOOST_TEST(s.url == smtp.url);
    BOOST_TEST(s.password == "s3cret");
    BOOST_TEST(s.username == "kryptod");
    BOOST_TEST(s.from == "alerts@example.com");
    BOOST_TEST((s.tls == daemon::smtp_tls::opportunistic));

    smtp.password_file = dir.path / "missing";
    BOOST_CHECK_EXCEPTION(notify::smtp_settings_from(smtp), daemon::config_error,
                          [](daemon::config_error const& e) {
                              return std::string(e.what()).find("smtp.password_file") == 0;
                          });
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace kryptod::notify_test
