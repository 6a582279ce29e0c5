// storage::result: mapping SQLite failures to storage::errc.
#include "storage/result.hpp"

#include <SQLiteCpp/Exception.h>

#include <sqlite3.h>

namespace kryptod::storage {

char const* to_string(errc code) noexcept {
    switch (code) {
    case errc::queue_full:
        return "queue_full";
    case errc::stopped:
        return "stopped";
    case errc::busy:
        return "busy";
    case errc::disk_full:
        return "disk_full";
    case errc::io_error:
        return "io_error";
    case errc::constraint:
        return "constraint";
    case errc::not_found:
        return "not_found";
    case errc::failed:
        return "failed";
    }
    return "failed";
}

errc errc_from_sqlite(int extended_code) noexcept {
    switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return errc::busy;
    case SQLITE_FULL:
        return errc::disk_full;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
        return errc::io_error;
    case SQLITE_CONSTRAINT:
        return errc::constraint;
    default:
        return errc::failed;
    }
}

error error_from(std::exception_ptr const& ex) noexcept {
    try {
        std::rethrow_exception(ex);
    } catch (SQLite::Exception const& e) {
        int const code = e.getExtendedErrorCode();
        // SQLiteCpp reports its own misuse (e.g. a bad column index) with -1.
        if (code < 0) return error{errc::failed, e.what(), 0};
        return error{errc_from_sqlite(code), e.what(), code};
    } catch (not_found_error const& e) {
        return error{errc::not_found, e.what(), 0};
    } catch (std::exception const& e) {
        return error{errc::failed, e.what(), 0};
    } catch (...) {
        return error{errc::failed, "unknown exception", 0};
    }
}

} // namespace kryptod::storage
