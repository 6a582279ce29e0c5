// The CSV reader and writer (see csv.hpp for the dialect).
#include "http/csv.hpp"

namespace kryptod::http {

namespace {

constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";

bool needs_quotes(std::string_view field) noexcept {
    if (field.empty()) return false;
    return field.find_first_of(",\"\r\n") != std::string_view::npos || field.front() == ' ' ||
           field.back() == ' ';
}

} // namespace

csv_reader::csv_reader(std::string_view text) noexcept
    : text_(text) {
    if (text_.starts_with(byte_order_mark)) pos_ = byte_order_mark.size();
}

csv_reader::outcome csv_reader::fail(std::string_view why) {
    error_ = why;
    return outcome::error;
}

bool csv_reader::quoted(std::string& out) {
    for (;;) {
        auto const close = text_.find('"', pos_);
        if (close == std::string_view::npos) return false;
        out.append(text_.substr(pos_, close - pos_));
        pos_ = close + 1;
        // A doubled quote is one quote of the field's text.
        if (pos_ < text_.size() && text_[pos_] == '"') {
            out += '"';
            ++pos_;
            continue;
        }
        return true;
    }
}

csv_reader::outcome csv_reader::next(std::vector<std::string>& fields) {
    if (!error_.empty()) return outcome::error;
    fields.clear();
    if (pos_ >= text_.size()) return outcome::end;
    ++row_;
    auto const size = text_.size();
    for (;;) {
        std::string field;
        if (text_[pos_] == '"') {
            ++pos_;
            if (!quoted(field)) return fail("a quoted field is not closed");
            if (pos_ < size && text_[pos_] != ',' && text_[pos_] != '\r' && text_[pos_] != '\n')
                return fail("text follows the closing quote of a field");
        } else {
            auto stop = text_.find_first_of(",\r\n\"", pos_);
            if (stop == std::string_view::npos) stop = size;
            if (stop < size && text_[stop] == '"')
                return fail("a quote inside a field that does not start with one");
            field.assign(text_.substr(pos_, stop - pos_));
            pos_ = stop;
        }
        fields.push_back(std::move(field));
        if (pos_ >= size) return outcome::record;
        char const separator = text_[pos_++];
        if (separator == ',') {
            // A comma at the very end still opens an (empty) last field.
            if (pos_ >= size) {
                fields.emplace_back();
                return outcome::record;
            }
            continue;
        }
        if (separator == '\r' && pos_ < size && text_[pos_] == '\n') ++pos_;
        return outcome::record;
    }
}

void append_csv_field(std::string& out, std::string_view field) {
    if (!needs_quotes(field)) {
        out += field;
        return;
    }
    out += '"';
    for (char ch : field) {
        if (ch == '"') out += '"';
        out += ch;
    }
    out += '"';
}

void append_csv_record(std::string& out, std::span<std::string const> fields) {
    bool first = true;
    for (auto const& f : fields) {
        if (!first) out += ',';
        first = false;
        append_csv_field(out, f);
    }
    out += "\r\n";
}

} // namespace kryptod::http
