// notify::email_message: renders kryptod's emails. See the header for the
// invariants; the helpers below keep user text out of header syntax.
#include "daemon/notify/email_message.hpp"

#include "core/rfc3339.hpp"
#include "daemon/config.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <vector>

namespace kryptod::daemon::notify {

namespace {

constexpr std::size_t max_line = 998;  // RFC 5322 §2.1.1 hard limit
constexpr std::size_t fold_width = 78; // RFC 5322 §2.1.1 recommended limit

bool is_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int const n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// Control characters (and DEL) to spaces, runs of spaces to one, trimmed.
std::string flatten(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        bool const space = c < 0x20 || c == 0x7f || c == ' ';
        if (space) {
            if (!out.empty() && out.back() != ' ') out.push_back(' ');
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

// Length of the UTF-8 sequence starting with `lead` (1 for anything odd, so
// that a malformed byte never stalls the splitter).
std::size_t utf8_length(unsigned char lead) {
    if (lead >= 0xf0 && lead < 0xf8) return 4;
    if (lead >= 0xe0) return lead < 0xf0 ? 3 : 1;
    if (lead >= 0xc0) return 2;
    return 1;
}

// RFC 2047 B-encoded words, each at most 75 characters, never splitting a
// UTF-8 character, separated by folding white space.
std::string encoded_words(std::string_view text, std::size_t used) {
    constexpr std::size_t max_chunk = 45; // 60 base64 characters + 12 of syntax
    std::string out;
    std::size_t line = used;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t end = i;
        while (end < text.size()) {
            std::size_t const n = utf8_length(static_cast<unsigned char>(text[end]));
            if (end + n - i > max_chunk) break;
            end = std::min(text.size(), end + n);
        }
        if (end == i) end = std::min(text.size(), i + max_chunk);
        std::string const word = "=?UTF-8?B?" + base64(text.substr(i, end - i)) + "?=";
        if (!out.empty()) {
            if (line + 1 + word.size() > fold_width) {
                out += "\r\n";
                line = 0;
            }
            out += ' ';
            ++line;
        }
        out += word;
        line += word.size();
        i = end;
    }
    return out;
}

// Plain text with spaces folded onto continuation lines near fold_width;
// a word longer than a line stays whole (up to max_line).
std::string folded(std::string const& text, std::size_t used) {
    std::string out;
    std::size_t line = used;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t space = text.find(' ', i);
        if (space == std::string::npos) space = text.size();
        std::string_view word(text.data() + i, space - i);
        if (i > 0) {
            if (line + 1 + word.size() > fold_width && line > 1) {
                out += "\r\n";
                line = 0;
            }
            out += ' ';
            ++line;
        }
        out.append(word.substr(0, max_line - 1 - std::min(line, max_line - 1)));
        line += word.size();
        i = space + 1;
        if (space == text.size()) break;
    }
    return out;
}

// Splits `body` into lines (LF or CRLF), as they will be sent.
std::vector<std::string_view> body_lines(std::string_view body) {
    std::vector<std::string_view> lines;
    std::size_t i = 0;
    while (i <= body.size()) {
        std::size_t nl = body.find('\n', i);
        if (nl == std::string_view::npos) {
            if (i < body.size()) lines.push_back(body.substr(i));
            break;
        }
        std::size_t end = nl;
        if (end > i && body[end - 1] == '\r') --end;
        lines.push_back(body.substr(i, end - i));
        i = nl + 1;
    }
    return lines;
}

// Quoted-printable (RFC 2045 §6.7) of one line, soft-broken under 76.
void append_quoted_printable(std::string& out, std::string_view line) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::size_t width = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        unsigned char const c = static_cast<unsigned char>(line[i]);
        bool const last = i + 1 == line.size();
        bool const literal =
            (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
        std::size_t const need = literal ? 1 : 3;
        if (width + need > 75) {
            out += "=\r\n";
            width = 0;
        }
        if (literal) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('=');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        }
        width += need;
    }
    out += "\r\n";
}

// Header and body of a text/plain message.
std::string assemble(std::string_view from, std::string_view to, std::string_view subject,
                     std::string_view message_id, core::millis now, std::string_view body) {
    auto const lines = body_lines(body);
    bool plain = is_ascii(body);
    for (auto line : lines)
        if (line.size() > max_line || line.find('\r') != std::string_view::npos) plain = false;

    std::string m;
    m.reserve(body.size() + 512);
    m += "From: kryptod <";
    m += from;
    m += ">\r\nTo: <";
    m += to;
    m += ">\r\nDate: ";
    m += rfc5322_date(now);
    m += "\r\nSubject: ";
    m += header_text(subject, 9);
    m += "\r\nMessage-ID: ";
    m += message_id;
    m += "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: ";
    m += plain ? "7bit" : "quoted-printable";
    m += "\r\nAuto-Submitted: auto-generated\r\n\r\n";
    for (auto line : lines) {
        if (plain) {
            m += line;
            m += "\r\n";
        } else {
            append_quoted_printable(m, line);
        }
    }
    return m;
}

