// storage::result: how a run-time storage outcome reaches its caller.
//
// At run time nothing throws out of storage/: every operation ends in a
// result<T>, which holds either the value or a storage::error. The error code
// tells the caller how to answer (see errc); the message is for the log.
// Invariant: a result holds exactly one of value and error.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace kryptod::storage {

// What went wrong, coarse enough for the caller to pick an answer.
// queue_full, stopped, busy, disk_full and io_error are transient conditions
// of the service (the API answers 503); constraint is a conflict with stored
// data (409 or 422, the caller knows which); not_found is 404.
enum class errc {
    queue_full, // the writer's bounded queue is full: shed load
    stopped,    // the writer has been stopped: the daemon is shutting down
    busy,       // the database stayed locked past the busy timeout
    disk_full,  // SQLITE_FULL: nothing was committed
    io_error,   // SQLITE_IOERR and friends: nothing was committed
    constraint, // a UNIQUE, CHECK or FOREIGN KEY constraint refused the write
    not_found,  // the row the operation needs does not exist
    failed,     // anything else (a bug, corruption, a bad statement)
};

// The stable lower-case name of a code, for logs and metrics.
char const* to_string(errc code) noexcept;

struct error {
    errc code = errc::failed;
    std::string message;
    int sqlite_code = 0; // extended SQLite result code, 0 when not from SQLite
};

// Classifies an exception thrown inside storage (SQLite::Exception or any
// std::exception) into an error; anything unknown becomes errc::failed.
error error_from(std::exception_ptr const& ex) noexcept;

// Classifies an extended SQLite result code.
errc errc_from_sqlite(int extended_code) noexcept;

template <class T>
class result {
public:
    result(T value)
        : v_(std::in_place_index<0>, std::move(value)) {}
    result(error e)
        : v_(std::in_place_index<1>, std::move(e)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // Precondition: ok().
    T& value() & { return std::get<0>(v_); }
    T const& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }

    // Precondition: !ok().
    error const& err() const { return std::get<1>(v_); }

private:
    std::variant<T, error> v_;
};

template <>
class result<void> {
public:
    result() = default;
    result(error e)
        : e_(std::move(e))
        , failed_(true) {}

    bool ok() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return ok(); }

    // Precondition: !ok().
    error const& err() const { return e_; }

private:
    error e_;
    bool failed_ = false;
};

using status = result<void>;

// Thrown by store functions when the row they must change does not exist;
// error_from() turns it into errc::not_found.
class not_found_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Runs `fn` (typically a read on an API connection) and turns what it throws
// into an error, so that nothing throws past storage/ at run time.
template <class F>
auto attempt(F&& fn) noexcept -> result<decltype(fn())> {
    using T = decltype(fn());
    try {
        if constexpr (std::is_void_v<T>) {
            fn();
            return {};
        } else {
            return result<T>(fn());
        }
    } catch (...) {
        return result<T>(error_from(std::current_exception()));
    }
}

} // namespace kryptod::storage
