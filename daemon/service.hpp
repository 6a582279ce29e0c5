// The running daemon: one io_context carrying the HTTP listener and the
// lifecycle around it (signals, readiness, watchdog, clean stop).
//
// Start-up order: open the database (schema migrated), bind the listener,
// then READY=1: a manager that sees READY can rely on the port answering.
// Stop (SIGTERM/SIGINT): STOPPING=1, stop accepting, let sessions finish the
// request in hand (at most `drain_timeout`), close the database, return 0.
// SIGHUP re-reads the configuration file's log level.
//
// Thread-safety: run() is called once, from main's thread, which becomes the
// io_context thread.
#pragma once

#include "daemon/config.hpp"

#include <chrono>

namespace kryptod::daemon {

class service {
public:
    explicit service(command_line cmd);
    ~service();
    service(service const&) = delete;
    service& operator=(service const&) = delete;

    // Runs until a stop signal; returns the process exit status. Start-up
    // failures (database, port) are logged and give a non-zero status.
    int run();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace kryptod::daemon
