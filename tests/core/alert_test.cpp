// Tests of core/alert.hpp: wire names, direction inference, field validation,
// and every lifecycle transition, legal and refused.
#include "core/alert.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace core = kryptod::core;
using core::alert_status;
using core::direction;
using core::price;
using core::transition;

namespace {

struct fresh_alert {
    core::alert a;
    fresh_alert() {
        a.id = 42;
        a.owner = 7;
        a.target = price::from_units(65000 * price::scale);
        a.expires_at = 10'000;
        core::create(a, 1'000);
    }
    core::alert with(alert_status s) const {
        auto copy = a;
        copy.status = s;
        return copy;
    }
};

constexpr alert_status all_statuses[] = {alert_status::active, alert_status::triggered,
                                         alert_status::disabled, alert_status::expired,
                                         alert_status::deleted};

} // namespace

BOOST_AUTO_TEST_SUITE(alert)

BOOST_AUTO_TEST_CASE(wire_names_round_trip) {
    for (auto s : all_statuses)
        BOOST_TEST((core::alert_status_from_string(core::to_string(s)) == s));
    BOOST_TEST(core::to_string(alert_status::triggered) == "triggered");
    BOOST_TEST(!core::alert_status_from_string("Active"));
    BOOST_TEST(!core::alert_status_from_string(""));
    BOOST_TEST((core::direction_from_string("above") == direction::above));
    BOOST_TEST((core::direction_from_string("below") == direction::below));
    BOOST_TEST(!core::direction_from_string("up"));
    BOOST_TEST((core::repeat_mode_from_string("every") == core::repeat_mode::every));
    BOOST_TEST(core::to_string(core::repeat_mode::once) == "once");
    BOOST_TEST(!core::repeat_mode_from_string("always"));
    BOOST_TEST((core::channel_from_string("webhook") == core::channel::webhook));
    BOOST_TEST(core::to_string(core::channel::email) == "email");
    BOOST_TEST(!core::channel_from_string("sms"));
    auto const both = core::channel::email | core::channel::webhook;
    BOOST_TEST(core::has(both, core::channel::webhook));
    BOOST_TEST(!core::has(core::channel::email, core::channel::webhook));
}

BOOST_AUTO_TEST_CASE(infers_direction_from_the_last_price) {
    auto const p = [](std::int64_t u) { return price::from_units(u); };
    BOOST_TEST((core::infer_direction(p(200), p(100)) == direction::above));
    BOOST_TEST((core::infer_direction(p(50), p(100)) == direction::below));
    BOOST_TEST(!core::infer_direction(p(100), p(100)));
    BOOST_TEST(!core::infer_direction(p(100), std::nullopt));
}

BOOST_AUTO_TEST_CASE(condition_includes_equality) {
    auto const t = price::from_units(100);
    BOOST_TEST(core::reaches(direction::above, t, price::from_units(100)));
    BOOST_TEST(core::reaches(direction::above, t, price::from_units(101)));
    BOOST_TEST(!core::reaches(direction::above, t, price::from_units(99)));
    BOOST_TEST(core::reaches(direction::below, t, price::from_units(100)));
    BOOST_TEST(core::reaches(direction::below, t, price::from_units(99)));
    BOOST_TEST(!core::reaches(direction::below, t, price::from_units(101)));
}

BOOST_FIXTURE_TEST_CASE(validates_user_fields, fresh_alert) {
    BOOST_TEST((core::validate(a, 1'000) == core::alert_field_error::none));
    auto bad = a;
    bad.target = price{};
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::target_price));
    bad = a;
    bad.name = std::string(201, 'x');
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::name));
    bad.name = std::string(200, 'x');
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::none));
    // Characters, not bytes: 200 four-byte emoji fit, 201 do not.
    bad.name.clear();
    for (int i = 0; i < 200; ++i)
        bad.name += "\xF0\x9F\x9A\x80";
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::none));
    bad.name += "!";
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::name));
    bad.name = "not \xC3( UTF-8";
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::name));
    bad = a;
    bad.cooldown_seconds = 59;
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::cooldown_seconds));
    bad.cooldown_seconds = 2592001;
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::cooldown_seconds));
    bad.cooldown_seconds = 60;
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::none));
    bad = a;
    BOOST_TEST((core::validate(bad, 10'000) == core::alert_field_error::expires_at));
    bad = a;
    bad.channels = core::channel::none;
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::channels));
}

