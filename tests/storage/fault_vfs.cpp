// fault_vfs: forwards every call to the default VFS, except that xWrite,
// xTruncate and xSync report the configured fault instead of touching disk.
#include "fault_vfs.hpp"

#include <atomic>
#include <mutex>
#include <sqlite3.h>

namespace kryptod::storage::test {

namespace {

std::atomic<disk_fault> current_fault{disk_fault::none};
sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs vfs{};
sqlite3_io_methods methods{};

struct fault_file {
    sqlite3_file base;
    sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* f) {
    return reinterpret_cast<fault_file*>(f)->real;
}

int fault_code(int io_code) {
    switch (current_fault.load()) {
    case disk_fault::io_error:
        return io_code;
    case disk_fault::disk_full:
        return SQLITE_FULL;
    case disk_fault::none:
        break;
    }
    return SQLITE_OK;
}

int x_close(sqlite3_file* f) {
    sqlite3_file* r = real_of(f);
    return r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
}
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
    return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}
int x_write(sqlite3_file* f, void const* buf, int n, sqlite3_int64 off) {
    if (int const rc = fault_code(SQLITE_IOERR_WRITE)) return rc;
    return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    if (int const rc = fault_code(SQLITE_IOERR_TRUNCATE)) return rc;
    return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
    if (int const rc = fault_code(SQLITE_IOERR_FSYNC)) return rc;
    return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int x_lock(sqlite3_file* f, int l) {
    return real_of(f)->pMethods->xLock(real_of(f), l);
}
int x_unlock(sqlite3_file* f, int l) {
    return real_of(f)->pMethods->xUnlock(real_of(f), l);
}
int x_check_reserved(sqlite3_file* f, int* out) {
    return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
    return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int x_sector_size(sqlite3_file* f) {
    return real_of(f)->pMethods->xSectorSize(real_of(f));
}
int x_device_characteristics(sqlite3_file* f) {
    return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
    real_of(f)->pMethods->xShmBarrier(real_of(f));
}
int x_shm_unmap(sqlite3_file* f, int del) {
    return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}
// No memory-mapped pages: every read goes through x_read.
int x_fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
    *out = nullptr;
    return SQLITE_OK;
}
int x_unfetch(sqlite3_file*, sqlite3_int64, void*) {
    return SQLITE_OK;
}

int x_open(sqlite3_vfs*, char const* name, sqlite3_file* file, int flags, int* out_flags) {
    auto* f = reinterpret_cast<fault_file*>(file);
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->base.pMethods = nullptr;
    int const rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc == SQLITE_OK) f->base.pMethods = &methods;
    return rc;
}

void register_vfs() {
    real_vfs = sqlite3_vfs_find(nullptr);
    vfs = *real_vfs;
    vfs.zName = "kryptod_fault";
    vfs.szOsFile = static_cast<int>(sizeof(fault_file)) + real_vfs->szOsFile;
    vfs.xOpen = x_open;
    vfs.pNext = nullptr;
    methods.iVersion = 3;
    methods.xClose = x_close;
    methods.xRead = x_read;
    methods.xWrite = x_write;
    methods.xTruncate = x_truncate;
    methods.xSync = x_sync;
    methods.xFileSize = x_file_size;
    methods.xLock = x_lock;
    methods.xUnlock = x_unlock;
    methods.xCheckReservedLock = x_check_reserved;
    methods.xFileControl = x_file_control;
    methods.xSectorSize = x_sector_size;
    methods.xDeviceCharacteristics = x_device_characteristics;
    methods.xShmMap = x_shm_map;
    methods.xShmLock = x_shm_lock;
    methods.xShmBarrier = x_shm_barrier;
    methods.xShmUnmap = x_shm_unmap;
    methods.xFetch = x_fetch;
    methods.xUnfetch = x_unfetch;
    sqlite3_vfs_register(&vfs, 0);
}

} // namespace

char const* fault_vfs_name() {
    static std::once_flag once;
    std::call_once(once, register_vfs);
    return "kryptod_fault";
}

void set_disk_fault(disk_fault fault) {
    current_fault.store(fault);
}

} // namespace kryptod::storage::test
