// Tests daemon/api/alert_page_cache.hpp: pages by user and query, what a
// change drops, reads that raced a change, and the byte budget.
#include "daemon/api/alert_page_cache.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using page_cache = kryptod::daemon::api::alert_page_cache;

namespace {

page_cache::body_ptr body(std::string text) {
    return std::make_shared<std::string const>(std::move(text));
}

std::string text_of(page_cache::body_ptr const& p) {
    return p ? *p : std::string("<none>");
}

std::vector<page_cache::user_id> users(std::initializer_list<page_cache::user_id> l) {
    return l;
}

// A whole change of these users' alerts: announced, then ended.
void change(page_cache& c, std::vector<page_cache::user_id> const& u) {
    c.begin_change(u);
    c.end_change(u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(alert_page_cache)

BOOST_AUTO_TEST_CASE(a_page_is_kept_per_user_and_query) {
    page_cache c;
    BOOST_TEST(!c.find(1, "20,0,,"));
    c.store(1, "20,0,,", c.begin_read(), body("alice page 1"));
    c.store(1, "20,20,,", c.begin_read(), body("alice page 2"));
    c.store(2, "20,0,,", c.begin_read(), body("bob page 1"));
    BOOST_TEST(text_of(c.find(1, "20,0,,")) == "alice page 1");
    BOOST_TEST(text_of(c.find(1, "20,20,,")) == "alice page 2");
    BOOST_TEST(text_of(c.find(2, "20,0,,")) == "bob page 1");
    BOOST_TEST(!c.find(2, "20,20,,"));
    auto const s = c.stats();
    BOOST_TEST(s.hits == 3u);
    BOOST_TEST(s.misses == 2u);
    BOOST_TEST(s.pages == 3u);
}

BOOST_AUTO_TEST_CASE(a_change_drops_every_page_of_those_users_only) {
    page_cache c;
    for (page_cache::user_id u : {1, 2, 3}) {
        c.store(u, "20,0,,", c.begin_read(), body("a"));
        c.store(u, "10,0,active,BTCUSDT", c.begin_read(), body("b"));
    }
    c.begin_change(users({1, 3}));
    BOOST_TEST(!c.find(1, "20,0,,"));
    BOOST_TEST(!c.find(1, "10,0,active,BTCUSDT"));
    BOOST_TEST(!c.find(3, "20,0,,"));
    BOOST_TEST(text_of(c.find(2, "20,0,,")) == "a");
    BOOST_TEST(text_of(c.find(2, "10,0,active,BTCUSDT")) == "b");
    BOOST_TEST(c.stats().pages == 2u);
    c.end_change(users({1, 3}));
}

// Between a transaction's announcement and its end, a read may or may not
// see it: nothing read then is kept, even under a ticket taken meanwhile,
// and a user with two overlapping changes waits for both.
BOOST_AUTO_TEST_CASE(nothing_is_kept_while_a_change_commits) {
    page_cache c;
    c.begin_change(users({1}));
    c.begin_change(users({1}));
    auto const during = c.begin_read();
    c.store(1, "20,0,,", during, body("maybe"));
    BOOST_TEST(!c.find(1, "20,0,,"));
    c.end_change(users({1}));
    c.store(1, "20,0,,", c.begin_read(), body("still maybe"));
    BOOST_TEST(!c.find(1, "20,0,,"));
    c.end_change(users({1}));
    c.store(1, "20,0,,", during, body("begun before the end"));
    BOOST_TEST(!c.find(1, "20,0,,"));
    c.store(1, "20,0,,", c.begin_read(), body("after"));
    BOOST_TEST(text_of(c.find(1, "20,0,,")) == "after");
}

// A read that began before a change of its user, and finished after it, may
// hold the old alerts: it is not kept. A read that began after is.
BOOST_AUTO_TEST_CASE(a_read_that_raced_a_change_is_not_kept) {
    page_cache c;
    auto const before = c.begin_read();
    change(c, users({1}));
    c.store(1, "20,0,,", before, body("stale"));
    BOOST_TEST(!c.find(1, "20,0,,"));
    // Other users' reads of the same moment are unaffected.
    c.store(2, "20,0,,", before, body("bob"));
    BOOST_TEST(text_of(c.find(2, "20,0,,")) == "bob");
    auto const after = c.begin_read();
    c.store(1, "20,0,,", after, body("fresh"));
    BOOST_TEST(text_of(c.find(1, "20,0,,")) == "fresh");
}

// When the record of past changes is forgotten (it is bounded), every read
// begun before is refused, so no stale page can slip in.
BOOST_AUTO_TEST_CASE(forgotten_changes_refuse_every_older_read) {
    page_cache c;
    auto const before = c.begin_read();
    std::vector<page_cache::user_id> many;
    for (page_cache::user_id u = 100; u < 100 + 70000; ++u)
        many.push_back(u);
    change(c, many);
    c.store(1, "20,0,,", before, body("stale"));
    BOOST_TEST(!c.find(1, "20,0,,"));
    c.store(1, "20,0,,", c.begin_read(), body("fresh"));
    BOOST_TEST(text_of(c.find(1, "20,0,,")) == "fresh");
}

BOOST_AUTO_TEST_CASE(the_byte_budget_evicts_the_least_recently_used_page) {
    page_cache c(64 * 1024);
    std::string const page(3000, 'x'); // a sixteenth of the budget is 4 KiB
    for (page_cache::user_id u = 1; u <= 40; ++u) {
        c.store(u, "20,0,,", c.begin_read(), body(page));
        BOOST_TEST(c.find(1, "20,0,,")); // user 1's page stays the most recently used
    }
    auto const s = c.stats();
    BOOST_TEST(s.bytes <= 64u * 1024);
    BOOST_TEST(s.pages < 40u);
    BOOST_TEST(c.find(1, "20,0,,"));
    BOOST_TEST(!c.find(2, "20,0,,"));
    BOOST_TEST(c.find(40, "20,0,,"));
    // A page over a sixteenth of the budget is never kept.
    c.store(99, "20,0,,", c.begin_read(), body(std::string(5000, 'y')));
    BOOST_TEST(!c.find(99, "20,0,,"));
    // A budget of 0 keeps nothing.
    c.set_budget(0);
    BOOST_TEST(c.stats().pages == 0u);
    BOOST_TEST(c.stats().bytes == 0u);
    c.store(1, "20,0,,", c.begin_read(), body("x"));
    BOOST_TEST(!c.find(1, "20,0,,"));
}

BOOST_AUTO_TEST_SUITE_END()
