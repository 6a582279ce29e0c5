// Alert import and export. What they carry, the numbering of rows and the
// invariants are in alert_transfer.hpp; the columns in alert_columns.hpp.
#include "daemon/api/alert_transfer.hpp"

#include "daemon/api/alert_body.hpp"
#include "daemon/api/alert_columns.hpp"
#include "daemon/api/responses.hpp"
#include "daemon/log.hpp"
#include "http/csv.hpp"
#include "storage/alert_store.hpp"
#include "storage/transaction.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>
#include <limits>

namespace kryptod::daemon::api {

namespace json = boost::json;
using http::status;

namespace {

// An answer lists this many problems at most; a file with a wrong column
// would otherwise repeat one mistake 10,000 times.
constexpr std::size_t max_listed_errors = 100;

// An import as read, before anything is written: the changes of each item
// that parsed, in order, with the prefix that names its fields, and the
// problems of those that did not.
struct import_batch {
    std::vector<alert_changes> items;
    std::vector<std::string> prefixes; // "items[3]." or "row 4: ", per item
    std::vector<http::field_error> errors;
};

bool is_csv(std::string_view content_type) {
    auto const semicolon = content_type.find(';');
    auto media = content_type.substr(0, semicolon);
    while (!media.empty() && media.back() == ' ')
        media.remove_suffix(1);
    return boost::beast::iequals(media, "text/csv");
}

bool wants_csv(std::string_view accept) {
    // Any mention of text/csv picks it: clients ask for one type here.
    std::string lower(accept);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.find("text/csv") != std::string::npos;
}

http::response too_many(std::string field, unsigned version) {
    return http::problem(status::unprocessable_entity, "too many alerts",
                         {{std::move(field), "an import takes at most " +
                                                 std::to_string(max_import_alerts) + " alerts"}},
                         version);
}

// Reads {"items": [...]} into `batch`; an answer when the body is refused
// as a whole (malformed, too large, not that shape).
std::optional<http::response> read_json(std::string_view body, http::json_limits const& limits,
                                        import_batch& batch, unsigned version) {
    auto parsed = http::parse_document(body, limits);
    if (auto* e = std::get_if<http::body_error>(&parsed)) return e->to_response(version);
    auto& doc = std::get<http::json_document>(parsed);
    if (!doc.value.is_object())
        return http::problem(status::bad_request, "the request body must be a JSON object", {},
                             version);
    auto& envelope = doc.value.get_object();
    std::vector<http::field_error> errors;
    for (auto const& member : envelope)
        if (member.key() != "items") errors.push_back({std::string(member.key()), "unknown field"});
    auto* items = envelope.if_contains("items");
    if (!items)
        errors.push_back({"items", "is required"});
    else if (!items->is_array())
        errors.push_back({"items", "must be an array of alerts"});
    if (!errors.empty())
        return http::problem(status::unprocessable_entity,
                             "the request body does not match its schema", errors, version);
    auto& array = items->get_array();
    if (array.size() > max_import_alerts) return too_many("items", version);
    batch.items.reserve(array.size());
    for (std::size_t i = 0; i < array.size(); ++i) {
        auto prefix = "items[" + std::to_string(i) + "].";
        if (!array[i].is_object()) {
            batch.errors.push_back({prefix.substr(0, prefix.size() - 1), "must be an object"});
            continue;
        }
        auto c = read_alert_object(array[i].get_object(), doc.notes, alert_body_kind::create,
                                   prefix, batch.errors);
        if (!c) continue;
        batch.items.push_back(std::move(*c));
        batch.prefixes.push_back(std::move(prefix));
    }
    return std::nullopt;
}

// Reads a CSV body (a header row, then one alert a row) into `batch`.
std::optional<http::response> read_csv(std::string_view body, import_batch& batch,
                                       unsigned version) {
    http::csv_reader reader(body);
    std::vector<std::string> cells;
    auto malformed = [&] {
        return http::problem(status::unprocessable_entity, "the CSV is malformed",
                             {{"row " + std::to_string(reader.row()), std::string(reader.error())}},
                             version);
    };
    auto got = reader.next(cells);
    if (got == http::csv_reader::outcome::error) return malformed();
    if (got == http::csv_reader::outcome::end)
        return http::problem(status::unprocessable_entity, "the CSV is empty",
                             {{"row 1", "must name the columns"}}, version);
    auto const columns = header_columns(cells, batch.errors);
    if (!batch.errors.empty()) return std::nullopt;
    http::json_notes const no_notes; // a CSV cell is text: there is no number to keep exact
    std::size_t alerts = 0;
    while ((got = reader.next(cells)) == http::csv_reader::outcome::record) {
        if (cells.size() == 1 && cells[0].empty()) continue; // a blank row
        auto prefix = "row " + std::to_string(reader.row()) + ": ";
        if (++alerts > max_import_alerts)
            return too_many("row " + std::to_string(reader.row()), version);
        if (cells.size() != columns.size()) {
            batch.errors.push_back(
                {"row " + std::to_string(reader.row()), "has " + std::to_string(cells.size()) +
                                                            " fields; the header names " +
                                                            std::to_string(columns.size())});
            continue;
        }
        auto const before = batch.errors.size();
        auto object = row_object(cells, columns, prefix, batch.errors);
        if (batch.errors.size() != before) continue;
        auto c = read_alert_object(object, no_notes, alert_body_kind::create, prefix, batch.errors);
        if (!c) continue;
        batch.items.push_back(std::move(*c));
        batch.prefixes.push_back(std::move(prefix));
    }
    if (got == http::csv_reader::outcome::error) return malformed();
    return std::nullopt;
}

http::response invalid_import(std::vector<http::field_error> errors, unsigned version) {
    std::string detail = "the import is not valid; nothing was created";
    if (errors.size() > max_listed_errors) {
        detail += " (" + std::to_string(errors.size()) + " problems, the first " +
                  std::to_string(max_listed_errors) + " listed)";
        errors.resize(max_listed_errors);
    }
    return http::problem(status::unprocessable_entity, detail, errors, version);
}

// The alerts of an import as the writer inserts them.
struct new_alerts {
    std::vector<core::alert> alerts;
    std::vector<std::string> symbols; // canonical names, per alert
};

struct transfer_api : std::enable_shared_from_this<transfer_api> {
    std::shared_ptr<api_context> context;
    live_alerts& engine;
    alert_api_settings settings;

