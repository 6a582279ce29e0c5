// kryptod: reads the command line and configuration, then runs what was
// asked: the daemon, or one of the admin commands.
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
