// Serving the web app's files from memory; see static_files.hpp.
#include "http/static_files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <zlib.h>

namespace kryptod::http {

namespace fs = std::filesystem;
using namespace std::literals;

namespace {

constexpr std::size_t max_total_bytes = 64u << 20;

struct file {
    std::string body;
    std::string gzipped; // empty: not worth compressing
    std::string content_type;
    std::string etag;    // of `body`, quoted
    std::string gz_etag; // of `gzipped`, quoted
    bool immutable = false;
};

struct content_type_row {
    std::string_view extension;
    std::string_view type;
    bool compressible;
};

constexpr auto content_types = std::to_array<content_type_row>({
    {".html", "text/html; charset=utf-8", true},
    {".js", "text/javascript; charset=utf-8", true},
    {".mjs", "text/javascript; charset=utf-8", true},
    {".css", "text/css; charset=utf-8", true},
    {".json", "application/json", true},
    {".map", "application/json", true},
    {".webmanifest", "application/manifest+json", true},
    {".svg", "image/svg+xml", true},
    {".txt", "text/plain; charset=utf-8", true},
    {"", "text/plain; charset=utf-8", true}, // LICENSE, NOTICE
    {".png", "image/png", false},
    {".ico", "image/x-icon", true},
    {".woff2", "font/woff2", false},
});

content_type_row type_of(fs::path const& p) {
    auto const ext = p.extension().string();
    for (auto const& row : content_types)
        if (row.extension == ext) return row;
    return {ext, "application/octet-stream", false};
}

// FNV-1a, 64 bits: a stable content hash for ETags (not a security measure:
// an ETag only has to change when the bytes do).
std::string etag_of(std::string_view bytes, std::string_view suffix) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
    std::array<char, 17> hex{};
    for (int i = 15; i >= 0; --i, h >>= 4)
        hex[static_cast<std::size_t>(i)] = "0123456789abcdef"[h & 15];
    return "\"" + std::string(hex.data(), 16) + std::string(suffix) + "\"";
}

// The gzip member of `bytes` at the best compression level.
std::string gzip(std::string_view bytes) {
    z_stream z{};
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("zlib: deflateInit2 failed");
    std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    auto const rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
    return out;
}

std::string read_all(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::move(ss).str();
}

bool hidden(fs::path const& relative) {
    return std::ranges::any_of(relative,
                               [](fs::path const& part) { return part.string().starts_with('.'); });
}

void set_security_headers(response& res) {
    res.set("Content-Security-Policy", static_files::content_security_policy);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
}

response not_found(unsigned version) {
    auto res = problem(status::not_found, "no such resource", {}, version);
    set_security_headers(res);
    return res;
}

// Whether the If-None-Match header value names `etag` (or is `*`).
bool matches(std::string_view if_none_match, std::string_view etag) {
    if (if_none_match.empty()) return false;
    if (if_none_match == "*") return true;
    std::size_t pos = 0;
    while (pos < if_none_match.size()) {
        auto end = if_none_match.find(',', pos);
        if (end == std::string_view::npos) end = if_none_match.size();
        auto token = if_none_match.substr(pos, end - pos);
        while (!token.empty() && token.front() == ' ')
            token.remove_prefix(1);
        while (!token.empty() && token.back() == ' ')
            token.remove_suffix(1);
        if (token.starts_with("W/")) token.remove_prefix(2);
        if (token == etag) return true;
        pos = end + 1;
    }
    return false;
}

// The table key of a request path ("/app.js" → "app.js"), or nothing when a
// segment is empty-named, hidden ("." and ".." included) or holds a
// character no loaded file name can have.
std::optional<std::string> key_of(std::string_view path) {
    if (path == "/") return std::string("index.html");
    if (!path.starts_with('/')) return std::nullopt;
    path.remove_prefix(1);
    if (path.find_first_of("\\%\0"sv) != std::string_view::npos) return std::nullopt;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        auto end = path.find('/', pos);
        if (end == std::string_view::npos) end = path.size();
        auto const segment = path.substr(pos, end - pos);
        if (segment.empty() || segment.front() == '.') return std::nullopt;
        pos = end + 1;
    }
    return std::string(path);
}

} // namespace

struct static_files::table {
    std::map<std::string, file, std::less<>> files;
    std::size_t bytes = 0;
};

