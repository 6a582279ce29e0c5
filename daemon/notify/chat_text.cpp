// notify::chat_text: the notice as one line of text.
#include "daemon/notify/chat_text.hpp"

#include "daemon/notify/email_message.hpp"

namespace kryptod::daemon::notify {

namespace {

// Control characters (C0, DEL) become spaces: the name stays on one line.
std::string one_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text)
        out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
    return out;
}

bool continuation(unsigned char c) noexcept {
    return (c & 0xc0) == 0x80;
}

} // namespace

std::string chat_text(alert_notice const& n) {
    std::string out = alert_subject(n);
    std::string const name = one_line(n.name);
    if (!name.empty()) out += " - \"" + name + "\"";
    out += " (alert #" + std::to_string(n.alert);
    if (n.backfilled) out += ", backfilled";
    out += ")";
    return out;
}

std::string chat_title(alert_notice const& n) {
    std::string out = "kryptod: ";
    for (char c : n.symbol)
        out.push_back(c > 0x20 && c < 0x7f ? c : '?');
    out += n.side == core::direction::above ? " above " : " below ";
    out += n.target.to_string();
    return out;
}

std::string truncate_utf8(std::string_view text, std::size_t max_chars) {
    // Where each code point starts; a stray continuation byte counts as one.
    std::size_t chars = 0;
    std::size_t cut = text.size(); // byte offset where code point max_chars - 1 starts
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (continuation(static_cast<unsigned char>(text[i])) && i != 0) continue;
        if (chars == max_chars - 1) cut = i;
        ++chars;
    }
    if (chars <= max_chars) return std::string(text);
    return std::string(text.substr(0, cut)) + "\u2026";
}

} // namespace kryptod::daemon::notify
