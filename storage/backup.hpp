// storage::backup: `kryptod backup FILE`, a consistent copy of the database
// while the daemon runs.
//
// The copy is taken with SQLite's online backup API inside one read
// transaction, so it is the state of one commit; in WAL mode that read never
// blocks the daemon's writer. The copy is written to a temporary file next to
// the destination, checked, fsynced and then renamed over the destination,
// so a failed or interrupted backup never leaves a half-written FILE. FILE is
// created with mode 0600, like the database.
#pragma once

#include <filesystem>

namespace kryptod::storage {

// Copies the database at `source` to `dest` (replacing it). Throws
// SQLite::Exception or std::runtime_error with the reason when the source
// cannot be read, the copy fails its integrity check, or the destination
// cannot be written; `dest` is then untouched. For the command line only.
void backup(std::filesystem::path const& source, std::filesystem::path const& dest);

} // namespace kryptod::storage
