// stream::stream_hub with a real writer, database and loopback clients: a
// committed event reaches its owner's streams only; a stream resuming after
// a Last-Event-ID gets, across a replay read in chunks while more events
// commit, every later event exactly once and in order; prices go out once
// per tick with the last value, and not again while unchanged; each tick
// gives a stream its coins and the keep-alive, whole, and ends a stream whose
// token expired; a user no longer admitted loses their streams at once; the
// limits hold.
#include "core/alert.hpp"
#include "daemon/stream/stream_hub.hpp"
#include "storage/alert_store.hpp"
#include "storage/coin_store.hpp"
#include "storage/database.hpp"
#include "storage/user_store.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <regex>
#include <set>

namespace asio = boost::asio;
namespace storage = kryptod::storage;
namespace core = kryptod::core;
namespace hub_ns = kryptod::daemon::stream;
using namespace std::chrono_literals;

namespace {

struct hub_fixture {
    kryptod::test_support::temp_dir dir;
    std::filesystem::path db_path = dir.path / "kryptod.db";
    asio::io_context ioc{1};
    asio::ip::tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
    std::unique_ptr<storage::writer> writer;
    std::shared_ptr<hub_ns::stream_hub> hub;
    std::vector<hub_ns::coin_price> prices;
    std::set<std::int64_t> refused_users;
    core::alert_id alert_of[3] = {0, 0, 0};

    explicit hub_fixture(std::chrono::milliseconds keepalive = 1h) {
        auto db = storage::open_database(db_path);
        storage::coin_store::add(db, "BTCUSDT", 1);
        for (int u = 1; u <= 2; ++u) {
            storage::user_store::user_record r;
            r.email = "u" + std::to_string(u) + "@example.com";
            r.password_hash = "x";
            r.created_at = r.updated_at = 1;
            auto const id = storage::user_store::create(db, r);
            core::alert a;
            a.owner = id;
            a.target = core::price::from_units(100'000'000);
            core::create(a, 1);
            alert_of[u] = storage::alert_store::insert(db, a, "BTCUSDT");
        }
        writer = std::make_unique<storage::writer>(
            std::move(db), [this](std::function<void()> f) { asio::post(ioc, std::move(f)); });
        hub_ns::hub_options o;
        o.max_per_user = 3;
        o.max_clients = 5;
        o.price_period = 50ms;
        o.keepalive = keepalive;
        o.replay_chunk = 3;
        hub = std::make_shared<hub_ns::stream_hub>(
            ioc, o, [this](std::vector<hub_ns::coin_price>& out) { out = prices; },
            [this](std::int64_t user, std::int64_t) { return !refused_users.contains(user); });
        hub->start(db_path);
        writer->on_events_committed(
            [h = hub](std::span<storage::writer::committed_event const> e) { h->committed(e); });
    }
    ~hub_fixture() {
        hub->stop();
        writer->stop();
    }

    struct client {
        asio::ip::tcp::socket socket;
        std::string text;
    };

    // A stream of `user` held by the hub, and the client end of it.
    std::unique_ptr<client>
    open(std::int64_t user, std::optional<std::int64_t> last = {},
         std::vector<core::symbol_id> symbols = {},
         std::int64_t expires_at = std::numeric_limits<std::int64_t>::max()) {
        auto c = std::make_unique<client>(client{asio::ip::tcp::socket(ioc), {}});
        c->socket.connect(acceptor.local_endpoint());
        kryptod::http::event_stream::socket_type server(ioc.get_executor());
        acceptor.accept(server);
        server.non_blocking(true);
        c->socket.non_blocking(true);
        auto s = std::make_shared<kryptod::http::event_stream>(std::move(server), "HEAD\r\n\r\n",
                                                               1 << 20);
        hub_ns::stream_request r;
        r.user = user;
        r.token_expires_at = expires_at;
        r.last_event_id = last;
        r.symbols = std::move(symbols);
        BOOST_REQUIRE(hub->admit(user) == hub_ns::stream_hub::admission::ok);
        hub->add(std::move(s), r);
        return c;
    }

