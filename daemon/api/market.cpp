// The coin list, price history and the admin's coin routes.
#include "daemon/api/market.hpp"

#include "core/rfc3339.hpp"
#include "core/symbol_table.hpp"
#include "daemon/api/list_query.hpp"
#include "daemon/api/responses.hpp"
#include "daemon/log.hpp"
#include "storage/coin_store.hpp"
#include "storage/sample_store.hpp"

namespace kryptod::daemon::api {

namespace json = boost::json;
using http::status;

namespace {

// A listed coin's last trade, as the engine holds it.
struct coin_now {
    std::string symbol;
    std::optional<core::price> price;
    core::millis time = 0;
};

json::object coin_json(coin_now const& c, std::optional<core::price> const& day_ago) {
    json::object o;
    o["symbol"] = c.symbol;
    o["price"] = c.price ? json::value(c.price->to_string()) : json::value(nullptr);
    o["time"] = c.price ? json::value(core::format_rfc3339(c.time)) : json::value(nullptr);
    std::optional<std::string> change;
    if (c.price && day_ago) change = core::percent_change(*c.price, *day_ago);
    o["change_24h"] = change ? json::value(*change) : json::value(nullptr);
    return o;
}

json::object sample_json(storage::sample_store::sample const& s) {
    return json::object{{"symbol", s.symbol},           {"time", core::format_rfc3339(s.minute)},
                        {"price", s.close.to_string()}, {"open", s.open.to_string()},
                        {"high", s.high.to_string()},   {"low", s.low.to_string()}};
}

// The filters of GET /api/prices: a coin (BTCUSDT by default), a day, and a
// time range that narrows the day when both are given.
storage::sample_store::sample_query prices_query(list_query& q) {
    storage::sample_store::sample_query query;
    query.paging = q.paging();
    query.symbol = "BTCUSDT";
    if (auto value = q.get("symbol")) {
        if (auto canonical = core::canonical_symbol(*value))
            query.symbol = std::string(*canonical);
        else
            q.refuse("symbol", "must be a coin symbol such as BTCUSDT");
    }
    if (auto value = q.get("date")) {
        if (auto day = core::parse_date(*value)) {
            query.from = *day;
            query.to = *day + 86'400'000;
        } else {
            q.refuse("date", "must be a date as YYYY-MM-DD or DD-MM-YYYY");
        }
    }
    if (auto value = q.get("from")) {
        if (auto t = core::parse_rfc3339(*value))
            query.from = query.from ? std::max(*query.from, *t) : *t;
        else
            q.refuse("from", "must be an RFC 3339 time");
    }
    if (auto value = q.get("to")) {
        if (auto t = core::parse_rfc3339(*value))
            query.to = query.to ? std::min(*query.to, *t) : *t;
        else
            q.refuse("to", "must be an RFC 3339 time");
    }
    return query;
}

// What the market handlers share. Completions hold it by shared_ptr, so it
// outlives every request in flight.
struct market_api : std::enable_shared_from_this<market_api> {
    std::shared_ptr<api_context> context;
    live_alerts& engine;
    market_api_settings settings;

    market_api(std::shared_ptr<api_context> c, live_alerts& e, market_api_settings s)
        : context(std::move(c))
        , engine(e)
        , settings(std::move(s)) {}

    // The caller if an admin, or nothing after answering 401 or 403.
    std::optional<principal> admin(http::incoming const& in, http::responder const& respond) {
        auto who = caller(*context, in, respond);
        if (who && !who->is_admin()) {
            respond(http::problem(status::forbidden, "admins only", {}, in.req.version()));
            return std::nullopt;
        }
        return who;
    }

    void coins_changed() {
        if (settings.on_coins_changed) settings.on_coins_changed();
    }