BOOST_FIXTURE_TEST_CASE(validates_move_fields, fresh_alert) {
    auto move = a;
    move.kind = core::alert_kind::move;
    move.target = price{};
    move.move_percent = 500;
    move.window_seconds = 60;
    BOOST_TEST((core::validate(move, 1'000) == core::alert_field_error::none));
    auto bad = move;
    bad.target = price::from_units(1);
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::target_price));
    for (std::int64_t p : {0, -1, 100001}) {
        bad = move;
        bad.move_percent = p;
        BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::percent));
    }
    bad.move_percent = 1;
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::none));
    bad.move_percent = 100000;
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::none));
    for (std::int64_t w : {0, 59, 86401}) {
        bad = move;
        bad.window_seconds = w;
        BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::window_seconds));
    }
    bad.window_seconds = 86400;
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::none));
    // A price alert takes neither move field.
    bad = a;
    bad.move_percent = 500;
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::percent));
    bad = a;
    bad.window_seconds = 60;
    BOOST_TEST((core::validate(bad, 1'000) == core::alert_field_error::window_seconds));
}

BOOST_AUTO_TEST_CASE(parses_move_percent_exactly) {
    BOOST_TEST(core::parse_move_percent("5").value() == 500);
    BOOST_TEST(core::parse_move_percent("5.2").value() == 520);
    BOOST_TEST(core::parse_move_percent("5.25").value() == 525);
    BOOST_TEST(core::parse_move_percent("0.01").value() == 1);
    BOOST_TEST(core::parse_move_percent("1000").value() == 100000);
    BOOST_TEST(core::parse_move_percent("1000.01").value() == 100001); // validate() refuses it
    BOOST_TEST(core::parse_move_percent("0").value() == 0);            // validate() refuses it
    for (char const* text : {"", "5.255", "5.", ".5", "+5", "-5", "5e1", "1E2", " 5", "5 ", "5,5",
                             "1.2.3", "0x10", "99999999", "five"})
        BOOST_TEST(!core::parse_move_percent(text), text);
}

BOOST_AUTO_TEST_CASE(formats_move_percent_trimmed) {
    BOOST_TEST(core::format_move_percent(525) == "5.25");
    BOOST_TEST(core::format_move_percent(520) == "5.2");
    BOOST_TEST(core::format_move_percent(500) == "5");
    BOOST_TEST(core::format_move_percent(1) == "0.01");
    BOOST_TEST(core::format_move_percent(100000) == "1000");
    for (std::int64_t v : {1, 9, 10, 99, 101, 525, 99999, 100000})
        BOOST_TEST(core::parse_move_percent(core::format_move_percent(v)).value() == v);
}

BOOST_FIXTURE_TEST_CASE(creates_active_with_defaults, fresh_alert) {
    BOOST_TEST((a.status == alert_status::active));
    BOOST_TEST(a.created_at == 1'000);
    BOOST_TEST(a.updated_at == 1'000);
    BOOST_TEST(a.trigger_count == 0);
    BOOST_TEST(!a.triggered_at);
    BOOST_TEST((a.repeat == core::repeat_mode::once));
    BOOST_TEST(a.cooldown_seconds == 3600);
    BOOST_TEST((a.channels == core::channel::email));
}

BOOST_FIXTURE_TEST_CASE(once_alert_fires_into_triggered, fresh_alert) {
    auto const p = price::from_units(65001 * price::scale);
    BOOST_TEST((core::fire(a, p, 2'000) == transition::applied));
    BOOST_TEST((a.status == alert_status::triggered));
    BOOST_TEST(a.trigger_count == 1);
    BOOST_TEST(*a.triggered_at == 2'000);
    BOOST_TEST((*a.trigger_price == p));
    BOOST_TEST(a.updated_at == 2'000);
    // A triggered alert does not fire again until re-armed.
    BOOST_TEST((core::fire(a, p, 3'000) == transition::refused));
    BOOST_TEST(a.trigger_count == 1);
    BOOST_TEST((core::arm(a, 4'000) == transition::applied));
    BOOST_TEST((a.status == alert_status::active));
    BOOST_TEST((core::fire(a, p, 5'000) == transition::applied));
    BOOST_TEST(a.trigger_count == 2);
}

BOOST_FIXTURE_TEST_CASE(every_alert_stays_active_and_counts, fresh_alert) {
    a.repeat = core::repeat_mode::every;
    for (int i = 1; i <= 3; ++i) {
        BOOST_TEST((core::fire(a, a.target, 2'000 + i) == transition::applied));
        BOOST_TEST((a.status == alert_status::active));
        BOOST_TEST(a.trigger_count == i);
    }
}

BOOST_FIXTURE_TEST_CASE(only_active_alerts_fire, fresh_alert) {
    for (auto s : all_statuses) {
        auto b = with(s);
        auto const expected = s == alert_status::active ? transition::applied : transition::refused;
        BOOST_TEST((core::fire(b, a.target, 2'000) == expected), core::to_string(s));
        if (s != alert_status::active) BOOST_TEST(b.trigger_count == 0);
    }
}

BOOST_FIXTURE_TEST_CASE(arm_transitions, fresh_alert) {
    auto const expect = [&](alert_status from, transition t, alert_status to) {
        auto b = with(from);
        BOOST_TEST((core::arm(b, 2'000) == t), core::to_string(from));
        BOOST_TEST((b.status == to), core::to_string(from));
        BOOST_TEST(b.updated_at == (t == transition::applied ? 2'000 : 1'000));
    };
    expect(alert_status::active, transition::unchanged, alert_status::active);
    expect(alert_status::triggered, transition::applied, alert_status::active);
    expect(alert_status::disabled, transition::applied, alert_status::active);
    expect(alert_status::expired, transition::refused, alert_status::expired);
    expect(alert_status::deleted, transition::refused, alert_status::deleted);
    // A lapsed alert cannot be re-armed.
    auto b = with(alert_status::disabled);
    BOOST_TEST((core::arm(b, 10'000) == transition::refused));
    BOOST_TEST((b.status == alert_status::disabled));
}

BOOST_FIXTURE_TEST_CASE(disable_transitions, fresh_alert) {
    auto const expect = [&](alert_status from, transition t, alert_status to) {
        auto b = with(from);
        BOOST_TEST((core::disable(b, 2'000) == t), core::to_string(from));
        BOOST_TEST((b.status == to), core::to_string(from));
    };
    expect(alert_status::active, transition::applied, alert_status::disabled);
    expect(alert_status::triggered, transition::applied, alert_status::disabled);
    expect(alert_status::disabled, transition::unchanged, alert_status::disabled);
    expect(alert_status::expired, transition::refused, alert_status::expired);
    expect(alert_status::deleted, transition::refused, alert_status::deleted);
}

BOOST_FIXTURE_TEST_CASE(remove_transitions, fresh_alert) {
    for (auto s : all_statuses) {
        auto b = with(s);
        auto const expected =
            s == alert_status::deleted ? transition::unchanged : transition::applied;
        BOOST_TEST((core::remove(b, 2'000) == expected), core::to_string(s));
        BOOST_TEST((b.status == alert_status::deleted));
    }
}

BOOST_FIXTURE_TEST_CASE(expire_transitions, fresh_alert) {
    auto const expect = [&](alert_status from, core::millis now, transition t, alert_status to) {
        auto b = with(from);
        BOOST_TEST((core::expire(b, now) == t), core::to_string(from) << " at " << now);
        BOOST_TEST((b.status == to), core::to_string(from));
    };
    expect(alert_status::active, 10'000, transition::applied, alert_status::expired);
    expect(alert_status::disabled, 10'001, transition::applied, alert_status::expired);
    expect(alert_status::active, 9'999, transition::refused, alert_status::active);
    expect(alert_status::expired, 10'000, transition::unchanged, alert_status::expired);
    expect(alert_status::triggered, 10'000, transition::refused, alert_status::triggered);
    expect(alert_status::deleted, 10'000, transition::refused, alert_status::deleted);
    auto never = a;
    never.expires_at.reset();
    BOOST_TEST((core::expire(never, 99'999) == transition::refused));
}

BOOST_AUTO_TEST_SUITE_END()