    // Runs the loop and reads the clients until `done` or 5 s.
    template <class F>
    bool pump(std::vector<client*> clients, F&& done, std::chrono::milliseconds limit = 5s) {
        auto const deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            ioc.run_for(2ms);
            for (auto* c : clients) {
                char buf[65536];
                boost::system::error_code ec;
                auto const n = c->socket.read_some(asio::buffer(buf), ec);
                if (!ec) c->text.append(buf, n);
            }
            if (done()) return true;
        }
        return done();
    }

    // Commits an event of `alert` and returns its id once committed (the
    // writer posts the completion to this thread).
    std::int64_t add_event(core::alert_id alert) {
        auto id = std::make_shared<std::int64_t>(0);
        bool done = false;
        writer->submit(
            [alert, id](SQLite::Database& db) {
                storage::alert_store::event_record e;
                e.alert = alert;
                e.type = storage::alert_store::event_type::updated;
                e.time = 5;
                *id = storage::alert_store::add_event(db, e);
            },
            [&done](storage::status) { done = true; });
        for (int i = 0; i < 2500 && !done; ++i)
            ioc.run_for(2ms);
        BOOST_REQUIRE(done);
        return *id;
    }
};

std::vector<std::int64_t> alert_ids(std::string const& text) {
    static std::regex const id_line("event: alert\nid: ([0-9]+)\n");
    std::vector<std::int64_t> out;
    for (std::sregex_iterator it(text.begin(), text.end(), id_line), end; it != end; ++it)
        out.push_back(std::stoll((*it)[1]));
    return out;
}

