// Tests of notify::http_lane, the HTTP client of every user-given URL: a
// target that is or resolves to a private address is refused before a byte
// is sent (names, numeric and odd spellings alike), URLs that are not
// http(s) are refused, a proxy named in the environment is not used, and a
// server that never answers holds only its own request.
#include "daemon/notify/http_lane.hpp"
#include "notify_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <future>

namespace kryptod::notify_test {

namespace notify = daemon::notify;
using kind = notify::http_answer::kind;

namespace {

// Sends one request and waits for its answer.
notify::http_answer call(notify::http_lane& lane, std::string url) {
    auto done = std::make_shared<std::promise<notify::http_answer>>();
    auto answer = done->get_future();
    lane.submit({std::move(url), {"Content-Type: application/json"}, "{}"},
                [done](notify::http_answer a) { done->set_value(std::move(a)); });
    if (answer.wait_for(20s) != std::future_status::ready)
        throw std::runtime_error("the lane never answered");
    return answer.get();
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_lane)

BOOST_AUTO_TEST_CASE(private_targets_are_refused_before_anything_is_sent) {
    webhook_server hook("secret");
    notify::http_lane lane(notify::http_lane_options{});
    lane.start();
    std::string const hook_url = hook.url();
    std::string const p =
        hook_url.substr(hook_url.rfind(':'), hook_url.rfind('/') - hook_url.rfind(':'));
    std::vector<std::string> const targets{hook_url,
                                           "http://localhost" + p + "/",
                                           "http://[::1]" + p + "/",
                                           "http://2130706433" + p + "/",
                                           "http://0x7f.1" + p + "/",
                                           "http://127.1" + p + "/",
                                           "http://[::ffff:127.0.0.1]" + p + "/",
                                           "http://0.0.0.0" + p + "/"};
    for (auto const& url : targets) {
        auto const a = call(lane, url);
        BOOST_TEST((a.what == kind::refused), url << ": " << a.detail);
        // The user's text names the rule, never the address it found.
        BOOST_TEST(a.summary == "refused: private address");
    }
    BOOST_TEST(hook.requests().empty());
    for (char const* url : {"ftp://example.com/x", "file:///etc/passwd", "not a url", "http://"}) {
        auto const a = call(lane, url);
        BOOST_TEST((a.what == kind::invalid_url), url << ": " << a.detail);
    }
}

BOOST_AUTO_TEST_CASE(proxies_from_the_environment_are_ignored) {
    webhook_server hook("secret");
    webhook_server proxy("secret");
    std::string const proxy_url = proxy.url("/");
    ::setenv("http_proxy", proxy_url.c_str(), 1);
    ::setenv("HTTP_PROXY", proxy_url.c_str(), 1);
    ::setenv("ALL_PROXY", proxy_url.c_str(), 1);
    ::unsetenv("no_proxy");
    ::unsetenv("NO_PROXY");
    notify::http_lane lane(notify::http_lane_options{true, 2000ms, 5000ms, {}});
    lane.start();
    auto const a = call(lane, hook.url());
    ::unsetenv("http_proxy");
    ::unsetenv("HTTP_PROXY");
    ::unsetenv("ALL_PROXY");
    BOOST_TEST((a.what == kind::answered), a.detail);
    BOOST_TEST(a.status == 200);
    BOOST_TEST(hook.requests().size() == 1u);
    BOOST_TEST(proxy.requests().empty());
}

BOOST_AUTO_TEST_CASE(a_server_that_never_answers_holds_only_its_own_request) {
    tarpit pit;
    webhook_server hook("secret");
    notify::http_lane lane(notify::http_lane_options{true, 2000ms, 3000ms, {}});
    lane.start();
    auto stuck = std::make_shared<std::promise<notify::http_answer>>();
    auto stuck_answer = stuck->get_future();
    for (int i = 0; i < 4; ++i)
        lane.submit({pit.url(), {}, "{}"}, [stuck, i](notify::http_answer a) {
            if (i == 0) stuck->set_value(std::move(a));
        });
    auto const fine = call(lane, hook.url());
    BOOST_TEST(fine.status == 200);
    // The answer came while the tarpit's requests were still waiting.
    BOOST_TEST((stuck_answer.wait_for(0s) == std::future_status::timeout));
    auto const late = stuck_answer.get();
    BOOST_TEST((late.what == kind::no_answer));
    BOOST_TEST(late.summary == "timeout");
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace kryptod::notify_test
