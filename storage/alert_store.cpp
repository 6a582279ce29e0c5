// storage::alert_store: SQL for alerts, their events and the fire unit.
#include "storage/alert_store.hpp"

#include "storage/outbox_store.hpp"
#include "storage/result.hpp"
#include "storage/sql.hpp"
#include "storage/statement_cache.hpp"
#include "storage/transaction.hpp"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <array>
#include <memory>
#include <sqlite3.h>
#include <stdexcept>

namespace kryptod::storage::alert_store {

namespace {

constexpr std::array<std::string_view, 9> event_names{"created",    "updated",   "disabled",
                                                      "armed",      "triggered", "notified",
                                                      "suppressed", "expired",   "deleted"};

constexpr char const* alert_columns =
    "id, user_id, symbol, target_price, direction, name, repeat, cooldown_seconds, expires_at, "
    "channels, status, created_at, updated_at, armed_at, triggered_at, trigger_price, "
    "trigger_count, kind, move_percent, window_seconds, move_direction";

template <class E>
E parse_or_throw(std::optional<E> v, std::string_view what, std::string_view text) {
    // The schema's CHECKs make this unreachable short of a hand-edited file.
    if (!v)
        throw std::runtime_error("stored alert has an unknown " + std::string(what) + " '" +
                                 std::string(text) + "'");
    return *v;
}

// One row of alert_columns. Text columns are read in place (no temporary
// strings for the enum columns): for a list request, allocating them cost
// more than the rest of the row.
stored_alert read_alert(SQLite::Statement& st) {
    auto text_of = [&st](int col) {
        SQLite::Column const c = st.getColumn(col);
        return std::string_view(c.getText(), static_cast<std::size_t>(c.getBytes()));
    };
    stored_alert out;
    core::alert& a = out.alert;
    a.id = st.getColumn(0).getInt64();
    a.owner = st.getColumn(1).getInt64();
    out.symbol = text_of(2);
    a.kind = parse_or_throw(core::alert_kind_from_string(text_of(17)), "kind", text_of(17));
    if (a.kind == core::alert_kind::price) {
        a.target = core::price::from_units(st.getColumn(3).getInt64());
        a.side = parse_or_throw(core::direction_from_string(text_of(4)), "direction", text_of(4));
    } else {
        a.move_percent = st.getColumn(18).getInt64();
        a.window_seconds = st.getColumn(19).getInt64();
        a.move_side = parse_or_throw(core::move_direction_from_string(text_of(20)),
                                     "move direction", text_of(20));
    }
    if (!st.isColumnNull(5)) a.name = text_of(5);
    a.repeat = parse_or_throw(core::repeat_mode_from_string(text_of(6)), "repeat", text_of(6));
    a.cooldown_seconds = st.getColumn(7).getInt64();
    a.expires_at = sql::opt_int64(st.getColumn(8));
    a.channels = static_cast<core::channel>(st.getColumn(9).getInt());
    a.status = parse_or_throw(core::alert_status_from_string(text_of(10)), "status", text_of(10));
    a.created_at = st.getColumn(11).getInt64();
    a.updated_at = st.getColumn(12).getInt64();
    out.armed_at = st.getColumn(13).getInt64();
    a.triggered_at = sql::opt_int64(st.getColumn(14));
    if (!st.isColumnNull(15))
        a.trigger_price = core::price::from_units(st.getColumn(15).getInt64());
    a.trigger_count = st.getColumn(16).getInt64();
    return out;
}

// One row of an event query whose first twelve columns are id, type, time,
// price, exchange_time, detected_at, backfilled, channel, attempt, outcome,
// reference_price, reference_time.
event_record read_event(SQLite::Statement& st, core::alert_id alert) {
    event_record e;
    e.id = st.getColumn(0).getInt64();
    e.alert = alert;
    std::string const type = st.getColumn(1).getString();
    e.type = parse_or_throw(event_type_from_string(type), "event type", type);
    e.time = st.getColumn(2).getInt64();
    if (!st.getColumn(3).isNull()) e.price = core::price::from_units(st.getColumn(3).getInt64());
    e.exchange_time = sql::opt_int64(st.getColumn(4));
    e.detected_at = sql::opt_int64(st.getColumn(5));
    if (!st.getColumn(6).isNull()) e.backfilled = st.getColumn(6).getInt() != 0;
    if (!st.getColumn(7).isNull()) {
        std::string const ch = st.getColumn(7).getString();
        e.channel = parse_or_throw(core::channel_from_string(ch), "channel", ch);
    }
    e.attempt = sql::opt_int64(st.getColumn(8));
    e.outcome = sql::opt_text(st.getColumn(9));
    if (!st.getColumn(10).isNull())
        e.reference_price = core::price::from_units(st.getColumn(10).getInt64());
    e.reference_time = sql::opt_int64(st.getColumn(11));
    return e;
}

std::optional<std::int64_t> price_units(std::optional<core::price> const& p) {
    if (!p) return std::nullopt;
    return p->units();
}

std::optional<std::string> name_or_null(std::string const& name) {
    if (name.empty()) return std::nullopt;
    return name;
}

std::string text(std::string_view v) {
    return std::string(v);
}

// The price columns of a row: a move alert fills them with the neutral
// values its kind ignores (see migration_move).
std::int64_t stored_target(core::alert const& a) {
    return a.kind == core::alert_kind::price ? a.target.units() : 1;
}
std::string stored_direction(core::alert const& a) {
    return text(
        core::to_string(a.kind == core::alert_kind::price ? a.side : core::direction::above));
}

// The move columns of a row: NULL for a price alert.
struct move_columns {
    std::optional<std::int64_t> percent;
    std::optional<std::int64_t> window;
    std::optional<std::string> side;

