// Tests of notify::outbox_sender against real servers on 127.0.0.1: Debian's
// aiosmtpd (tests/notify/smtp_server.py) and a Python webhook receiver that
// checks the signature itself. What a user would notice: who gets which
// email, that nothing is lost or sent twice across an outage, which failures
// are retried, that nothing leaves in plaintext when TLS is required, that
// the sender sends what was queued (the per-user cap is the fire path's), and
// signed webhooks.
#include "daemon/notify/email_message.hpp"
#include "daemon/notify/outbox_sender.hpp"
#include "daemon/options.hpp"
#include "notify_fixture.hpp"
#include "tests/support/default_config.hpp"

#include <boost/test/unit_test.hpp>

#include <mutex>
#include <set>

namespace kryptod::notify_test {

namespace notify = daemon::notify;
using storage::alert_store::event_type;
using storage::outbox_store::delivery_state;

namespace {

struct sender_fixture : database_fixture {
    smtp_server smtp;
    std::unique_ptr<notify::outbox_sender> sender;

    notify::smtp_settings settings() const {
        notify::smtp_settings s;
        s.url = smtp.url();
        s.tls = daemon::smtp_tls::off;
        s.from = "alerts@kryptod.test";
        s.connect_timeout = 2000ms;
        s.timeout = 5000ms;
        return s;
    }

    static notify::sender_options options() {
        auto o = kryptod::daemon::sender_options_from(kryptod::test::default_config());
        o.max_attempts = 5;
        o.retry_base = 50ms;
        o.retry_max = 200ms;
        o.idle_poll = 100ms;
        o.webhook_allow_private = true;
        return o;
    }

    void start(notify::smtp_settings s, notify::sender_options o) {
        sender = std::make_unique<notify::outbox_sender>(path, writer, std::move(s), std::move(o));
        sender->start();
    }
    void start() { start(settings(), options()); }

    ~sender_fixture() { sender.reset(); }

    delivery_state state_of(std::int64_t id) { return row(id).value().state; }

