// The `kryptod user add` command.
#include "daemon/api/user_add.hpp"

#include "core/email_address.hpp"
#include "daemon/api/account_rules.hpp"
#include "daemon/api/api_context.hpp"
#include "storage/database.hpp"
#include "storage/result.hpp"
#include "storage/user_store.hpp"

namespace kryptod::daemon::api {

command_outcome user_add(config const& cfg, std::string_view email, bool admin,
                         std::istream& password_in, http::password_cost cost) {
    if (!core::valid_email(email))
        return {1, "user add: \"" + std::string(email) +
                       "\" is not an email address like name@example.com"};
    std::string password;
    if (!std::getline(password_in, password) && password.empty())
        return {1, "user add: no password on standard input"};
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (auto problem = password_problem(password)) return {1, "user add: the password " + *problem};

    try {
        http::password_hasher hasher(cost);
        auto db = storage::open_database(cfg.storage.path);
        storage::user_store::user_record user;
        user.email = std::string(email);
        user.password_hash = hasher.hash(password);
        user.role = admin ? "admin" : "user";
        user.verified = true;
        user.created_at = now_millis();
        user.updated_at = user.created_at;
        auto id = storage::user_store::create(db, user);
        return {0, "created " + user.role + " " + user.email + " (id " + std::to_string(id) + ")"};
    } catch (...) {
        auto e = storage::error_from(std::current_exception());
        if (e.code == storage::errc::constraint)
            return {1, "user add: an account with the email " + std::string(email) +
                           " already exists"};
        return {1, "user add: " + cfg.storage.path.string() + ": " + e.message};
    }
}

} // namespace kryptod::daemon::api