    static move_columns of(core::alert const& a) {
        if (a.kind != core::alert_kind::move) return {};
        return {a.move_percent, a.window_seconds, text(core::to_string(a.move_side))};
    }
};

} // namespace

std::string_view to_string(event_type type) noexcept {
    return event_names[static_cast<std::size_t>(type)];
}

std::optional<event_type> event_type_from_string(std::string_view text) noexcept {
    for (std::size_t i = 0; i < event_names.size(); ++i)
        if (event_names[i] == text) return static_cast<event_type>(i);
    return std::nullopt;
}

core::alert_id insert(SQLite::Database& db, core::alert const& a, std::string_view symbol) {
    cached_statement st_sql(db,
                            "INSERT INTO alerts (user_id, symbol, target_price, direction, name, "
                            "repeat, cooldown_seconds, expires_at, channels, status, created_at, "
                            "updated_at, armed_at, triggered_at, trigger_price, trigger_count, "
                            "kind, move_percent, window_seconds, move_direction) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(a.owner));
    st.bind(2, text(symbol));
    st.bind(3, static_cast<int64_t>(stored_target(a)));
    st.bind(4, stored_direction(a));
    sql::bind(st, 5, name_or_null(a.name));
    st.bind(6, text(core::to_string(a.repeat)));
    st.bind(7, static_cast<int64_t>(a.cooldown_seconds));
    sql::bind(st, 8, a.expires_at);
    st.bind(9, static_cast<int>(a.channels));
    st.bind(10, text(core::to_string(a.status)));
    st.bind(11, static_cast<int64_t>(a.created_at));
    st.bind(12, static_cast<int64_t>(a.updated_at));
    st.bind(13, static_cast<int64_t>(a.created_at));
    sql::bind(st, 14, a.triggered_at);
    sql::bind(st, 15, price_units(a.trigger_price));
    st.bind(16, static_cast<int64_t>(a.trigger_count));
    auto const move = move_columns::of(a);
    st.bind(17, text(core::to_string(a.kind)));
    sql::bind(st, 18, move.percent);
    sql::bind(st, 19, move.window);
    sql::bind(st, 20, move.side);
    st.exec();
    core::alert_id const id = db.getLastInsertRowid();
    event_record created;
    created.alert = id;
    created.type = event_type::created;
    created.time = a.created_at;
    add_event(db, created);
    return id;
}

void update(SQLite::Database& db, core::alert const& a, event_type type) {
    cached_statement st_sql(
        db, "UPDATE alerts SET target_price = ?1, direction = ?2, name = ?3, repeat = ?4, "
            "cooldown_seconds = ?5, expires_at = ?6, channels = ?7, "
            "armed_at = CASE WHEN ?8 = 'active' AND status <> 'active' THEN ?9 ELSE armed_at END, "
            "status = ?8, updated_at = ?9, triggered_at = ?10, trigger_price = ?11, "
            "trigger_count = ?12, move_percent = ?15, window_seconds = ?16, "
            "move_direction = ?17 WHERE id = ?13 AND user_id = ?14");
    // The kind is not written: it is fixed at creation (SPEC §8).
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(stored_target(a)));
    st.bind(2, stored_direction(a));
    sql::bind(st, 3, name_or_null(a.name));
    st.bind(4, text(core::to_string(a.repeat)));
    st.bind(5, static_cast<int64_t>(a.cooldown_seconds));
    sql::bind(st, 6, a.expires_at);
    st.bind(7, static_cast<int>(a.channels));
    st.bind(8, text(core::to_string(a.status)));
    st.bind(9, static_cast<int64_t>(a.updated_at));
    sql::bind(st, 10, a.triggered_at);
    sql::bind(st, 11, price_units(a.trigger_price));
    st.bind(12, static_cast<int64_t>(a.trigger_count));
    st.bind(13, static_cast<int64_t>(a.id));
    st.bind(14, static_cast<int64_t>(a.owner));
    auto const move = move_columns::of(a);
    sql::bind(st, 15, move.percent);
    sql::bind(st, 16, move.window);
    sql::bind(st, 17, move.side);
    if (st.exec() == 0)
        throw not_found_error("no alert " + std::to_string(a.id) + " of user " +
                              std::to_string(a.owner));
    event_record ev;
    ev.alert = a.id;
    ev.type = type;
    ev.time = a.updated_at;
    add_event(db, ev);
}

std::optional<stored_alert> get(SQLite::Database& db, core::alert_id id, core::user_id owner) {
    cached_statement st_sql(db, std::string("SELECT ") + alert_columns +
                                    " FROM alerts WHERE id = ? AND user_id = ?");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(id));
    st.bind(2, static_cast<int64_t>(owner));
    if (!st.executeStep()) return std::nullopt;
    return read_alert(st);
}

