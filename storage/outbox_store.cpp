// storage::outbox_store: SQL for the notification outbox.
#include "storage/outbox_store.hpp"

#include "storage/result.hpp"
#include "storage/sql.hpp"
#include "storage/statement_cache.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <stdexcept>

namespace kryptod::storage::outbox_store {

namespace {

constexpr char const* columns = "id, delivery_id, channel, user_id, alert_id, payload, attempts, "
                                "next_attempt_at, state, last_error, created_at";

delivery_state state_from(std::string const& s) {
    if (s == "pending") return delivery_state::pending;
    if (s == "delivered") return delivery_state::delivered;
    if (s == "failed") return delivery_state::failed;
    throw std::runtime_error("outbox row has an unknown state '" + s + "'");
}

message read(SQLite::Statement& st) {
    message m;
    m.id = st.getColumn(0).getInt64();
    m.delivery_id = st.getColumn(1).getString();
    std::string const ch = st.getColumn(2).getString();
    auto const channel = core::channel_from_string(ch);
    if (!channel) throw std::runtime_error("outbox row has an unknown channel '" + ch + "'");
    m.channel = *channel;
    m.user = st.getColumn(3).getInt64();
    m.alert = sql::opt_int64(st.getColumn(4));
    m.payload = st.getColumn(5).getString();
    m.attempts = st.getColumn(6).getInt();
    m.next_attempt_at = st.getColumn(7).getInt64();
    m.state = state_from(st.getColumn(8).getString());
    m.last_error = sql::opt_text(st.getColumn(9));
    m.created_at = st.getColumn(10).getInt64();
    return m;
}

} // namespace

std::string_view to_string(delivery_state state) noexcept {
    switch (state) {
    case delivery_state::pending:
        return "pending";
    case delivery_state::delivered:
        return "delivered";
    case delivery_state::failed:
        return "failed";
    }
    return "pending";
}

std::int64_t enqueue(SQLite::Database& db, message const& m) {
    std::string_view const ch = core::to_string(m.channel);
    if (ch.empty()) throw std::invalid_argument("an outbox message needs exactly one channel");
    cached_statement st_sql(db, "INSERT INTO outbox (delivery_id, channel, user_id, alert_id, "
                                "payload, next_attempt_at, created_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    auto& st = *st_sql;
    st.bind(1, m.delivery_id);
    st.bind(2, std::string(ch));
    st.bind(3, static_cast<int64_t>(m.user));
    sql::bind(st, 4, m.alert);
    st.bind(5, m.payload);
    st.bind(6, static_cast<int64_t>(m.next_attempt_at));
    st.bind(7, static_cast<int64_t>(m.created_at));
    st.bind(8, static_cast<int64_t>(m.created_at));
    st.exec();
    return db.getLastInsertRowid();
}

std::optional<message> get(SQLite::Database& db, std::int64_t id) {
    cached_statement st_sql(db, std::string("SELECT ") + columns + " FROM outbox WHERE id = ?");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(id));
    if (!st.executeStep()) return std::nullopt;
    return read(st);
}

namespace {

// The rows a claim's UPDATE ... RETURNING gave, in id order (RETURNING
// gives no order guarantee).
std::vector<message> claimed_rows(SQLite::Statement& st) {
    std::vector<message> out;
    while (st.executeStep())
        out.push_back(read(st));
    std::sort(out.begin(), out.end(),
              [](message const& a, message const& b) { return a.id < b.id; });
    return out;
}

} // namespace

std::vector<message> claim_due(SQLite::Database& db, core::millis now, int limit,
                               core::millis lease_ms) {
    cached_statement st_sql(db, std::string("UPDATE outbox SET attempts = attempts + 1, "
                                            "next_attempt_at = ?1 + ?2, updated_at = ?1 "
                                            "WHERE id IN (SELECT id FROM outbox WHERE state = "
                                            "'pending' AND next_attempt_at <= ?1 "
                                            "ORDER BY next_attempt_at, id LIMIT ?3) RETURNING ") +
                                    columns);
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(now));
    st.bind(2, static_cast<int64_t>(lease_ms));
    st.bind(3, limit);
    return claimed_rows(st);
}

