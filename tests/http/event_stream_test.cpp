// http::event_stream over a real loopback connection: a client that reads
// gets every byte appended, in order, after the head; one that never reads
// is cut off once more than the bound waits for it, and the stream ends
// exactly once either way.
#include "http/event_stream.hpp"

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace khttp = kryptod::http;

namespace {

struct connected_pair {
    asio::io_context ioc{1};
    asio::ip::tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
    asio::ip::tcp::socket client{ioc};
    khttp::event_stream::socket_type server{ioc.get_executor()};

    explicit connected_pair(int client_receive_buffer = 0) {
        client.open(asio::ip::tcp::v4());
        if (client_receive_buffer > 0)
            client.set_option(asio::socket_base::receive_buffer_size(client_receive_buffer));
        client.connect(acceptor.local_endpoint());
        acceptor.accept(server);
        server.non_blocking(true);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(event_stream)

BOOST_AUTO_TEST_CASE(a_reading_client_gets_the_head_and_every_frame_in_order) {
    connected_pair p;
    auto s = std::make_shared<khttp::event_stream>(std::move(p.server), "HEAD\r\n\r\n", 1 << 20);
    std::optional<khttp::event_stream::end_reason> ended;
    s->start([&](khttp::event_stream::end_reason why) { ended = why; });
    std::string expected = "HEAD\r\n\r\n";
    // Far more than a socket buffer: some of it goes out asynchronously,
    // coalesced with what is appended meanwhile.
    for (int i = 0; i < 2000; ++i) {
        auto const frame = "data: " + std::to_string(i) + std::string(400, 'x') + "\n\n";
        s->send(frame);
        expected += frame;
    }
    std::string got;
    std::thread reader([&] {
        boost::system::error_code ec;
        char buf[65536];
        while (got.size() < expected.size()) {
            auto const n = p.client.read_some(asio::buffer(buf), ec);
            if (ec) break;
            got.append(buf, n);
        }
    });
    while (got.size() < expected.size() && !ended)
        p.ioc.run_for(std::chrono::milliseconds(10));
    reader.join();
    BOOST_TEST(got == expected);
    BOOST_TEST(!ended.has_value());
    s->finish();
    BOOST_TEST((ended == khttp::event_stream::end_reason::closed));
    BOOST_TEST(!s->is_open());
}

BOOST_AUTO_TEST_CASE(pieces_sent_with_nothing_queued_go_uncopied_and_only_the_rest_waits) {
    connected_pair p(4096);
    auto s = std::make_shared<khttp::event_stream>(std::move(p.server), "HEAD\r\n\r\n", 1 << 20);
    std::optional<khttp::event_stream::end_reason> ended;
    s->start([&](khttp::event_stream::end_reason why) { ended = why; });
    std::string expected = "HEAD\r\n\r\n";
    // The socket has room: it takes the pieces at once, nothing is queued.
    std::string_view const first[] = {"event: a\n", "", "data: 1\n\n"};
    s->send(first);
    expected += "event: a\ndata: 1\n\n";
    BOOST_TEST(s->queued() == 0u);
    // Until the socket is full: the piece it cut goes out whole after it
    // drains, before anything sent later; sends of more pieces than one
    // system call takes are copied together first.
    int i = 0;
    for (; i < 5000 && s->queued() == 0; ++i) {
        auto const id = std::to_string(i);
        std::string const body(300, static_cast<char>('a' + i % 26));
        std::vector<std::string> pieces = {"event: x\nid: " + id + "\n", "data: ", body, "\n\n"};
        if (i % 7 == 0)
            for (int k = 0; k < 20; ++k)
                pieces.push_back(": " + std::to_string(k) + "\n\n");
        std::vector<std::string_view> views(pieces.begin(), pieces.end());
        s->send(views);
        for (auto const& piece : pieces)
            expected += piece;
    }
    BOOST_TEST_REQUIRE(s->queued() > 0u);
    BOOST_TEST(s->queued() < 400u * 20u);
    for (int k = 0; k < 50; ++k) {
        std::string const frame = "data: later " + std::to_string(k) + "\n\n";
        std::string_view const pieces[] = {frame};
        s->send(pieces);
        expected += frame;
    }
    std::string got;
    std::thread reader([&] {
        boost::system::error_code ec;
        char buf[65536];
        while (got.size() < expected.size()) {
            auto const n = p.client.read_some(asio::buffer(buf), ec);
            if (ec) break;
            got.append(buf, n);
        }
    });
    for (int k = 0; k < 500 && s->queued() > 0 && !ended; ++k)
        p.ioc.run_for(std::chrono::milliseconds(10));
    reader.join();
    BOOST_TEST(got == expected);
    BOOST_TEST(s->queued() == 0u);
    BOOST_TEST(!ended.has_value());
}

BOOST_AUTO_TEST_CASE(a_client_that_never_reads_is_cut_off_at_the_bound) {
    connected_pair p(4096);
    constexpr std::size_t bound = 64 * 1024;
    auto s = std::make_shared<khttp::event_stream>(std::move(p.server), "HEAD\r\n\r\n", bound);
    int ends = 0;
    std::optional<khttp::event_stream::end_reason> ended;
    s->start([&](khttp::event_stream::end_reason why) {
        ++ends;
        ended = why;
    });
    std::string const frame(1000, 'y');
    int sent = 0;
    while (s->is_open() && sent < 100000) {
        s->send(frame);
        ++sent;
        BOOST_REQUIRE_LE(s->queued(), bound);
        p.ioc.poll();
    }
    BOOST_TEST((ended == khttp::event_stream::end_reason::too_slow));
    BOOST_TEST(ends == 1);
    s->send(frame); // after the end: nothing happens
    BOOST_TEST(ends == 1);
    // The connection was reset, not left to drain at the stalled window's
    // pace: the client's next read fails at once, with what was queued gone.
    boost::system::error_code ec;
    char buf[65536];
    std::size_t drained = 0;
    while (!ec && drained < 16 * 1024 * 1024)
        drained += p.client.read_some(asio::buffer(buf), ec);
    BOOST_TEST((ec == asio::error::connection_reset));
}

BOOST_AUTO_TEST_CASE(a_client_that_leaves_ends_the_stream) {
    connected_pair p;
    auto s = std::make_shared<khttp::event_stream>(std::move(p.server), "HEAD\r\n\r\n", 1 << 20);
    std::optional<khttp::event_stream::end_reason> ended;
    s->start([&](khttp::event_stream::end_reason why) { ended = why; });
    p.client.close();
    for (int i = 0; i < 200 && !ended; ++i)
        p.ioc.run_for(std::chrono::milliseconds(10));
    BOOST_TEST((ended == khttp::event_stream::end_reason::client_left));
}

BOOST_AUTO_TEST_SUITE_END()