    void coins(http::incoming in, http::responder respond);
    void add_coin(http::incoming in, http::responder respond);
    void remove_coin(http::incoming in, http::responder respond);
    void prices(http::incoming in, http::responder respond);
};

void market_api::coins(http::incoming in, http::responder respond) {
    auto const version = in.req.version();
    std::vector<coin_now> list;
    for (auto id : engine.listed_coins()) {
        coin_now c{std::string(engine.book().symbols().name(id)), std::nullopt, 0};
        if (auto last = engine.book().prices().get(id)) {
            c.price = last->last;
            c.time = last->time;
        }
        list.push_back(std::move(c));
    }
    context->workers().post([self = shared_from_this(), list = std::move(list), respond, version] {
        auto const day_ago = now_millis() - 86'400'000;
        auto bases = self->context->workers().read([&](SQLite::Database& db) {
            std::vector<std::optional<core::price>> out;
            for (auto const& c : list)
                out.push_back(storage::sample_store::close_at_or_before(db, c.symbol, day_ago));
            return out;
        });
        if (!bases) return respond(storage_failure(bases.err(), version));
        json::array items;
        for (std::size_t i = 0; i < list.size(); ++i)
            items.push_back(coin_json(list[i], bases.value()[i]));
        respond(
            http::json_response(status::ok, json::object{{"items", std::move(items)}}, version));
    });
}

void market_api::add_coin(http::incoming in, http::responder respond) {
    if (!admin(in, respond)) return;
    auto const version = in.req.version();
    static constexpr http::field_spec schema[] = {{"symbol", http::field_kind::string, true}};
    auto body = read_body(*context, in, schema, respond);
    if (!body) return;
    auto canonical = core::canonical_symbol(body->at("symbol").as_string());
    if (!canonical)
        return respond(http::problem(status::unprocessable_entity, "bad coin",
                                     {{"symbol", "must be a coin symbol such as BTCUSDT"}},
                                     version));
    auto symbol = std::string(*canonical);
    auto const now = now_millis();
    auto s = context->writer().submit(
        [symbol, now](SQLite::Database& db) { storage::coin_store::add(db, symbol, now); },
        [self = shared_from_this(), symbol, respond, version](storage::status st) {
            if (!st) return respond(storage_failure(st.err(), version));
            self->engine.list_coin(symbol);
            log::notice("coin ", symbol, " listed");
            self->coins_changed();
            respond(
                http::json_response(status::created, json::object{{"symbol", symbol}}, version));
        });
    if (!s) respond(writer_refused(s.err(), version));
}

void market_api::remove_coin(http::incoming in, http::responder respond) {
    if (!admin(in, respond)) return;
    auto const version = in.req.version();
    auto canonical = core::canonical_symbol(in.params.at(0));
    if (!canonical) return respond(http::problem(status::not_found, "no such coin", {}, version));
    auto symbol = std::string(*canonical);
    auto outcome = std::make_shared<storage::coin_store::remove_outcome>();
    auto s = context->writer().submit(
        [symbol, outcome](SQLite::Database& db) {
            *outcome = storage::coin_store::remove(db, symbol);
        },
        [self = shared_from_this(), symbol, outcome, respond, version](storage::status st) {
            using storage::coin_store::remove_outcome;
            if (!st) return respond(storage_failure(st.err(), version));
            if (*outcome == remove_outcome::in_use)
                return respond(
                    http::problem(status::conflict, "active alerts use " + symbol, {}, version));
            if (*outcome == remove_outcome::not_found)
                return respond(http::problem(status::not_found, "no such coin", {}, version));
            if (auto id = self->engine.book().symbols().find(symbol)) self->engine.unlist_coin(*id);
            log::notice("coin ", symbol, " removed");
            self->coins_changed();
            respond(http::empty_response(status::no_content, version));
        });
    if (!s) respond(writer_refused(s.err(), version));
}

void market_api::prices(http::incoming in, http::responder respond) {
    auto const version = in.req.version();
    list_query q(in.req, {"symbol", "date", "from", "to"});
    auto query = prices_query(q);
    if (auto problem = q.problem(version)) return respond(std::move(*problem));
    context->workers().post([self = shared_from_this(), query, respond, version] {
        auto page = self->context->workers().read(
            [&](SQLite::Database& db) { return storage::sample_store::list(db, query); });
        if (!page) return respond(storage_failure(page.err(), version));
        respond(http::json_response(status::ok, page_json(page.value(), query.paging, sample_json),
                                    version));
    });
}

} // namespace

void add_market_routes(http::router& r, std::shared_ptr<api_context> const& context,
                       live_alerts& engine, market_api_settings settings) {
    auto api = std::make_shared<market_api>(context, engine, std::move(settings));
    using http::verb;
    auto bind = [api](auto member) {
        return [api, member](http::incoming in, http::responder respond) {
            ((*api).*member)(std::move(in), std::move(respond));
        };
    };
    r.add(verb::get, "/api/coins", bind(&market_api::coins));
    r.add(verb::post, "/api/coins", bind(&market_api::add_coin));
    r.add(verb::delete_, "/api/coins/{symbol}", bind(&market_api::remove_coin));
    r.add(verb::get, "/api/prices", bind(&market_api::prices));
}

} // namespace kryptod::daemon::api