std::optional<stored_alert> find(SQLite::Database& db, core::alert_id id) {
    cached_statement st_sql(db,
                            std::string("SELECT ") + alert_columns + " FROM alerts WHERE id = ?");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(id));
    if (!st.executeStep()) return std::nullopt;
    return read_alert(st);
}

page<stored_alert> list(SQLite::Database& db, alert_query const& q) {
    // One statement per combination of filters rather than one with
    // "?2 IS NULL OR ..." terms: SQLite plans a statement once, and only a
    // plain `status = ?` lets it walk alerts_by_user_status in id order.
    // The total comes from alert_counts (a few rows per user, kept by
    // triggers) instead of counting the user's alerts one by one.
    static constexpr std::array<char const*, 4> total_sql{
        "SELECT coalesce(sum(n), 0) FROM alert_counts WHERE user_id = ?1 AND status <> 'deleted'",
        "SELECT coalesce(sum(n), 0) FROM alert_counts WHERE user_id = ?1 AND status = ?2",
        "SELECT coalesce(sum(n), 0) FROM alert_counts WHERE user_id = ?1 AND symbol = ?3 "
        "AND status <> 'deleted'",
        "SELECT coalesce(sum(n), 0) FROM alert_counts WHERE user_id = ?1 AND symbol = ?3 "
        "AND status = ?2"};
    // A `kind` filter (forms 4 to 7) is a further term on the same rows;
    // alert_counts does not split by kind, so its total counts those rows.
    static constexpr std::array<char const*, 4> filters{"status <> 'deleted'", "status = ?2",
                                                        "symbol = ?3 AND status <> 'deleted'",
                                                        "symbol = ?3 AND status = ?2"};
    static std::array<std::string, 8> const page_sql = [] {
        std::array<std::string, 8> out;
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = std::string("SELECT ") + alert_columns +
                     " FROM alerts WHERE user_id = ?1 AND " + filters[i % 4] +
                     (i < 4 ? "" : " AND kind = ?6") + " ORDER BY id DESC LIMIT ?4 OFFSET ?5";
        return out;
    }();
    static std::array<std::string, 4> const kind_total_sql = [] {
        std::array<std::string, 4> out;
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = std::string("SELECT count(*) FROM alerts WHERE user_id = ?1 AND ") +
                     filters[i] + " AND kind = ?6";
        return out;
    }();
    std::size_t const form = (q.status ? 1u : 0u) + (q.symbol ? 2u : 0u) + (q.kind ? 4u : 0u);
    auto bind_filter = [&](SQLite::Statement& st) {
        st.bind(1, static_cast<int64_t>(q.owner));
        if (q.status) st.bind(2, text(core::to_string(*q.status)));
        if (q.symbol) st.bind(3, *q.symbol);
        if (q.kind) st.bind(6, text(core::to_string(*q.kind)));
    };
    // Both reads in one transaction (a savepoint, so that this also works
    // inside a writer job): the total agrees with the page, and the file's
    // locks are taken once instead of once per statement.
    savepoint reads(db, "alert_list");
    page<stored_alert> out;
    {
        cached_statement total(db, form < 4 ? std::string_view(total_sql[form])
                                            : std::string_view(kind_total_sql[form - 4]));
        bind_filter(*total);
        out.total = sql::count(*total);
    }
    if (q.paging.offset < out.total) {
        cached_statement st_sql(db, page_sql[form]);
        auto& st = *st_sql;
        bind_filter(st);
        st.bind(4, static_cast<int64_t>(q.paging.limit));
        st.bind(5, static_cast<int64_t>(q.paging.offset));
        out.items.reserve(
            static_cast<std::size_t>(std::min<std::int64_t>(q.paging.limit, out.total)));
        while (st.executeStep())
            out.items.push_back(read_alert(st));
    }
    reads.release();
    return out;
}