std::size_t count_of(std::string const& text, std::string const& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

// A hub whose keep-alive is due every few ticks.
struct keepalive_fixture : hub_fixture {
    keepalive_fixture()
        : hub_fixture(120ms) {}
};

// Whether `text`, after the head, is whole price frames and keep-alive
// comments only.
bool whole_frames(std::string const& text) {
    static std::regex const frames("HEAD\r\n\r\n"
                                   "((event: price\ndata: \\{[^\n]*\\}\n\n)|(: keepalive\n\n))*");
    return std::regex_match(text, frames);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(stream_hub, hub_fixture)

BOOST_AUTO_TEST_CASE(a_committed_event_reaches_its_owners_streams_only) {
    auto mine = open(1);
    auto also_mine = open(1);
    auto theirs = open(2);
    auto const id = add_event(alert_of[1]);
    BOOST_REQUIRE(pump({mine.get(), also_mine.get(), theirs.get()}, [&] {
        return alert_ids(mine->text).size() == 1 && alert_ids(also_mine->text).size() == 1;
    }));
    BOOST_TEST(alert_ids(mine->text) == std::vector<std::int64_t>{id});
    BOOST_TEST(mine->text.find(R"("event":{"id":)" + std::to_string(id)) != std::string::npos);
    pump(
        {theirs.get()}, [] { return false; }, 200ms);
    BOOST_TEST(alert_ids(theirs->text).empty());
}

BOOST_AUTO_TEST_CASE(a_resumed_stream_gets_every_later_event_once_in_order) {
    std::vector<std::int64_t> before;
    for (int i = 0; i < 10; ++i)
        before.push_back(add_event(alert_of[1]));
    add_event(alert_of[2]); // another user's, in between
    // Resumes after the third; the replay (3 at a time) races new commits.
    auto c = open(1, before[2]);
    std::vector<std::int64_t> expected(before.begin() + 3, before.end());
    for (int i = 0; i < 10; ++i)
        expected.push_back(add_event(alert_of[1]));
    BOOST_REQUIRE(pump({c.get()}, [&] { return alert_ids(c->text).size() >= expected.size(); }));
    pump(
        {c.get()}, [] { return false; }, 200ms);
    BOOST_TEST(alert_ids(c->text) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(prices_go_once_a_tick_with_the_last_value_and_not_again_unchanged) {
    auto c = open(1);
    prices = {{0, "BTCUSDT", core::price::from_units(100'00000000), 1'000}};
    prices = {{0, "BTCUSDT", core::price::from_units(101'00000000), 1'500}};
    BOOST_REQUIRE(pump({c.get()}, [&] { return count_of(c->text, "event: price") == 1; }));
    BOOST_TEST(c->text.find(R"("price":"101")") != std::string::npos);
    BOOST_TEST(c->text.find(R"("price":"100")") == std::string::npos);
    // Several ticks with the same price: nothing more.
    pump(
        {c.get()}, [] { return false; }, 300ms);
    BOOST_TEST(count_of(c->text, "event: price") == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_tick_gives_each_stream_its_coins_and_the_keepalive_and_ends_expired,
                        keepalive_fixture) {
    prices = {{0, "BTCUSDT", core::price::from_units(100'00000000), 1'000},
              {1, "ETHUSDT", core::price::from_units(2'000'00000000), 1'000}};
    auto every = open(1);
    auto btc = open(1, {}, {0});
    auto none = open(2, {}, {7}); // a coin without a price this time
    std::int64_t const past = 1;
    auto expired = open(2, {}, {}, past);
    std::vector<client*> const all = {every.get(), btc.get(), none.get()};
    BOOST_REQUIRE(pump(all, [&] {
        return count_of(every->text, ": keepalive") >= 2 &&
               count_of(btc->text, ": keepalive") >= 2 && count_of(none->text, ": keepalive") >= 2;
    }));
    // Every coin once (the prices did not move again), in the tick's order.
    BOOST_TEST(count_of(every->text, "event: price") == 2u);
    BOOST_TEST(every->text.find("BTCUSDT") < every->text.find("ETHUSDT"));
    BOOST_TEST(count_of(btc->text, "event: price") == 1u);
    BOOST_TEST(btc->text.find("ETHUSDT") == std::string::npos);
    BOOST_TEST(count_of(none->text, "event: price") == 0u);
    for (auto* c : all)
        BOOST_TEST(whole_frames(c->text), c->text);
    // The expired stream got the first tick's frames, then its end.
    std::string text;
    boost::system::error_code ec;
    for (int i = 0; i < 100 && !ec; ++i) {
        char buf[4096];
        auto const n = expired->socket.read_some(asio::buffer(buf), ec);
        if (!ec) text.append(buf, n);
        if (ec == asio::error::would_block) {
            ec = {};
            ioc.run_for(2ms);
        }
    }
    BOOST_TEST((ec == asio::error::eof));
    BOOST_TEST(count_of(text, "event: price") == 2u);
    BOOST_TEST(text.find(": keepalive") == std::string::npos);
    BOOST_TEST(hub->stats().open == 3u);
    BOOST_TEST(hub->stats().prices_sent == 2u + 1u + 2u);
}

BOOST_AUTO_TEST_CASE(a_user_no_longer_admitted_loses_their_streams_at_once) {
    auto mine = open(1);
    auto theirs = open(2);
    refused_users.insert(1);
    hub->user_changed(1);
    BOOST_TEST(hub->stats().open == 1u);
    // The client sees the end of its stream.
    boost::system::error_code ec;
    bool ended = false;
    pump({}, [&] {
        char buf[4096];
        mine->socket.read_some(asio::buffer(buf), ec);
        ended = ec == asio::error::eof || ec == asio::error::connection_reset;
        return ended;
    });
    BOOST_TEST(ended);
}

BOOST_AUTO_TEST_CASE(the_limits_hold) {
    auto a = open(1);
    auto b = open(1);
    auto c = open(1);
    BOOST_TEST((hub->admit(1) == hub_ns::stream_hub::admission::user_limit));
    auto d = open(2);
    auto e = open(2);
    BOOST_TEST((hub->admit(2) == hub_ns::stream_hub::admission::server_limit));
    hub->stop();
    BOOST_TEST((hub->admit(2) == hub_ns::stream_hub::admission::stopping));
    BOOST_TEST(hub->stats().open == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
