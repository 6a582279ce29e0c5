// Tests for http/static_files.hpp: what the web app's folder answers, its
// security headers, gzip, ETags, the single-page fallback and the paths it
// refuses (traversal, hidden files, /api/).
#include "http/static_files.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <zlib.h>

using namespace kryptod::http;
namespace fs = std::filesystem;

namespace {

std::string const app_js = "export const greeting = 'hello';\n" + std::string(4000, ' ') + "//\n";

void write(fs::path const& p, std::string const& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

std::string gunzip(std::string const& in) {
    z_stream z{};
    BOOST_REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    BOOST_REQUIRE(inflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    inflateEnd(&z);
    return out;
}

struct web_folder {
    kryptod::test_support::temp_dir dir{"kryptod-web"};
    fs::path root = dir.path / "web";
    std::optional<static_files> files;

    web_folder() {
        write(root / "index.html", "<!doctype html><title>kryptod</title>");
        write(root / "app.js", app_js);
        write(root / "vendor" / "lib-1.0.0.mjs", "export default 1;\n");
        write(root / ".secret", "not for clients");
        write(root / ".git" / "config", "not for clients");
        write(dir.path / "outside.txt", "outside the web root");
        files = static_files::load(root);
    }

    response call(std::string target, verb method = verb::get,
                  std::vector<std::pair<bhttp::field, std::string>> headers = {}) {
        incoming in;
        in.req = request{method, target, 11};
        for (auto const& [name, value] : headers)
            in.req.set(name, value);
        response out;
        (*files)(std::move(in), [&](response res) { out = std::move(res); });
        return out;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(static_files)

BOOST_FIXTURE_TEST_CASE(serves_files_with_their_type_and_the_security_headers, web_folder) {
    auto res = call("/app.js");
    BOOST_TEST(res.result_int() == 200);
    BOOST_TEST(res.body() == app_js);
    BOOST_TEST(res[bhttp::field::content_type] == "text/javascript; charset=utf-8");
    BOOST_TEST(res["Content-Security-Policy"] ==
               kryptod::http::static_files::content_security_policy);
    BOOST_TEST(res["Content-Security-Policy"].find("default-src 'self'") == 0u);
    BOOST_TEST(res["X-Content-Type-Options"] == "nosniff");
    BOOST_TEST(res["Referrer-Policy"] == "no-referrer");
    BOOST_TEST(res[bhttp::field::cache_control] == "no-cache");
    BOOST_TEST(!res[bhttp::field::etag].empty());

    auto index = call("/");
    BOOST_TEST(index.result_int() == 200);
    BOOST_TEST(index[bhttp::field::content_type] == "text/html; charset=utf-8");
    BOOST_TEST(index["Content-Security-Policy"].find("'unsafe-inline'") == std::string::npos);
    // Versioned vendored files never change.
    BOOST_TEST(call("/vendor/lib-1.0.0.mjs")[bhttp::field::cache_control] ==
               "public, max-age=31536000, immutable");
}

BOOST_FIXTURE_TEST_CASE(gzip_when_the_client_accepts_it, web_folder) {
    auto plain = call("/app.js");
    BOOST_TEST(plain[bhttp::field::vary] == "Accept-Encoding");
    BOOST_TEST(plain[bhttp::field::content_encoding].empty());

    auto gz = call("/app.js", verb::get, {{bhttp::field::accept_encoding, "gzip, deflate, br"}});
    BOOST_TEST(gz.result_int() == 200);
    BOOST_TEST(gz[bhttp::field::content_encoding] == "gzip");
    BOOST_TEST(gz.body().size() < app_js.size() / 4);
    BOOST_TEST(gunzip(gz.body()) == app_js);
    BOOST_TEST(gz[bhttp::field::etag] != plain[bhttp::field::etag]);

    auto refused = call("/app.js", verb::get, {{bhttp::field::accept_encoding, "gzip;q=0, br"}});
    BOOST_TEST(refused[bhttp::field::content_encoding].empty());
    BOOST_TEST(refused.body() == app_js);
}

BOOST_AUTO_TEST_CASE(accept_encoding_parsing) {
    BOOST_TEST(accepts_gzip("gzip"));
    BOOST_TEST(accepts_gzip("deflate, GZIP;q=0.5"));
    BOOST_TEST(accepts_gzip("*"));
    BOOST_TEST(accepts_gzip("x-gzip"));
    BOOST_TEST(!accepts_gzip(""));
    BOOST_TEST(!accepts_gzip("br, deflate"));
    BOOST_TEST(!accepts_gzip("gzip;q=0"));
    BOOST_TEST(!accepts_gzip("gzip; q=0.000"));
    BOOST_TEST(!accepts_gzip("*;q=0"));
}

BOOST_FIXTURE_TEST_CASE(revalidation_answers_304, web_folder) {
    auto const etag = std::string(call("/app.js")[bhttp::field::etag]);
    auto res = call("/app.js", verb::get, {{bhttp::field::if_none_match, etag}});
    BOOST_TEST(res.result_int() == 304);
    BOOST_TEST(res.body().empty());
    BOOST_TEST(res[bhttp::field::etag] == etag);
    BOOST_TEST(!res["Content-Security-Policy"].empty());
    BOOST_TEST(
        call("/app.js", verb::get, {{bhttp::field::if_none_match, "\"other\""}}).result_int() ==
        200);
}

BOOST_FIXTURE_TEST_CASE(head_answers_the_length_without_a_body, web_folder) {
    auto res = call("/app.js", verb::head);
    BOOST_TEST(res.result_int() == 200);
    BOOST_TEST(res.body().empty());
    BOOST_TEST(res[bhttp::field::content_length] == std::to_string(app_js.size()));
}

BOOST_FIXTURE_TEST_CASE(app_routes_get_index_html, web_folder) {
    auto const index = call("/").body();
    BOOST_TEST(call("/alerts/7").body() == index);
    BOOST_TEST(call("/reset-password?token=abc").body() == index);
    BOOST_TEST(call("/coins/BTCUSDT/").body() == index);
    // A missing file is not an app route.
    auto missing = call("/missing.js");
    BOOST_TEST(missing.result_int() == 404);
    BOOST_TEST(missing[bhttp::field::content_type] == "application/problem+json");
}

BOOST_FIXTURE_TEST_CASE(traversal_and_hidden_files_are_refused, web_folder) {
    for (auto target : {"/../outside.txt", "/vendor/../../outside.txt", "/%2e%2e/outside.txt",
                        "/..%2foutside.txt", "/vendor/..%5c..%5coutside.txt", "/.secret",
                        "/.git/config", "/./app.js", "//app.js", "/vendor\\..\\app.js"}) {
        auto res = call(target);
        BOOST_TEST(res.result_int() == 404, target);
        BOOST_TEST(res.body().find("outside") == std::string::npos, target);
        BOOST_TEST(res.body().find("not for clients") == std::string::npos, target);
        BOOST_TEST(!res["Content-Security-Policy"].empty(), target);
    }
}

BOOST_FIXTURE_TEST_CASE(api_paths_stay_404_problems, web_folder) {
    for (auto target : {"/api/nothing", "/api", "/api/alerts/7/nope"}) {
        auto res = call(target);
        BOOST_TEST(res.result_int() == 404, target);
        BOOST_TEST(res[bhttp::field::content_type] == "application/problem+json", target);
    }
}

BOOST_FIXTURE_TEST_CASE(only_get_and_head, web_folder) {
    auto res = call("/app.js", verb::post);
    BOOST_TEST(res.result_int() == 405);
    BOOST_TEST(res[bhttp::field::allow] == "GET, HEAD");
}

BOOST_AUTO_TEST_CASE(a_folder_without_index_html_is_refused) {
    kryptod::test_support::temp_dir dir{"kryptod-web"};
    BOOST_CHECK_THROW(kryptod::http::static_files::load(dir.path / "missing"), std::runtime_error);
    write(dir.path / "app.js", "x");
    BOOST_CHECK_THROW(kryptod::http::static_files::load(dir.path), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