std::int64_t count_active(SQLite::Database& db, core::user_id owner) {
    cached_statement st_sql(db, "SELECT coalesce(sum(n), 0) FROM alert_counts "
                                "WHERE user_id = ? AND status = 'active'");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(owner));
    return sql::count(st);
}

std::size_t for_each_armed(SQLite::Database& db, core::symbol_table& symbols,
                           armed_alert_fn const& fn) {
    // The startup path for up to millions of rows: only the columns the
    // evaluator needs, read in place with raw sqlite3 calls (no Column
    // objects, no temporary strings), a run of rows with one symbol interned
    // once, and rows handed over one at a time rather than collected. Rowid
    // order makes the query a plain table scan, its cheapest form.
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db.getHandle(),
                                "SELECT id, user_id, symbol, target_price, direction, repeat, "
                                "cooldown_seconds, expires_at, channels, armed_at, triggered_at, "
                                "updated_at, kind, move_percent, window_seconds, move_direction "
                                "FROM alerts WHERE status = 'active' ORDER BY id",
                                -1, &raw, nullptr);
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st(raw, sqlite3_finalize);
    if (rc != SQLITE_OK) throw SQLite::Exception(db.getHandle(), rc);
    auto text_of = [raw](int col) {
        auto const* p = reinterpret_cast<char const*>(sqlite3_column_text(raw, col));
        return std::string_view(p ? p : "",
                                static_cast<std::size_t>(sqlite3_column_bytes(raw, col)));
    };
    auto opt_int = [raw](int col) -> std::optional<std::int64_t> {
        if (sqlite3_column_type(raw, col) == SQLITE_NULL) return std::nullopt;
        return sqlite3_column_int64(raw, col);
    };
    std::size_t count = 0;
    std::string last_symbol;
    core::symbol_id last_id = 0;
    armed_alert a;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
        a.id = sqlite3_column_int64(raw, 0);
        a.owner = sqlite3_column_int64(raw, 1);
        std::string_view const symbol = text_of(2);
        if (count == 0 || symbol != last_symbol) {
            auto const id = symbols.try_intern(symbol);
            if (!id)
                throw std::runtime_error("alert " + std::to_string(a.id) +
                                         " has an invalid symbol '" + std::string(symbol) + "'");
            last_symbol.assign(symbol);
            last_id = *id;
        }
        a.symbol = last_id;
        a.kind = parse_or_throw(core::alert_kind_from_string(text_of(12)), "kind", text_of(12));
        if (a.kind == core::alert_kind::price) {
            a.target = core::price::from_units(sqlite3_column_int64(raw, 3));
            a.side =
                parse_or_throw(core::direction_from_string(text_of(4)), "direction", text_of(4));
            a.move_percent = 0;
            a.window_seconds = 0;
        } else {
            a.target = core::price{};
            a.move_percent = sqlite3_column_int64(raw, 13);
            a.window_seconds = sqlite3_column_int64(raw, 14);
            a.move_side = parse_or_throw(core::move_direction_from_string(text_of(15)),
                                         "move direction", text_of(15));
        }
        a.repeat = parse_or_throw(core::repeat_mode_from_string(text_of(5)), "repeat", text_of(5));
        a.cooldown_seconds = sqlite3_column_int64(raw, 6);
        a.expires_at = opt_int(7);
        a.channels = static_cast<core::channel>(sqlite3_column_int(raw, 8));
        a.armed_at = sqlite3_column_int64(raw, 9);
        a.triggered_at = opt_int(10);
        a.last_fire.reset();
        if (a.triggered_at && sqlite3_column_int64(raw, 11) <= *a.triggered_at)
            a.last_fire = a.triggered_at;
        fn(a);
        ++count;
    }
    if (rc != SQLITE_DONE) throw SQLite::Exception(db.getHandle(), rc);
    return count;
}

