// notify::curl_global: libcurl's process-wide initialisation, done once.
//
// curl_global_init() is not thread-safe in every libcurl kryptod may meet,
// so every user of an easy handle calls ensure_curl() first; it runs the
// initialisation exactly once (std::call_once) and never cleans up, since
// libcurl must outlive every handle of every thread.
#pragma once

namespace kryptod::daemon::notify {

// Initialises libcurl once. Throws std::runtime_error when libcurl cannot be
// initialised (out of memory, broken TLS library).
void ensure_curl();

} // namespace kryptod::daemon::notify
