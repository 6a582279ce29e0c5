// store_fixture: a migrated temporary database with one user and two coins,
// and a function that builds a valid core::alert, for the store tests.
#pragma once

#include "core/alert.hpp"
#include "storage/coin_store.hpp"
#include "storage/user_store.hpp"
#include "temp_database.hpp"

#include <boost/test/unit_test.hpp>

#include <ostream>

// Failed checks print prices in their decimal form.
template <>
struct boost::test_tools::tt_detail::print_log_value<kryptod::core::price> {
    void operator()(std::ostream& os, kryptod::core::price p) { os << p.to_string(); }
};

namespace kryptod::storage::test {

inline core::price units(std::int64_t whole) {
    return core::price::from_units(whole * 100000000);
}

struct store_fixture {
    temp_database t;
    SQLite::Database& db = t.db;
    core::user_id alice = add_user("alice@example.com");
    core::user_id bob = add_user("bob@example.com");

    store_fixture() {
        coin_store::add(db, "BTCUSDT", 1);
        coin_store::add(db, "ETHUSDT", 1);
    }

    core::user_id add_user(std::string email) {
        user_store::user_record u;
        u.email = std::move(email);
        u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
        u.created_at = u.updated_at = 1000;
        return user_store::create(db, u);
    }

    static core::alert make_alert(core::user_id owner, std::int64_t target, core::millis now,
                                  core::direction side = core::direction::above) {
        core::alert a;
        a.owner = owner;
        a.target = units(target);
        a.side = side;
        a.name = "watch " + std::to_string(target);
        a.channels = core::channel::email | core::channel::webhook;
        core::create(a, now);
        return a;
    }
};

} // namespace kryptod::storage::test