std::int64_t add_event(SQLite::Database& db, event_record const& e) {
    cached_statement st_sql(db,
                            "INSERT INTO alert_events (alert_id, type, time, price, "
                            "exchange_time, detected_at, backfilled, channel, attempt, outcome, "
                            "reference_price, reference_time) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(e.alert));
    st.bind(2, text(to_string(e.type)));
    st.bind(3, static_cast<int64_t>(e.time));
    sql::bind(st, 4, price_units(e.price));
    sql::bind(st, 5, e.exchange_time);
    sql::bind(st, 6, e.detected_at);
    sql::bind(st, 7,
              e.backfilled ? std::optional<std::int64_t>(*e.backfilled ? 1 : 0) : std::nullopt);
    sql::bind(st, 8,
              e.channel ? std::optional<std::string>(text(core::to_string(*e.channel)))
                        : std::nullopt);
    sql::bind(st, 9, e.attempt);
    sql::bind(st, 10, e.outcome);
    sql::bind(st, 11, price_units(e.reference_price));
    sql::bind(st, 12, e.reference_time);
    st.exec();
    return db.getLastInsertRowid();
}

page<event_record> list_events(SQLite::Database& db, core::alert_id alert,
                               page_request const& paging) {
    page<event_record> out;
    cached_statement total_sql(db, "SELECT count(*) FROM alert_events WHERE alert_id = ?");
    auto& total = *total_sql;
    total.bind(1, static_cast<int64_t>(alert));
    out.total = sql::count(total);
    cached_statement st_sql(db, "SELECT id, type, time, price, exchange_time, detected_at, "
                                "backfilled, channel, attempt, outcome, reference_price, "
                                "reference_time FROM alert_events "
                                "WHERE alert_id = ? ORDER BY id DESC LIMIT ? OFFSET ?");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(alert));
    st.bind(2, static_cast<int64_t>(paging.limit));
    st.bind(3, static_cast<int64_t>(paging.offset));
    while (st.executeStep())
        out.items.push_back(read_event(st, alert));
    return out;
}

