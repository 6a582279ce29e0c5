// The web app's files: read once from a folder at start-up, answered from
// memory.
//
// Invariants:
// - Only the files found when loading can ever be answered: a request path is
//   a key into that table, never joined onto the folder, so `..`, encoded
//   separators or symlinks planted later cannot reach another file. Hidden
//   entries (a name starting with '.') are neither loaded nor answered.
// - Every answer (files, 304s and 404s alike) carries the app's security
//   headers: the strict Content-Security-Policy (scripts, styles, images and
//   connections from this origin only, nothing inline), nosniff and
//   no-referrer.
// - A compressible file is gzip-compressed once, when loaded; a client whose
//   Accept-Encoding takes gzip gets those bytes (`Content-Encoding: gzip`,
//   its own ETag), every other client the plain ones; `Vary` says so.
// - Paths under /api/ are never the app's: they stay 404 problem answers.
//   A path with no file whose last segment has no dot is a route of the
//   single-page app (/alerts/7, /reset-password) and gets index.html.
//
// Thread-safety: immutable after load(); copies share the table and may
// answer from any thread.
#pragma once

#include "http/router.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace kryptod::http {

class static_files {
public:
    // The Content-Security-Policy every answer carries.
    static constexpr std::string_view content_security_policy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'";

    // Reads every regular file under `root`, recursively, skipping hidden
    // entries. Throws std::runtime_error naming the problem when `root` is
    // not a readable folder, has no index.html, or holds more than 64 MiB.
    static static_files load(std::filesystem::path const& root);

    // Answers GET and HEAD from the table; other methods are 405.
    void operator()(incoming in, responder respond) const;

    // How many files were loaded, and their total size (for the start-up log).
    std::size_t file_count() const;
    std::size_t total_bytes() const;

    struct table;

private:
    explicit static_files(std::shared_ptr<table const> files)
        : files_(std::move(files)) {}
    std::shared_ptr<table const> files_;
};

// Whether an Accept-Encoding header value accepts gzip (a `gzip`, `x-gzip`
// or `*` member whose q is not 0).
bool accepts_gzip(std::string_view accept_encoding);

} // namespace kryptod::http