    bool settled(std::vector<std::int64_t> const& ids) {
        for (auto id : ids)
            if (state_of(id) == delivery_state::pending) return false;
        return true;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(outbox_sender)

BOOST_FIXTURE_TEST_CASE(a_fire_emails_every_owner_once_over_one_connection, sender_fixture) {
    std::vector<std::string> const emails{"ann@example.com", "bob@example.org", "cy@example.net"};
    std::vector<core::alert> alerts;
    for (std::size_t i = 0; i < emails.size(); ++i)
        alerts.push_back(add_alert(add_user(emails[i]), "BTCUSDT", "65000", core::direction::above,
                                   "BTC breakout " + std::to_string(i)));
    std::vector<std::int64_t> ids;
    for (auto const& a : alerts)
        for (auto id : fire(a, "BTCUSDT", "65010.5"))
            ids.push_back(id);
    start();
    sender->wake();

    BOOST_REQUIRE(eventually([&] { return smtp.messages().size() == 3 && settled(ids); }));
    auto const mails = smtp.messages();
    for (std::size_t i = 0; i < emails.size(); ++i) {
        auto const stored = row(ids[i]).value();
        std::string const message_id = notify::message_id_for(ids[i], stored.delivery_id);
        auto it = std::find_if(mails.begin(), mails.end(), [&](received_mail const& m) {
            return m.rcpt_tos == std::vector<std::string>{emails[i]};
        });
        BOOST_REQUIRE_MESSAGE(it != mails.end(), "no message for " << emails[i]);
        BOOST_TEST(it->mail_from == "alerts@kryptod.test");
        BOOST_TEST(it->header("To") == "<" + emails[i] + ">");
        BOOST_TEST(it->header("From").find("<alerts@kryptod.test>") != std::string::npos);
        BOOST_TEST(it->header("Subject") == "BTCUSDT above 65000: fired at 65010.5");
        BOOST_TEST(it->header("Message-ID") == message_id);
        BOOST_TEST(it->header("Date").find("+0000") != std::string::npos);
        BOOST_TEST(it->body.find("BTC breakout " + std::to_string(i)) != std::string::npos);
        BOOST_TEST(it->body.find("Trigger price:  65010.5") != std::string::npos);
        BOOST_TEST(it->body.find("Condition:      price above 65000") != std::string::npos);
        BOOST_TEST(it->body.find("Backfilled:     no") != std::string::npos);
        BOOST_TEST(it->body.find("Exchange time:  20") != std::string::npos);
        BOOST_TEST((stored.state == delivery_state::delivered));
        BOOST_TEST(stored.attempts == 1);
        auto const ev = events(alerts[i].id, event_type::notified);
        BOOST_REQUIRE_EQUAL(ev.size(), 1u);
        BOOST_TEST(ev[0].outcome.value() == "delivered");
        BOOST_TEST(ev[0].attempt.value() == 1);
        BOOST_TEST((ev[0].channel.value() == core::channel::email));
    }
    BOOST_TEST(smtp.count("CONNECT") == 1); // one connection carried the whole tick
    BOOST_TEST(sender->stats().delivered == 3u);
}

BOOST_FIXTURE_TEST_CASE(an_smtp_outage_loses_nothing_and_sends_nothing_twice, sender_fixture) {
    smtp.stop();
    auto const user = add_user("dora@example.com");
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i)
        for (auto id :
             fire(add_alert(user, "ETHUSDT", "3000", core::direction::below), "ETHUSDT", "2999.99"))
            ids.push_back(id);
    auto o = options();
    o.max_attempts = 100;
    start(settings(), o);
    sender->wake();

    // Every row fails at least twice while the server is down...
    BOOST_REQUIRE(eventually([&] {
        for (auto id : ids)
            if (row(id).value().attempts < 2) return false;
        return true;
    }));
    for (auto id : ids)
        BOOST_TEST((state_of(id) == delivery_state::pending));
    // ...and every one arrives once it is back.
    smtp.restart();
    BOOST_REQUIRE(eventually([&] { return settled(ids); }));
    std::this_thread::sleep_for(300ms);
    auto const mails = smtp.messages();
    std::set<std::string> message_ids;
    for (auto const& m : mails)
        message_ids.insert(m.header("Message-ID"));
    BOOST_TEST(mails.size() == 5u);
    BOOST_TEST(message_ids.size() == 5u);
    for (auto id : ids)
        BOOST_TEST((state_of(id) == delivery_state::delivered));
}

BOOST_FIXTURE_TEST_CASE(a_451_is_retried_with_the_same_message_id, sender_fixture) {
    smtp.fail_next(451, 2);
    auto const a =
        add_alert(add_user("eve@example.com"), "BTCUSDT", "60000", core::direction::below);
    auto const ids = fire(a, "BTCUSDT", "59999");
    start();
    sender->wake();

    BOOST_REQUIRE(eventually([&] { return settled(ids); }));
    auto const stored = row(ids[0]).value();
    BOOST_TEST((stored.state == delivery_state::delivered));
    BOOST_TEST(stored.attempts == 3);
    BOOST_TEST(smtp.count("DATA") == 3);
    auto const mails = smtp.messages();
    BOOST_REQUIRE_EQUAL(mails.size(), 1u);
    BOOST_TEST(mails[0].header("Message-ID") == notify::message_id_for(ids[0], stored.delivery_id));
    auto const ev = events(a.id, event_type::notified);
    BOOST_REQUIRE_EQUAL(ev.size(), 3u);
    BOOST_TEST(ev[0].outcome->rfind("retrying: ", 0) == 0);
    BOOST_TEST(ev[0].outcome->find("451") != std::string::npos);
    BOOST_TEST(ev[1].attempt.value() == 2);
    BOOST_TEST(ev[2].outcome.value() == "delivered");
    BOOST_TEST(ev[2].attempt.value() == 3);
}

BOOST_FIXTURE_TEST_CASE(a_550_fails_after_one_attempt, sender_fixture) {
    auto const bounced =
        add_alert(add_user("bounce@example.com"), "BTCUSDT", "1", core::direction::above);
    auto const refused =
        add_alert(add_user("fay@example.com"), "BTCUSDT", "1", core::direction::above);
    auto const bounced_ids = fire(bounced, "BTCUSDT", "2");
    start();
    sender->wake();
    BOOST_REQUIRE(eventually([&] { return settled(bounced_ids); }));

    // A 550 at the end of DATA counts the same as one at RCPT.
    smtp.fail_next(550, 1);
    auto const refused_ids = fire(refused, "BTCUSDT", "2");
    sender->wake();
    BOOST_REQUIRE(eventually([&] { return settled(refused_ids); }));
    std::this_thread::sleep_for(300ms); // several retry periods: nothing more may happen

    for (auto id : {bounced_ids[0], refused_ids[0]}) {
        auto const stored = row(id).value();
        BOOST_TEST((stored.state == delivery_state::failed));
        BOOST_TEST(stored.attempts == 1);
        BOOST_TEST(stored.last_error.value().find("550") != std::string::npos);
    }
    BOOST_TEST(smtp.messages().empty());
    for (auto const& a : {bounced, refused}) {
        auto const ev = events(a.id, event_type::notified);
        BOOST_REQUIRE_EQUAL(ev.size(), 1u);
        BOOST_TEST(ev[0].outcome->rfind("failed: ", 0) == 0);
    }
    BOOST_TEST(sender->stats().failed == 2u);
}

BOOST_FIXTURE_TEST_CASE(temporary_failures_end_failed_after_max_attempts, sender_fixture) {
    auto const a =
        add_alert(add_user("tempfail@example.com"), "BTCUSDT", "1", core::direction::above);
    auto const ids = fire(a, "BTCUSDT", "2");
    auto o = options();
    o.max_attempts = 3;
    start(settings(), o);
    sender->wake();

    BOOST_REQUIRE(eventually([&] { return settled(ids); }));
    auto const stored = row(ids[0]).value();
    BOOST_TEST((stored.state == delivery_state::failed));
    BOOST_TEST(stored.attempts == 3);
    auto const ev = events(a.id, event_type::notified);
    BOOST_REQUIRE_EQUAL(ev.size(), 3u);
    BOOST_TEST(ev[1].outcome->rfind("retrying: ", 0) == 0);
    BOOST_TEST(ev[2].outcome->rfind("failed: ", 0) == 0);
}

BOOST_FIXTURE_TEST_CASE(required_tls_never_sends_in_plaintext, sender_fixture) {
    auto const user = add_user("gus@example.com");
    auto const id = enqueue_account_email(
        user, {"gus@example.com", "Confirm your address", "Your token: abc123\n"}, "verify-1");
    auto s = settings();
    s.tls = daemon::smtp_tls::required; // the server offers no STARTTLS
    start(s, options());
    sender->wake();

    BOOST_REQUIRE(eventually([&] { return row(id).value().attempts >= 2; }));
    BOOST_TEST(smtp.count("EHLO") >= 1);
    BOOST_TEST(smtp.count("MAIL") == 0);
    BOOST_TEST(smtp.count("DATA") == 0);
    BOOST_TEST(smtp.messages().empty());
    BOOST_TEST((state_of(id) == delivery_state::pending)); // kept for a better server

    // SIGHUP with smtp.tls=opportunistic: the same message goes out.
    s.tls = daemon::smtp_tls::opportunistic;
    sender->reload(s);
    BOOST_REQUIRE(eventually([&] { return state_of(id) == delivery_state::delivered; }));
    auto const mails = smtp.messages();
    BOOST_REQUIRE_EQUAL(mails.size(), 1u);
    BOOST_TEST(mails[0].header("Subject") == "Confirm your address");
    BOOST_TEST(mails[0].body == "Your token: abc123\r\n");
}

BOOST_FIXTURE_TEST_CASE(reload_moves_to_another_server, sender_fixture) {
    smtp_server other;
    auto const user = add_user("hal@example.com");
    auto const id = enqueue_account_email(user, {"hal@example.com", "Reset", "token\n"}, "reset-1");
    auto s = settings();
    s.url = "smtp://127.0.0.1:1"; // nothing listens there
    start(s, options());
    sender->wake();
    // The failed attempt is recorded (claiming counts it before it is tried).
    BOOST_REQUIRE(eventually([&] { return row(id).value().last_error.has_value(); }));

    s.url = other.url();
    sender->reload(s);
    BOOST_REQUIRE(eventually([&] { return state_of(id) == delivery_state::delivered; }));
    BOOST_TEST(other.messages().size() == 1u);
    BOOST_TEST(smtp.messages().empty());
}

// notify.max_per_user_per_hour is applied when a fire queues its rows
// (daemon/live_alerts), never again here: a sender that capped too would
// suppress rows the fire path already counted, so whatever is queued goes.
BOOST_FIXTURE_TEST_CASE(every_queued_row_is_sent_the_cap_is_the_fire_paths, sender_fixture) {
    auto const user = add_user("ida@example.com");
    std::vector<core::alert> alerts;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        alerts.push_back(add_alert(user, "BTCUSDT", "100", core::direction::above));
        for (auto id : fire(alerts.back(), "BTCUSDT", "101"))
            ids.push_back(id);
    }
    ids.push_back(enqueue_account_email(user, {"ida@example.com", "Reset", "token\n"}, "reset-2"));
    start();
    sender->wake();