std::vector<event_record> events_of_owner(SQLite::Database& db, core::user_id owner,
                                          std::int64_t after, std::int64_t up_to,
                                          std::size_t limit) {
    // By event id first: a replay reads the few events after a client's last
    // one, and a live batch a narrow id range, not the owner's whole history.
    cached_statement st_sql(
        db, "SELECT e.id, e.type, e.time, e.price, e.exchange_time, e.detected_at, "
            "e.backfilled, e.channel, e.attempt, e.outcome, e.reference_price, "
            "e.reference_time, e.alert_id FROM alert_events e "
            "JOIN alerts a ON a.id = e.alert_id WHERE e.id > ? AND e.id <= ? AND a.user_id = ? "
            "ORDER BY e.id LIMIT ?");
    auto& st = *st_sql;
    st.bind(1, static_cast<int64_t>(after));
    st.bind(2, static_cast<int64_t>(up_to));
    st.bind(3, static_cast<int64_t>(owner));
    st.bind(4, static_cast<int64_t>(limit));
    std::vector<event_record> out;
    while (st.executeStep())
        out.push_back(read_event(st, st.getColumn(12).getInt64()));
    return out;
}

std::int64_t last_event_id(SQLite::Database& db) {
    cached_statement st_sql(db, "SELECT coalesce(max(id), 0) FROM alert_events");
    auto& st = *st_sql;
    st.executeStep();
    return st.getColumn(0).getInt64();
}

std::optional<fire_outcome> record_fire(SQLite::Database& db, core::alert const& a,
                                        core::millis exchange_time, bool backfilled,
                                        std::vector<notification> const& notifications,
                                        std::optional<move_reference> const& reference) {
    if (!a.triggered_at || !a.trigger_price)
        throw std::invalid_argument("record_fire needs an alert that core::fire() updated");
    // A savepoint of its own keeps the unit whole even when the caller runs
    // it outside a writer job.
    savepoint unit(db, "record_fire");
    cached_statement st_sql(db, "UPDATE alerts SET status = ?1, updated_at = ?2, "
                                "triggered_at = ?3, trigger_price = ?4, trigger_count = ?5 "
                                "WHERE id = ?6 AND status = 'active'");
    auto& st = *st_sql;
    st.bind(1, text(core::to_string(a.status)));
    st.bind(2, static_cast<int64_t>(a.updated_at));
    st.bind(3, static_cast<int64_t>(*a.triggered_at));
    st.bind(4, static_cast<int64_t>(a.trigger_price->units()));
    st.bind(5, static_cast<int64_t>(a.trigger_count));
    st.bind(6, static_cast<int64_t>(a.id));
    if (st.exec() == 0) return std::nullopt; // no longer active: nothing written
    fire_outcome out;
    event_record ev;
    ev.alert = a.id;
    ev.type = event_type::triggered;
    ev.time = *a.triggered_at;
    ev.price = a.trigger_price;
    ev.exchange_time = exchange_time;
    ev.detected_at = a.triggered_at;
    ev.backfilled = backfilled;
    if (reference) {
        ev.reference_price = reference->price;
        ev.reference_time = reference->time;
    }
    out.event_id = add_event(db, ev);
    for (auto const& n : notifications) {
        std::string_view const ch = core::to_string(n.channel);
        if (ch.empty()) throw std::invalid_argument("a notification needs exactly one channel");
        outbox_store::message m;
        m.delivery_id = "kryptod-" + std::to_string(a.id) + "-" + std::to_string(out.event_id) +
                        "-" + std::string(ch);
        m.channel = n.channel;
        m.user = a.owner;
        m.alert = a.id;
        m.payload = n.payload;
        m.next_attempt_at = *a.triggered_at;
        m.created_at = *a.triggered_at;
        out.outbox_ids.push_back(outbox_store::enqueue(db, m));
    }
    unit.release();
    return out;
}

} // namespace kryptod::storage::alert_store
