// Tests for http/csv.hpp: RFC 4180 records (quoted commas, quotes and line
// breaks, CRLF), a spreadsheet's byte order mark, malformed text refused
// naming its row, and what the writer writes read back unchanged.
#include "http/csv.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace kryptod::http;

namespace {

using records = std::vector<std::vector<std::string>>;

// Every record of `text`; fails the test on malformed text.
records read_all(std::string_view text) {
    csv_reader reader(text);
    records out;
    std::vector<std::string> fields;
    for (;;) {
        auto const o = reader.next(fields);
        if (o == csv_reader::outcome::end) return out;
        BOOST_TEST_REQUIRE((o == csv_reader::outcome::record),
                           "row " << reader.row() << ": " << reader.error());
        BOOST_TEST(reader.row() == out.size() + 1);
        out.push_back(fields);
    }
}

// The row and the message of the first malformed record of `text`.
std::pair<std::size_t, std::string> error_of(std::string_view text) {
    csv_reader reader(text);
    std::vector<std::string> fields;
    for (;;) {
        auto const o = reader.next(fields);
        BOOST_TEST_REQUIRE((o != csv_reader::outcome::end), "no error in " << text);
        if (o == csv_reader::outcome::error) return {reader.row(), std::string(reader.error())};
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(csv)

BOOST_AUTO_TEST_CASE(plain_records_with_either_line_end) {
    records const want{{"symbol", "target_price"}, {"BTCUSDT", "70000"}, {"ETHUSDT", "3000"}};
    BOOST_TEST((read_all("symbol,target_price\r\nBTCUSDT,70000\r\nETHUSDT,3000\r\n") == want));
    BOOST_TEST((read_all("symbol,target_price\nBTCUSDT,70000\nETHUSDT,3000") == want));
    BOOST_TEST((read_all("symbol,target_price\rBTCUSDT,70000\rETHUSDT,3000\r") == want));
    BOOST_TEST((read_all("").empty()));
}

BOOST_AUTO_TEST_CASE(empty_fields_and_blank_lines) {
    BOOST_TEST((read_all("a,,c\r\n,,\r\n") == (records{{"a", "", "c"}, {"", "", ""}})));
    BOOST_TEST((read_all("a,") == (records{{"a", ""}})));
    // A blank line is a record of one empty field, and counts as a row.
    BOOST_TEST((read_all("a\n\nb\n") == (records{{"a"}, {""}, {"b"}})));
}

BOOST_AUTO_TEST_CASE(quoted_commas_quotes_and_line_breaks) {
    auto const got = read_all("name,note\r\n"
                              "\"Smith, John\",\"say \"\"hi\"\"\"\r\n"
                              "\"two\r\nlines\",\"\"\r\n"
                              "\"lf\nonly\",\"\"\"\"\n");
    BOOST_TEST((got == (records{{"name", "note"},
                                {"Smith, John", "say \"hi\""},
                                {"two\r\nlines", ""},
                                {"lf\nonly", "\""}})));
}

BOOST_AUTO_TEST_CASE(rows_count_records_not_lines) {
    csv_reader reader("h\n\"a\nb\nc\"\n\"unclosed\nx\n");
    std::vector<std::string> fields;
    BOOST_TEST((reader.next(fields) == csv_reader::outcome::record));
    BOOST_TEST((reader.next(fields) == csv_reader::outcome::record));
    BOOST_TEST(reader.row() == 2u);
    BOOST_TEST((reader.next(fields) == csv_reader::outcome::error));
    BOOST_TEST(reader.row() == 3u);
    // An error stays an error.
    BOOST_TEST((reader.next(fields) == csv_reader::outcome::error));
}

BOOST_AUTO_TEST_CASE(a_byte_order_mark_is_skipped_only_at_the_start) {
    BOOST_TEST((read_all("\xEF\xBB\xBFsymbol,name\r\nBTCUSDT,\xC3\xA9t\xC3\xA9\r\n") ==
                (records{{"symbol", "name"}, {"BTCUSDT", "\xC3\xA9t\xC3\xA9"}})));
    BOOST_TEST((read_all("a\n\xEF\xBB\xBF"
                         "b\n") == (records{{"a"},
                                            {"\xEF\xBB\xBF"
                                             "b"}})));
}

BOOST_AUTO_TEST_CASE(malformed_text_names_its_row) {
    auto const unclosed = error_of("symbol,name\nBTCUSDT,ok\nETHUSDT,\"never closed\nSOLUSDT,x\n");
    BOOST_TEST(unclosed.first == 3u);
    BOOST_TEST(unclosed.second == "a quoted field is not closed");
    auto const stray = error_of("a,b\nc,d\"e\n");
    BOOST_TEST(stray.first == 2u);
    BOOST_TEST(stray.second == "a quote inside a field that does not start with one");
    auto const after = error_of("a,b\n\"c\"d,e\n");
    BOOST_TEST(after.first == 2u);
    BOOST_TEST(after.second == "text follows the closing quote of a field");
    BOOST_TEST(error_of("\"").first == 1u);
}

BOOST_AUTO_TEST_CASE(the_writer_quotes_what_needs_it) {
    std::string out;
    std::vector<std::string> const fields{"plain", "a,b", "say \"hi\"", "two\nlines", " pad", ""};
    append_csv_record(out, fields);
    BOOST_TEST(out == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\",\r\n");
}

BOOST_AUTO_TEST_CASE(what_is_written_reads_back_unchanged) {
    records const want{{"symbol", "name", "channels"},
                       {"BTCUSDT", "Smith, \"J\"\r\n2nd line", "email,webhook"},
                       {"ETHUSDT", "", "email"},
                       {"", " x ", "\xE2\x82\xAC"}};
    std::string text;
    for (auto const& r : want)
        append_csv_record(text, r);
    BOOST_TEST((read_all(text) == want));
}

BOOST_AUTO_TEST_SUITE_END()
