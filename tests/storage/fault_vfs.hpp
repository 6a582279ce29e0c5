// fault_vfs: a SQLite VFS named "kryptod_fault" that wraps the default one and
// fails writes and syncs on demand, to test how kryptod behaves when the disk
// fills up or errors. Connections opened through it behave normally while no
// fault is set.
#pragma once

namespace kryptod::storage::test {

enum class disk_fault { none, io_error, disk_full };

// Registers the VFS once (not as the default) and returns its name.
char const* fault_vfs_name();

// Sets the fault every later write and sync through the VFS reports.
void set_disk_fault(disk_fault fault);

} // namespace kryptod::storage::test