std::vector<message> claim_due_fair(SQLite::Database& db, core::millis now, int limit, int per_user,
                                    std::vector<core::user_id> const& skip_users,
                                    core::millis lease_ms) {
    // The skipped users travel as one ",1,5,9," text so that the statement
    // stays one cached statement whatever their number.
    std::string skip = ",";
    for (auto u : skip_users)
        skip += std::to_string(u) + ",";
    cached_statement st_sql(
        db, std::string("UPDATE outbox SET attempts = attempts + 1, "
                        "next_attempt_at = ?1 + ?2, updated_at = ?1 WHERE id IN ("
                        "SELECT id FROM (SELECT id, next_attempt_at, row_number() OVER ("
                        "PARTITION BY user_id ORDER BY next_attempt_at, id) AS rank "
                        "FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1 "
                        "AND instr(?5, ',' || user_id || ',') = 0) "
                        "WHERE rank <= ?4 ORDER BY rank, next_attempt_at, id LIMIT ?3) "
                        "RETURNING ") +
                columns);
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(now));
    st.bind(2, static_cast<int64_t>(lease_ms));
    st.bind(3, limit);
    st.bind(4, per_user);
    st.bind(5, skip);
    return claimed_rows(st);
}

void mark_delivered(SQLite::Database& db, std::int64_t id, core::millis now) {
    cached_statement st_sql(db, "UPDATE outbox SET state = 'delivered', last_error = NULL, "
                                "updated_at = ? WHERE id = ?");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(now));
    st.bind(2, static_cast<int64_t>(id));
    if (st.exec() == 0) throw not_found_error("no outbox message " + std::to_string(id));
}

delivery_state mark_attempt_failed(SQLite::Database& db, std::int64_t id, std::string_view reason,
                                   core::millis retry_at, int max_attempts, core::millis now) {
    cached_statement st_sql(db,
                            "UPDATE outbox SET last_error = ?1, updated_at = ?2, "
                            "state = CASE WHEN attempts >= ?3 THEN 'failed' ELSE 'pending' END, "
                            "next_attempt_at = ?4 WHERE id = ?5 AND state = 'pending' "
                            "RETURNING state");
    auto& st = *st_sql;
    st.bind(1, std::string(reason));
    st.bind(2, static_cast<int64_t>(now));
    st.bind(3, max_attempts);
    st.bind(4, static_cast<int64_t>(retry_at));
    st.bind(5, static_cast<int64_t>(id));
    if (!st.executeStep()) {
        auto const existing = get(db, id);
        if (!existing) throw not_found_error("no outbox message " + std::to_string(id));
        return existing->state; // already delivered or failed: leave it
    }
    delivery_state const s = state_from(st.getColumn(0).getString());
    while (st.executeStep()) {
    }
    return s;
}

std::int64_t count_alert_messages_since(SQLite::Database& db, core::user_id user,
                                        core::millis since) {
    cached_statement st_sql(db, "SELECT count(*) FROM outbox WHERE user_id = ? AND created_at >= ? "
                                "AND alert_id IS NOT NULL");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(user));
    st.bind(2, static_cast<int64_t>(since));
    return sql::count(st);
}

std::int64_t count_account_messages_since(SQLite::Database& db, core::user_id user,
                                          core::millis since) {
    cached_statement st_sql(db, "SELECT count(*) FROM outbox WHERE user_id = ? AND created_at >= ? "
                                "AND alert_id IS NULL");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(user));
    st.bind(2, static_cast<int64_t>(since));
    return sql::count(st);
}

std::size_t purge_finished(SQLite::Database& db, core::millis before, int limit) {
    // outbox_finished (state <> 'pending', by updated_at) finds them without
    // reading the pending rows or the rows still kept.
    cached_statement st_sql(db, "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
                                "WHERE state <> 'pending' AND updated_at < ?1 "
                                "ORDER BY updated_at LIMIT ?2)");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(before));
    st.bind(2, limit);
    return static_cast<std::size_t>(st.exec());
}

} // namespace kryptod::storage::outbox_store
