// storage::backup: online backup to a temporary file, then an atomic rename.
#include "storage/backup.hpp"

#include "storage/database.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unistd.h>

namespace kryptod::storage {

namespace {

void fsync_path(std::filesystem::path const& p, int flags) {
    int const fd = ::open(p.c_str(), flags | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + p.string());
    int const rc = ::fsync(fd);
    int const err = errno;
    ::close(fd);
    if (rc != 0) throw std::system_error(err, std::generic_category(), "fsync " + p.string());
}

// Removes the temporary file unless the backup got as far as renaming it.
struct temp_file {
    std::filesystem::path path;
    bool keep = false;
    ~temp_file() {
        if (keep) return;
        std::error_code ec;
        std::filesystem::remove(path, ec);
        std::filesystem::remove(path.string() + "-wal", ec);
        std::filesystem::remove(path.string() + "-shm", ec);
        std::filesystem::remove(path.string() + "-journal", ec);
    }
};

} // namespace

void backup(std::filesystem::path const& source, std::filesystem::path const& dest) {
    if (!std::filesystem::exists(source))
        throw std::runtime_error("database " + source.string() + " does not exist");
    std::error_code same_ec;
    if (std::filesystem::equivalent(source, dest, same_ec))
        throw std::runtime_error("backup destination is the database itself");

    SQLite::Database src = open_reader(source);
    temp_file tmp{dest.string() + ".tmp-" + std::to_string(::getpid())};
    // The copy holds what the database holds: private from its creation
    // (SQLite would make it 0644), and so are its -wal and -shm, which take
    // its mode. A leftover of a crashed backup with this pid goes first, so
    // the file is always a new one.
    std::filesystem::remove(tmp.path);
    create_private_file(tmp.path);
    {
        SQLite::Database out(tmp.path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        SQLite::Backup copy(out, src);
        // One step copies every page in one read transaction: a consistent
        // snapshot. Busy/locked only happens while the source is being
        // checkpointed or recovered; retry a bounded number of times.
        int rc = SQLITE_OK;
        for (int attempt = 0; attempt < 100; ++attempt) {
            rc = copy.executeStep(-1);
            if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
            ::usleep(50000);
        }
        if (rc != SQLITE_DONE)
            throw std::runtime_error("backup of " + source.string() +
                                     " did not finish: " + sqlite3_errstr(rc));
        // The copy keeps the source's WAL mode; fold everything into the main
        // file so that FILE alone is the backup.
        out.exec("PRAGMA journal_mode = DELETE");
        std::string const check = out.execAndGet("PRAGMA integrity_check").getString();
        if (check != "ok")
            throw std::runtime_error("backup copy failed its integrity check: " + check);
    }
    fsync_path(tmp.path, O_RDONLY);
    std::error_code ec;
    std::filesystem::rename(tmp.path, dest, ec);
    if (ec)
        throw std::runtime_error("cannot move the backup into place at " + dest.string() + ": " +
                                 ec.message());
    tmp.keep = true;
    fsync_path(dest.has_parent_path() ? dest.parent_path() : std::filesystem::path("."),
               O_RDONLY | O_DIRECTORY);
}

} // namespace kryptod::storage