    BOOST_REQUIRE(eventually([&] { return settled(ids); }));
    BOOST_TEST(smtp.messages().size() == 6u); // five alerts and the account email
    for (auto const& a : alerts) {
        BOOST_TEST(events(a.id, event_type::suppressed).empty());
        BOOST_TEST(events(a.id, event_type::notified).size() == 1u);
    }
    for (auto id : ids)
        BOOST_TEST((state_of(id) == delivery_state::delivered));
}

BOOST_FIXTURE_TEST_CASE(user_text_cannot_inject_headers_and_dots_survive, sender_fixture) {
    auto const user = add_user("jo@example.com");
    auto const a = add_alert(user, "BTCUSDT", "10", core::direction::above,
                             "moon\r\nBcc: evil@example.com\r\n\r\nfake body");
    auto ids = fire(a, "BTCUSDT", "11");
    ids.push_back(enqueue_account_email(
        user,
        {"jo@example.com", "Reset\r\nBcc: evil@example.com", "line one\n.\n.hidden\n..two\nend\n"},
        "reset-3"));
    start();
    sender->wake();

    BOOST_REQUIRE(eventually([&] { return settled(ids) && smtp.messages().size() == 2; }));
    for (auto const& m : smtp.messages()) {
        BOOST_TEST(m.rcpt_tos == std::vector<std::string>{"jo@example.com"});
        BOOST_TEST(m.headers.count("Bcc") == 0u);
        BOOST_TEST(m.headers.at("Subject").size() == 1u);
        if (m.header("Subject").rfind("Reset", 0) == 0) {
            BOOST_TEST(m.header("Subject") == "Reset Bcc: evil@example.com");
            BOOST_TEST(m.body == "line one\r\n.\r\n.hidden\r\n..two\r\nend\r\n");
        } else {
            BOOST_TEST(m.body.find("moon Bcc: evil@example.com fake body") != std::string::npos);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(webhooks_are_signed_and_retried_on_500_not_on_400, sender_fixture) {
    std::string const secret = "whsec-0123456789abcdef";
    webhook_server hook(secret);
    auto const user = add_user("kim@example.com", hook.url(), secret);
    auto const a =
        add_alert(user, "SOLUSDT", "150.25", core::direction::above, "sol", core::channel::webhook);
    hook.answer({500, 503, 200});
    auto const ids = fire(a, "SOLUSDT", "150.3", true);
    start();
    sender->wake();

    BOOST_REQUIRE(eventually([&] { return settled(ids); }));
    auto const stored = row(ids[0]).value();
    BOOST_TEST((stored.state == delivery_state::delivered));
    auto const reqs = hook.requests();
    BOOST_REQUIRE_EQUAL(reqs.size(), 3u);
    for (auto const& r : reqs) {
        BOOST_TEST(r.at("signature_ok").as_bool());
        BOOST_TEST(r.at("delivery").as_string() == stored.delivery_id);
        BOOST_TEST(r.at("content_type").as_string() == "application/json");
        auto const body = boost::json::parse(r.at("body").as_string()).as_object();
        BOOST_TEST(body.at("type").as_string() == "alert.triggered");
        BOOST_TEST(body.at("price").as_string() == "150.3");
        BOOST_TEST(body.at("backfilled").as_bool());
        BOOST_TEST(body.at("alert").as_object().at("id").as_int64() == a.id);
        BOOST_TEST(body.at("alert").as_object().at("target_price").as_string() == "150.25");
    }
    auto const ev = events(a.id, event_type::notified);
    BOOST_REQUIRE_EQUAL(ev.size(), 3u);
    BOOST_TEST((ev[0].channel.value() == core::channel::webhook));
    BOOST_TEST(ev[0].outcome->find("HTTP 500") != std::string::npos);
    BOOST_TEST(ev[2].outcome.value() == "delivered");

    auto const b =
        add_alert(user, "SOLUSDT", "100", core::direction::below, "", core::channel::webhook);
    hook.answer({400});
    auto const b_ids = fire(b, "SOLUSDT", "99");
    sender->wake();
    BOOST_REQUIRE(eventually([&] { return settled(b_ids); }));
    std::this_thread::sleep_for(300ms);
    BOOST_TEST((state_of(b_ids[0]) == delivery_state::failed));
    BOOST_TEST(row(b_ids[0]).value().attempts == 1);
    BOOST_TEST(hook.requests().size() == 4u);
}

BOOST_FIXTURE_TEST_CASE(private_webhook_targets_are_refused_by_default, sender_fixture) {
    std::string const secret = "whsec-private";
    webhook_server hook(secret);
    auto const user = add_user("lee@example.com", hook.url(), secret);
    auto const a =
        add_alert(user, "BTCUSDT", "1", core::direction::above, "", core::channel::webhook);
    auto const ids = fire(a, "BTCUSDT", "2");
    auto o = options();
    o.webhook_allow_private = false;
    start(settings(), o);
    sender->wake();

    BOOST_REQUIRE(eventually([&] { return settled(ids); }));
    auto const stored = row(ids[0]).value();
    BOOST_TEST((stored.state == delivery_state::failed));
    BOOST_TEST(stored.attempts == 1);
    BOOST_TEST(stored.last_error.value().find("private") != std::string::npos);
    BOOST_TEST(hook.requests().empty());
    // What the user sees names the rule, not the daemon's network.
    auto const ev = events(a.id, event_type::notified);
    BOOST_REQUIRE_EQUAL(ev.size(), 1u);
    BOOST_TEST(ev[0].outcome.value() == "failed: refused: private address");
    BOOST_TEST(stored.last_error.value().find("127.0.0.1") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_tarpit_webhook_does_not_delay_other_users, sender_fixture) {
    // Ann's webhook accepts connections and never answers; six of her
    // alerts fire on one tick, queued before Ben's alert, which goes by
    // webhook and by email.
    tarpit pit;
    std::string const secret = "whsec-ben";
    webhook_server hook(secret);
    auto const ann = add_user("ann@example.com", pit.url(), "whsec-ann");
    auto const ben = add_user("ben@example.com", hook.url(), secret);
    std::vector<core::alert> ann_alerts;
    std::vector<std::int64_t> ann_ids;
    for (int i = 0; i < 6; ++i) {
        ann_alerts.push_back(add_alert(ann, "BTCUSDT", "65000", core::direction::above,
                                       "ann " + std::to_string(i), core::channel::webhook));
        for (auto id : fire(ann_alerts.back(), "BTCUSDT", "65001"))
            ann_ids.push_back(id);
    }
    auto const b = add_alert(ben, "BTCUSDT", "65000", core::direction::above, "ben",
                             core::channel::email | core::channel::webhook);
    auto const ben_ids = fire(b, "BTCUSDT", "65001");
    BOOST_REQUIRE_EQUAL(ben_ids.size(), 2u);
    auto o = options();
    o.webhook_timeout = 3000ms;
    o.retry_base = 60000ms; // no retries within the test
    o.retry_max = 120000ms;
    start(settings(), o);
    sender->wake();

    // Ben's webhook and email are delivered while every one of Ann's
    // attempts is still waiting for her server: none has an outcome yet.
    BOOST_REQUIRE(eventually([&] { return settled(ben_ids); }, 60000ms));
    for (auto const& a : ann_alerts)
        BOOST_TEST(events(a.id, event_type::notified).empty(), "alert " << a.id);
    for (auto id : ann_ids) {
        auto const r = row(id).value();
        BOOST_TEST((r.state == delivery_state::pending));
        BOOST_TEST(!r.last_error.has_value());
    }
    for (auto id : ben_ids)
        BOOST_TEST((state_of(id) == delivery_state::delivered));
    BOOST_TEST(hook.requests().size() == 1u);
    BOOST_TEST(smtp.messages().size() == 1u);

    // Ann's attempts end as timeouts, in words that reveal nothing of the
    // daemon's network.
    BOOST_REQUIRE(eventually(
        [&] {
            for (auto const& a : ann_alerts)
                if (events(a.id, event_type::notified).empty()) return false;
            return true;
        },
        30000ms));
    for (auto const& a : ann_alerts)
        BOOST_TEST(events(a.id, event_type::notified)[0].outcome.value() == "retrying: timeout");

    // Her server tripped its breaker: the next fire for her is put off
    // without a connection, and Ben's next alert goes straight through.
    auto const more =
        add_alert(ann, "BTCUSDT", "65000", core::direction::above, "ann 7", core::channel::webhook);
    auto const b2 =
        add_alert(ben, "BTCUSDT", "65000", core::direction::above, "ben 2", core::channel::webhook);
    fire(more, "BTCUSDT", "65002");
    auto const b2_ids = fire(b2, "BTCUSDT", "65002");
    sender->wake();
    BOOST_REQUIRE(eventually([&] { return !events(more.id, event_type::notified).empty(); }));
    BOOST_TEST(events(more.id, event_type::notified)[0].outcome.value() ==
               "retrying: destination unavailable");
    BOOST_REQUIRE(eventually([&] { return settled(b2_ids); }));
    BOOST_TEST((state_of(b2_ids[0]) == delivery_state::delivered));
}

BOOST_FIXTURE_TEST_CASE(one_users_backlog_does_not_hold_back_another_users_email, sender_fixture) {
    // Ann has a backlog of 300 account emails; Ben's one email is queued
    // after all of them. Claims go round robin by user, so his is in the
    // first claim and reaches the server before most of her backlog.
    auto const ann = add_user("ann@example.com");
    auto const ben = add_user("ben@example.com");
    write<int>([&](SQLite::Database& db) {
        for (int i = 0; i < 300; ++i) {
            storage::outbox_store::message m;
            m.delivery_id = "ann-" + std::to_string(i);
            m.user = ann;
            m.payload = notify::encode(
                notify::account_email{"ann@example.com", "backlog " + std::to_string(i), "x\n"});
            m.next_attempt_at = m.created_at = wall_now();
            storage::outbox_store::enqueue(db, m);
        }
        return 0;
    });
    auto const bens = enqueue_account_email(ben, {"ben@example.com", "for ben", "y\n"}, "ben-1");
    start();
    sender->wake();
    BOOST_REQUIRE(eventually([&] { return smtp.messages().size() == 301; }, 60000ms));
    auto const mails = smtp.messages(); // in the order the server accepted them
    auto const at = std::find_if(mails.begin(), mails.end(), [](received_mail const& m) {
        return m.rcpt_tos == std::vector<std::string>{"ben@example.com"};
    });
    BOOST_REQUIRE(at != mails.end());
    auto const position = at - mails.begin();
    BOOST_TEST(position < 32, "Ben's email was number " << position + 1);
    BOOST_TEST((state_of(bens) == delivery_state::delivered));
}

BOOST_FIXTURE_TEST_CASE(a_wake_sends_at_once_without_polling, sender_fixture) {
    auto o = options();
    o.idle_poll = 3600000ms; // only wake() can bring the row in
    start(settings(), o);
    auto const user = add_user("wes@example.com");
    auto const id = enqueue_account_email(user, {"wes@example.com", "woken", "x\n"}, "wake-1");
    sender->wake();
    BOOST_REQUIRE(eventually([&] { return settled({id}); }));
    BOOST_TEST((state_of(id) == delivery_state::delivered));
}

BOOST_FIXTURE_TEST_CASE(stop_returns_promptly_and_keeps_the_queue, sender_fixture) {
    smtp.stop();
    auto const user = add_user("max@example.com");
    auto const id = enqueue_account_email(user, {"max@example.com", "Hi", "x\n"}, "hi-1");
    start();
    sender->wake();
    BOOST_REQUIRE(eventually([&] { return row(id).value().attempts >= 1; }));
    auto const t0 = std::chrono::steady_clock::now();
    sender->stop();
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < 2s));
    BOOST_TEST((state_of(id) == delivery_state::pending));
}

BOOST_AUTO_TEST_CASE(stop_never_waits_for_the_writers_completions) {
    // The daemon posts the writer's completions to its io_context and may
    // call stop() from that thread: here nobody runs them at all.
    std::mutex mutex;
    std::vector<std::function<void()>> parked;
    temp_dir dir;
    auto const path = dir.path / "kryptod.db";
    smtp_server server;
    {
        storage::writer writer(storage::open_database(path), [&](std::function<void()> f) {
            std::lock_guard lock(mutex);
            parked.push_back(std::move(f));
        });
        notify::smtp_settings s;
        s.url = server.url();
        s.tls = daemon::smtp_tls::off;
        notify::outbox_sender sender(path, writer, s, sender_fixture::options());
        sender.start();
        BOOST_REQUIRE(eventually([&] {
            std::lock_guard lock(mutex);
            return !parked.empty(); // the first claim committed, its completion parked
        }));
        auto const t0 = std::chrono::steady_clock::now();
        sender.stop();
        BOOST_TEST((std::chrono::steady_clock::now() - t0 < 1s));
    }
    for (auto& f : parked)
        f();
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace kryptod::notify_test
