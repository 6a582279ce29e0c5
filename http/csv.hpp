// CSV as RFC 4180 writes it, read one record at a time and written one
// record at a time: the wire format of alert import and export.
//
// Reading: fields are separated by commas, records by CRLF or a lone LF (a
// lone CR too, as old spreadsheet exports end lines). A field in double
// quotes may hold commas, line breaks and quotes (doubled: `""`). A UTF-8
// byte order mark at the very start, as spreadsheets write it, is skipped.
// The last record needs no line break after it. Rows are numbered from 1,
// counting records, not lines (a quoted line break does not start a row),
// so that the numbers match a spreadsheet's.
//
// Invariants: the reader never reads past its text and keeps no state
// beyond its position, so it can stop at any record; malformed text (a
// quoted field that is never closed, a quote inside an unquoted field, text
// after a closing quote) is an error naming the row it is in, and nothing
// after it is read. Writing quotes exactly the fields that need it, so
// reading what was written gives back the same fields.
//
// Thread-safety: a reader is used by one thread; the writers are stateless.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kryptod::http {

class csv_reader {
public:
    enum class outcome { record, end, error };

    // Reads `text`, which must outlive the reader.
    explicit csv_reader(std::string_view text) noexcept;

    // Reads the next record into `fields` (cleared first). `record`: the
    // fields are in and row() numbers them; `end`: no record was left;
    // `error`: the text is malformed in row(), error() says how, and every
    // later call answers `error` again.
    outcome next(std::vector<std::string>& fields);

    // The 1-based number of the record last read, or of the malformed one.
    std::size_t row() const noexcept { return row_; }

    // What is malformed, after `error`.
    std::string_view error() const noexcept { return error_; }

private:
    outcome fail(std::string_view why);
    // Reads a quoted field after its opening quote into `out`.
    bool quoted(std::string& out);

    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t row_ = 0;
    std::string_view error_;
};

// Appends one field, in quotes when it holds a comma, a quote, a line
// break, or leading or trailing spaces (which some readers trim).
void append_csv_field(std::string& out, std::string_view field);

// Appends one record: its fields separated by commas, ended by CRLF.
void append_csv_record(std::string& out, std::span<std::string const> fields);

} // namespace kryptod::http
