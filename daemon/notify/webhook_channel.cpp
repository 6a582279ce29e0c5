// notify::webhook_channel: builds the signed POST and reads the answer.
#include "daemon/notify/webhook_channel.hpp"

#include "core/rfc3339.hpp"
#include "daemon/notify/http_lane.hpp"
#include "daemon/notify/http_outcome.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <variant>

namespace kryptod::daemon::notify {

namespace {

class webhook_channel final : public channel {
public:
    explicit webhook_channel(http_lane& http)
        : http_(http) {}

    core::channel id() const noexcept override { return core::channel::webhook; }

    plan prepare(attempt const& a) override {
        plan p;
        auto const* alert = std::get_if<alert_notice>(&a.what);
        if (alert == nullptr) {
            p.refused = {delivery_outcome::permanent, 0, "account messages go by email only",
                         "not a webhook message"};
            return p;
        }
        if (a.user == nullptr || !a.user->webhook_url || a.user->webhook_url->empty()) {
            p.refused = {delivery_outcome::permanent, 0, "the user has no webhook_url",
                         "no webhook_url"};
            return p;
        }
        http_request req;
        req.url = *a.user->webhook_url;
        std::int64_t const timestamp = a.now / 1000;
        req.body = webhook_body(*alert, a.row.delivery_id);
        req.headers = {
            "Content-Type: application/json", "X-Kryptod-Delivery: " + a.row.delivery_id,
            "X-Kryptod-Timestamp: " + std::to_string(timestamp),
            "X-Kryptod-Signature: " +
                webhook_signature(a.user->webhook_secret.value_or(""), timestamp, req.body)};
        p.destination = "webhook " + origin_of(req.url);
        p.start = [this, req = std::move(req)](completion done) mutable {
            http_.submit(std::move(req), [done = std::move(done)](http_answer answer) {
                done(judge_http(answer));
            });
        };
        return p;
    }

private:
    http_lane& http_;
};

} // namespace

std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body) {
    std::string const signed_text = std::to_string(timestamp) + "." + std::string(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<unsigned char const*>(signed_text.data()), signed_text.size(), mac,
         &mac_len);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "sha256=";
    for (unsigned int i = 0; i < mac_len; ++i) {
        out.push_back(hex[mac[i] >> 4]);
        out.push_back(hex[mac[i] & 0xf]);
    }
    return out;
}

std::string webhook_body(alert_notice const& n, std::string_view delivery_id) {
    namespace json = boost::json;
    json::object alert;
    alert["id"] = n.alert;
    alert["symbol"] = n.symbol;
    alert["name"] = n.name;
    alert["kind"] = core::to_string(n.kind);
    if (n.kind == core::alert_kind::move) {
        alert["percent"] = core::format_move_percent(n.move_percent);
        alert["window_seconds"] = n.window_seconds;
        alert["direction"] = core::to_string(n.move_side);
    } else {
        alert["target_price"] = n.target.to_string();
        alert["direction"] = core::to_string(n.side);
    }
    json::object o;
    o["type"] = "alert.triggered";
    o["delivery_id"] = delivery_id;
    o["alert"] = std::move(alert);
    o["price"] = n.trigger_price.to_string();
    o["exchange_time"] = core::format_rfc3339(n.exchange_time);
    o["detected_at"] = core::format_rfc3339(n.detected_at);
    o["backfilled"] = n.backfilled;
    if (n.kind == core::alert_kind::move) {
        o["reference_price"] = n.reference_price.value_or(core::price{}).to_string();
        o["reference_time"] = core::format_rfc3339(n.reference_time);
        o["text"] = move_headline(n);
    }
    return json::serialize(o);
}

std::unique_ptr<channel> make_webhook_channel(channel_context const& context) {
    return std::make_unique<webhook_channel>(context.http);
}

} // namespace kryptod::daemon::notify