    transfer_api(std::shared_ptr<api_context> c, live_alerts& e, alert_api_settings s)
        : context(std::move(c))
        , engine(e)
        , settings(s) {}

    void exported(http::incoming in, http::responder respond);
    void imported(http::incoming in, http::responder respond);
    void write(std::shared_ptr<new_alerts const> batch, http::responder respond, unsigned version);
};

std::string export_text(std::vector<storage::alert_store::stored_alert> const& alerts, bool csv) {
    std::string out;
    if (csv) {
        auto const header = alert_header();
        http::append_csv_record(out, header);
        for (auto const& s : alerts)
            http::append_csv_record(out, alert_cells(s.alert, s.symbol));
        return out;
    }
    out = "{\"items\":[";
    bool first = true;
    for (auto const& s : alerts) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(alert_item(s.alert, s.symbol));
    }
    out += "]}";
    return out;
}

void transfer_api::exported(http::incoming in, http::responder respond) {
    auto who = caller(*context, in, respond);
    if (!who) return;
    auto const version = in.req.version();
    bool const csv = wants_csv(in.req[http::bhttp::field::accept]);
    storage::alert_store::alert_query query;
    query.owner = who->user.id;
    query.paging.limit = std::numeric_limits<std::int64_t>::max();
    context->workers().post([self = shared_from_this(), query, csv, respond, version] {
        auto page = self->context->workers().read(
            [&](SQLite::Database& db) { return storage::alert_store::list(db, query); });
        if (!page) return respond(storage_failure(page.err(), version));
        auto& alerts = page.value().items;
        std::reverse(alerts.begin(), alerts.end()); // oldest first: an import keeps the order
        auto body = export_text(alerts, csv);
        if (!csv) return respond(http::json_text_response(status::ok, std::move(body), version));
        http::response res{status::ok, version};
        res.set(http::bhttp::field::content_type, "text/csv; charset=utf-8");
        res.set(http::bhttp::field::content_disposition, "attachment; filename=\"alerts.csv\"");
        res.body() = std::move(body);
        res.prepare_payload();
        respond(std::move(res));
    });
}

void transfer_api::imported(http::incoming in, http::responder respond) {
    auto who = caller(*context, in, respond);
    if (!who) return;
    auto const version = in.req.version();
    auto limits = context->body_limits();
    limits.max_size = import_body_limit(limits.max_size);
    import_batch batch;
    auto refused = is_csv(in.req[http::bhttp::field::content_type])
                       ? read_csv(in.req.body(), batch, version)
                       : read_json(in.req.body(), limits, batch, version);
    if (refused) return respond(std::move(*refused));

    // Each item becomes an alert as POST /api/alerts makes it.
    auto const now = now_millis();
    auto out = std::make_shared<new_alerts>();
    out->alerts.reserve(batch.items.size());
    out->symbols.reserve(batch.items.size());
    for (std::size_t i = 0; i < batch.items.size(); ++i) {
        auto made = new_alert(batch.items[i], who->user.id, engine, now);
        if (auto* wrong = std::get_if<http::field_error>(&made)) {
            batch.errors.push_back({batch.prefixes[i] + wrong->field, std::move(wrong->message)});
            continue;
        }
        out->alerts.push_back(std::get<core::alert>(made));
        out->symbols.push_back(*batch.items[i].symbol);
    }
    if (!batch.errors.empty()) return respond(invalid_import(std::move(batch.errors), version));
    write(std::move(out), std::move(respond), version);
}

void transfer_api::write(std::shared_ptr<new_alerts const> batch, http::responder respond,
                         unsigned version) {
    auto const limit = static_cast<std::int64_t>(settings.max_active_per_user);
    auto const owner = batch->alerts.empty() ? core::user_id{0} : batch->alerts.front().owner;
    auto over_limit = std::make_shared<std::optional<std::int64_t>>();
    auto ids = std::make_shared<std::vector<core::alert_id>>();
    auto accepted = context->writer().submit(
        [batch, owner, limit, over_limit, ids](SQLite::Database& db) {
            ids->clear();
            over_limit->reset();
            auto const n = static_cast<std::int64_t>(batch->alerts.size());
            if (n == 0) return;
            auto const active = storage::alert_store::count_active(db, owner);
            if (active + n > limit) {
                *over_limit = active;
                return;
            }
            // One savepoint: every alert or none, whatever fails midway.
            storage::savepoint all(db, "alert_import");
            ids->reserve(batch->alerts.size());
            for (std::size_t i = 0; i < batch->alerts.size(); ++i)
                ids->push_back(
                    storage::alert_store::insert(db, batch->alerts[i], batch->symbols[i]));
            all.release();
        },
        [self = shared_from_this(), batch, over_limit, ids, limit, respond,
         version](storage::status st) {
            if (!st) return respond(storage_failure(st.err(), version));
            if (*over_limit)
                return respond(http::problem(
                    status::unprocessable_entity, "too many active alerts",
                    {{"items", "at most " + std::to_string(limit) +
                                   " active alerts per user: " + std::to_string(**over_limit) +
                                   " are active and the import adds " +
                                   std::to_string(batch->alerts.size())}},
                    version));
            json::array id_list;
            id_list.reserve(ids->size());
            for (std::size_t i = 0; i < ids->size(); ++i) {
                core::alert a = batch->alerts[i];
                a.id = (*ids)[i];
                self->engine.armed(a);
                id_list.emplace_back(a.id);
            }
            if (!ids->empty())
                log::info("alerts imported: ", ids->size(), " for user ",
                          batch->alerts.front().owner);
            respond(http::json_response(
                status::created,
                json::object{{"created", ids->size()}, {"ids", std::move(id_list)}}, version));
        });
    if (!accepted) respond(writer_refused(accepted.err(), version));
}

} // namespace

std::size_t import_body_limit(std::size_t max_body) noexcept {
    return std::max<std::size_t>(max_body, 16 * 1024 * 1024);
}

void add_alert_transfer_routes(http::router& r, std::shared_ptr<api_context> const& context,
                               live_alerts& engine, alert_api_settings settings) {
    auto api = std::make_shared<transfer_api>(context, engine, settings);
    r.add(http::verb::get, "/api/alerts/export", [api](http::incoming in, http::responder respond) {
        api->exported(std::move(in), std::move(respond));
    });
    r.add(http::verb::post, std::string(import_path),
          [api](http::incoming in, http::responder respond) {
              api->imported(std::move(in), std::move(respond));
          });
}

} // namespace kryptod::daemon::api
