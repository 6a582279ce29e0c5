// kryptod: reads the command line and configuration, then runs what was
// asked: the daemon, or one of the admin commands.
//
// daemon/ is the process around the pure parts: it reads the configuration
// (config), wires core/, storage/ and http/ together and runs them on one
// io_context (service: start-up, readiness, signals, housekeeping on one
// cron, clean stop), and holds the parts that talk to the outside world:
// the exchange feed (feed/), the notification channels (notify/), the HTTP
// API's handlers (api/), the log and /metrics.
//
// Invariants of the folder:
// - One io_context thread evaluates every trade against the in-memory alert
//   index; nothing on it waits on disk or network. Durable writes go to the
//   storage writer's thread, deliveries to the outbox sender's, password
//   hashing and API reads to the account workers; results are posted back.
// - READY=1 is sent only when the database is open and migrated, every armed
//   alert is in the index and the listener accepts; a start-up failure exits
//   non-zero with one logged reason, never half-started.
// - A write is acknowledged (HTTP 2xx, a fire counted as recorded) only
//   after its transaction committed; a restart rebuilds the index from what
//   was committed.
// - Files kryptod creates (the database and its -wal/-shm, backups, the
//   secret) are readable by its user only.
// - Nothing is depended on by core/, storage/ or http/: they never include
//   daemon/.
#include "daemon/api/user_add.hpp"
#include "daemon/config.hpp"
#include "daemon/service.hpp"
#include "storage/backup.hpp"

#include <cstdio>
#include <iostream>

namespace {

// `kryptod backup FILE`: a consistent copy of the database, also while the
// daemon runs.
int run_backup(kryptod::daemon::command_line const& cmd) {
    try {
        kryptod::storage::backup(cmd.settings.storage.path, cmd.backup_path);
    } catch (std::exception const& e) {
        std::cerr << "kryptod: backup failed: " << e.what() << "\n";
        return 1;
    }
    std::cout << "backup of " << cmd.settings.storage.path.string() << " written to "
              << cmd.backup_path.string() << "\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    using namespace kryptod::daemon;
    command_line cmd;
    try {
        cmd = parse_command_line(argc, argv);
    } catch (config_error const& e) {
        std::cerr << "kryptod: " << e.what() << "\n";
        return 2;
    }
    switch (cmd.kind) {
    case command::help:
        std::cout << usage();
        return 0;
    case command::version:
        std::cout << version() << "\n";
        return 0;
    case command::run:
        break;
    case command::backup:
        return run_backup(cmd);
    case command::user_add: {
        // The password comes from standard input, never from the command line.
        auto outcome = api::user_add(cmd.settings, cmd.email, cmd.admin, std::cin);
        (outcome.exit_status == 0 ? std::cout : std::cerr) << outcome.message << "\n";
        return outcome.exit_status;
    }
    }
    log::set_output(log::output_from_environment(), 2);
    return service(std::move(cmd)).run();
}
