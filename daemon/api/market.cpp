// The coin list, price history and the admin's coin routes.
#include "daemon/api/market.hpp"

#include "core/rfc3339.hpp"
#include "core/symbol_table.hpp"
#include "daemon/api/candle_json.hpp"
#include "daemon/api/list_query.hpp"
#include "daemon/api/responses.hpp"
#include "daemon/log.hpp"
#include "storage/candle_store.hpp"
#include "storage/coin_store.hpp"
#include "storage/sample_store.hpp"

#include <mutex>

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

// The filters of GET /api/prices: a coin (BTCUSDT by default), a day, a
// time range that narrows the day when both are given, and the interval of
// the candles (one minute by default).
storage::candle_store::candle_query prices_query(list_query& q) {
    storage::candle_store::candle_query query;
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
    if (auto value = q.get("interval")) {
        if (auto every = storage::candle_store::interval_from_string(*value))
            query.every = *every;
        else
            q.refuse("interval", "must be one of " + storage::candle_store::interval_names());
    }
    return query;
}

// What GET /api/coins was last built from, and the answer: while no listed
// coin's last trade and not the minute of its 24 h base have changed, the
// same bytes are the right answer. The 24 h bases are kept per coin for the
// minute they were read in, so a rebuild reads only the coins whose base
// minute moved (all of them once a minute, none in between).
struct coins_answer {
    struct coin_key {
        core::symbol_id id;
        std::int64_t units; // 0: no price yet
        core::millis time;
        bool operator==(coin_key const&) const = default;
    };
    struct base {
        core::millis minute = 0;
        std::optional<core::price> close;
    };

    std::mutex mutex;
    std::vector<coin_key> keys;
    core::millis base_minute = -1;
    std::string body;
    std::unordered_map<std::string, base> bases; // by symbol
};

// What the market handlers share. Completions hold it by shared_ptr, so it
// outlives every request in flight.
struct market_api : std::enable_shared_from_this<market_api> {
    std::shared_ptr<api_context> context;
    live_alerts& engine;
    market_api_settings settings;
    coins_answer coins_cache;

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
    auto const base_minute = storage::sample_store::minute_of(now_millis() - 86'400'000);
    auto const listed = engine.listed_coins();
    std::vector<coins_answer::coin_key> keys;
    keys.reserve(listed.size());
    for (auto id : listed) {
        auto last = engine.book().prices().get(id);
        keys.push_back({id, last ? last->last.units() : 0, last ? last->time : 0});
    }
    {
        std::lock_guard lock(coins_cache.mutex);
        if (coins_cache.base_minute == base_minute && coins_cache.keys == keys)
            return respond(http::json_text_response(status::ok, coins_cache.body, version));
    }
    std::vector<coin_now> list;
    for (auto id : listed) {
        coin_now c{std::string(engine.book().symbols().name(id)), std::nullopt, 0};
        if (auto last = engine.book().prices().get(id)) {
            c.price = last->last;
            c.time = last->time;
        }
        list.push_back(std::move(c));
    }
    context->workers().post([self = shared_from_this(), list = std::move(list),
                             keys = std::move(keys), base_minute, respond, version]() mutable {
        auto& cache = self->coins_cache;
        // A coin's base is read once per base minute, each an index seek.
        std::vector<std::string> stale;
        {
            std::lock_guard lock(cache.mutex);
            for (auto const& c : list) {
                auto it = cache.bases.find(c.symbol);
                if (it == cache.bases.end() || it->second.minute != base_minute)
                    stale.push_back(c.symbol);
            }
        }
        auto fresh = self->context->workers().read([&](SQLite::Database& db) {
            std::vector<std::optional<core::price>> out;
            for (auto const& symbol : stale)
                out.push_back(storage::sample_store::close_at_or_before(db, symbol, base_minute));
            return out;
        });
        if (!fresh) return respond(storage_failure(fresh.err(), version));
        json::array items;
        std::string body;
        {
            std::lock_guard lock(cache.mutex);
            for (std::size_t i = 0; i < stale.size(); ++i)
                cache.bases[stale[i]] = {base_minute, fresh.value()[i]};
            for (auto const& c : list)
                items.push_back(coin_json(c, cache.bases[c.symbol].close));
            body = json::serialize(json::object{{"items", std::move(items)}});
            cache.keys = std::move(keys);
            cache.base_minute = base_minute;
            cache.body = body;
        }
        respond(http::json_text_response(status::ok, std::move(body), version));
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
    list_query q(in.req, {"symbol", "date", "from", "to", "interval"});
    auto query = prices_query(q);
    if (auto problem = q.problem(version)) return respond(std::move(*problem));
    // The minute still open lives in the trade recorder until it is flushed:
    // read here, on the thread that owns it, so the newest candle is live.
    if (settings.open_minute)
        if (auto id = engine.book().symbols().find(query.symbol))
            query.open_minute = settings.open_minute(*id);
    context->workers().post(
        [self = shared_from_this(), query = std::move(query), respond, version] {
            auto page = self->context->workers().read(
                [&](SQLite::Database& db) { return storage::candle_store::list(db, query); });
            if (!page) return respond(storage_failure(page.err(), version));
            respond(http::json_text_response(
                status::ok, candle_page_text(query.symbol, page.value(), query.paging), version));
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
