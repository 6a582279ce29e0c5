// storage::database: opening kryptod's SQLite file and migrating its schema.
//
// What kryptod promises about durability
// --------------------------------------
// - The file runs in WAL mode with `synchronous=FULL`: every COMMIT fsyncs the
//   write-ahead log before it returns. A write is acknowledged to its caller
//   (the writer posts success) only after its COMMIT returned, so an
//   acknowledged write survives `kill -9` of the daemon and a power loss of a
//   machine whose disk honours fsync.
// - A write that was not acknowledged may or may not be there after a crash,
//   but never in part: each writer job runs in its own SAVEPOINT inside the
//   batch's transaction, and a fire (alert state, `triggered` event, outbox
//   rows) is one job.
// - The cost of FULL is one fsync per transaction; the writer amortises it by
//   committing many jobs per transaction (group commit, see writer.hpp).
// - Readers use separate read-only connections; in WAL mode they see the last
//   committed state and never block the writer, nor does it block them.
//
// Schema versions
// ---------------
// `PRAGMA user_version` is the number of migrations applied. Migrations are
// forward only, each runs in its own IMMEDIATE transaction together with the
// user_version bump, so a crash mid-migration leaves the previous version. A
// file whose version is newer than this binary knows is refused.
#pragma once

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kryptod::storage {

struct open_options {
    // How long a connection waits on a lock before failing with errc::busy.
    int busy_timeout_ms = 5000;
    // The SQLite VFS to open the file through; empty means the default one.
    // Tests register a fault-injecting VFS here.
    std::string vfs;
};

// The migration scripts, in order; migration i (1-based) is element i-1.
std::span<std::string_view const> migrations() noexcept;

// The schema version this binary writes: migrations().size().
int latest_schema_version() noexcept;

// `PRAGMA user_version` of an open connection.
int schema_version(SQLite::Database& db);

// Applies the migrations after the file's current version up to `target`,
// each in its own transaction. A no-op when the file is already at `target`.
// Throws std::runtime_error when the file is newer than `target` or `target`
// is beyond latest_schema_version(); throws SQLite::Exception when a script
// fails (that migration is rolled back, the earlier ones stay).
void migrate(SQLite::Database& db, int target = latest_schema_version());

// Creates `path` empty with mode 0600 (or less, by the umask) when it does not
// exist; an existing file is left untouched. Throws std::runtime_error with the reason when it
// cannot.
void create_private_file(std::filesystem::path const& path);

// Opens (creating if missing, mode 0600, and so its -wal and -shm files) the
// database file for writing, sets the
// pragmas (WAL, synchronous=FULL, foreign_keys=ON, busy_timeout) and applies
// all migrations. For startup and for the writer's connection only.
// Throws SQLite::Exception when the file cannot be opened or migrated, and
// std::runtime_error when WAL cannot be enabled or the file is newer than
// this binary.
SQLite::Database open_database(std::filesystem::path const& path, open_options const& options = {});

// Opens an existing, already migrated database read-only for API reads. In
// WAL mode such a connection never blocks the writer. Throws
// SQLite::Exception when the file cannot be opened and std::runtime_error
// when its schema version is not latest_schema_version().
SQLite::Database open_reader(std::filesystem::path const& path, open_options const& options = {});

// Whether the database file could take a write right now, for /readyz.
// Returns std::nullopt when the file and its directory are writable and the
// file system has room; otherwise the reason, e.g. "no space left on the
// database's file system". It never writes and never takes a lock.
std::optional<std::string> check_writable(std::filesystem::path const& path);

} // namespace kryptod::storage