bool accepts_gzip(std::string_view accept_encoding) {
    std::size_t pos = 0;
    bool star = false;
    while (pos < accept_encoding.size()) {
        auto end = accept_encoding.find(',', pos);
        if (end == std::string_view::npos) end = accept_encoding.size();
        auto member = accept_encoding.substr(pos, end - pos);
        pos = end + 1;
        auto const semi = member.find(';');
        auto name = member.substr(0, semi);
        while (!name.empty() && name.front() == ' ')
            name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ')
            name.remove_suffix(1);
        bool refused = false;
        if (semi != std::string_view::npos) {
            auto params = std::string(member.substr(semi + 1));
            std::erase(params, ' ');
            // q=0, q=0.0, q=0.00, q=0.000: a q of zero refuses.
            if (params.starts_with("q=0") && params.find_first_not_of("0.", 2) == std::string::npos)
                refused = true;
        }
        std::string lower(name);
        std::ranges::transform(lower, lower.begin(),
                               [](unsigned char c) { return std::tolower(c); });
        if (lower == "gzip" || lower == "x-gzip") return !refused;
        if (lower == "*") star = !refused;
    }
    return star;
}

static_files static_files::load(fs::path const& root) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) throw std::runtime_error(root.string() + " is not a folder");
    auto t = std::make_shared<table>();
    auto const options = fs::directory_options::skip_permission_denied;
    for (auto it = fs::recursive_directory_iterator(root, options, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        auto const relative = it->path().lexically_relative(root);
        if (hidden(relative)) {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file()) continue;
        auto const row = type_of(relative);
        file f;
        f.body = read_all(it->path());
        t->bytes += f.body.size();
        if (t->bytes > max_total_bytes)
            throw std::runtime_error(root.string() + " holds more than 64 MiB");
        f.content_type = row.type;
        f.etag = etag_of(f.body, "");
        if (row.compressible) {
            auto gz = gzip(f.body);
            if (gz.size() + 64 < f.body.size()) {
                f.gz_etag = etag_of(f.body, "-gz");
                f.gzipped = std::move(gz);
            }
        }
        auto key = relative.generic_string();
        // Vendored files carry their version in their name, so they never change.
        f.immutable = key.starts_with("vendor/");
        t->files.emplace(std::move(key), std::move(f));
    }
    if (ec) throw std::runtime_error("cannot list " + root.string() + ": " + ec.message());
    if (!t->files.contains("index.html"))
        throw std::runtime_error(root.string() + " has no index.html");
    return static_files(std::move(t));
}

std::size_t static_files::file_count() const {
    return files_->files.size();
}

std::size_t static_files::total_bytes() const {
    return files_->bytes;
}

void static_files::operator()(incoming in, responder respond) const {
    auto const version = in.req.version();
    auto const path = target_path(in.req.target());
    if (path == "/api" || path.starts_with("/api/")) return respond(not_found(version));
    auto const method = in.req.method();
    if (method != verb::get && method != verb::head) {
        auto res =
            problem(status::method_not_allowed,
                    std::string(in.req.method_string()) + " is not allowed here", {}, version);
        res.set(bhttp::field::allow, "GET, HEAD");
        set_security_headers(res);
        return respond(std::move(res));
    }
    auto const key = key_of(path);
    if (!key) return respond(not_found(version));
    auto found = files_->files.find(*key);
    if (found == files_->files.end()) {
        auto const last = key->substr(key->rfind('/') + 1);
        if (last.find('.') != std::string::npos) return respond(not_found(version));
        found = files_->files.find("index.html");
    }
    auto const& f = found->second;
    bool const gz = !f.gzipped.empty() && accepts_gzip(in.req[bhttp::field::accept_encoding]);
    auto const& etag = gz ? f.gz_etag : f.etag;

    response res{status::ok, version};
    set_security_headers(res);
    res.set(bhttp::field::etag, etag);
    res.set(bhttp::field::cache_control,
            f.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (!f.gzipped.empty()) res.set(bhttp::field::vary, "Accept-Encoding");
    if (matches(in.req[bhttp::field::if_none_match], etag)) {
        res.result(status::not_modified);
        res.prepare_payload();
        return respond(std::move(res));
    }
    res.set(bhttp::field::content_type, f.content_type);
    if (gz) res.set(bhttp::field::content_encoding, "gzip");
    auto const& bytes = gz ? f.gzipped : f.body;
    if (method == verb::head) {
        res.content_length(bytes.size());
    } else {
        res.body() = bytes;
        res.prepare_payload();
    }
    respond(std::move(res));
}

} // namespace kryptod::http