char const* direction_word(core::direction side) {
    return side == core::direction::above ? "above" : "below";
}

} // namespace

std::string message_id_for(std::int64_t outbox_id, std::string_view delivery_id) {
    std::string id = "<outbox-" + std::to_string(outbox_id) + "-";
    for (char c : delivery_id) {
        bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        id.push_back(ok ? c : '_');
    }
    id += "@kryptod>";
    return id;
}

std::string alert_subject(alert_notice const& n) {
    if (n.kind == core::alert_kind::move) return move_headline(n);
    return n.symbol + " " + direction_word(n.side) + " " + n.target.to_string() + ": fired at " +
           n.trigger_price.to_string();
}

std::string header_text(std::string_view text, std::size_t used) {
    std::string const flat = flatten(text);
    if (is_ascii(flat)) return folded(flat, used);
    return encoded_words(flat, used);
}

bool plain_address(std::string_view address) noexcept {
    if (!valid_email(address)) return false;
    return address.find_first_of("<>()[],;:\\\"") == std::string_view::npos;
}

std::string rfc5322_date(core::millis t) {
    static constexpr std::array<char const*, 7> days{"Sun", "Mon", "Tue", "Wed",
                                                     "Thu", "Fri", "Sat"};
    static constexpr std::array<char const*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t const seconds = static_cast<std::time_t>(t / 1000 - (t % 1000 < 0 ? 1 : 0));
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buf;
}

email_result render_alert_email(alert_notice const& n, std::string_view from, std::string_view to,
                                std::string_view message_id, core::millis now) {
    email_result out;
    if (!plain_address(from)) {
        out.error = "smtp.from is not a plain address";
        return out;
    }
    if (!plain_address(to)) {
        out.error = "the recipient address is not a plain address";
        return out;
    }
    std::string const name = flatten(n.name);
    std::string body;
    body += name.empty() ? "Your kryptod alert #" + std::to_string(n.alert)
                         : "Your kryptod alert \"" + name + "\"";
    if (n.kind == core::alert_kind::move)
        body += " fired: " + move_headline(n) + ".\n\n";
    else
        body += " fired: " + n.symbol + " reached " + n.trigger_price.to_string() + ".\n\n";
    body += "Alert:          " + (name.empty() ? std::string("(no name)") : name) + "\n";
    body += "Alert id:       " + std::to_string(n.alert) + "\n";
    body += "Coin:           " + n.symbol + "\n";
    if (n.kind == core::alert_kind::move) {
        body += std::string("Condition:      move ") + std::string(core::to_string(n.move_side)) +
                " " + core::format_move_percent(n.move_percent) + " % within " +
                window_text(n.window_seconds) + "\n";
        body += "Measured from:  " + n.reference_price.value_or(core::price{}).to_string() +
                " (the window's " + (n.move_side == core::move_direction::up ? "low" : "high") +
                ", traded " + core::format_rfc3339(n.reference_time) + ")\n";
    } else {
        body += std::string("Condition:      price ") + direction_word(n.side) + " " +
                n.target.to_string() + "\n";
    }
    body += "Trigger price:  " + n.trigger_price.to_string() + "\n";
    body += "Exchange time:  " + core::format_rfc3339(n.exchange_time) + "\n";
    body += "Detected at:    " + core::format_rfc3339(n.detected_at) + "\n";
    body += std::string("Backfilled:     ") +
            (n.backfilled ? "yes (the trade happened while the exchange feed was "
                            "interrupted and was replayed afterwards)"
                          : "no") +
            "\n";
    out.value = email_message{std::string(from), std::string(to), std::string(message_id),
                              assemble(from, to, alert_subject(n), message_id, now, body)};
    return out;
}

email_result render_account_email(account_email const& e, std::string_view from,
                                  std::string_view message_id, core::millis now) {
    email_result out;
    if (!plain_address(from)) {
        out.error = "smtp.from is not a plain address";
        return out;
    }
    if (!plain_address(e.to)) {
        out.error = "the recipient address is not a plain address";
        return out;
    }
    out.value = email_message{std::string(from), e.to, std::string(message_id),
                              assemble(from, e.to, e.subject, message_id, now, e.body)};
    return out;
}

} // namespace kryptod::daemon::notify
