// Asking the kernel whether a file is open or mapped anywhere else, in any process of any pid
// namespace: a write lease (fcntl F_SETLEASE F_WRLCK) is refused with EAGAIN while any other
// open file description of the inode exists, and a mapping keeps its file description. /proc
// scans see only the processes of our pid namespace (and, unprivileged, only our own); the
// lease sees them all. Internal.
#pragma once

#include <functional>
#include <string>

#include "ipckit/core/error.hpp"

namespace ipckit::detail {

// fcntl(2) F_SETLEASE F_WRLCK on `fd`, then `while_sole()` (if given) while the lease is held,
// then F_UNLCK. REQUIRES: `fd` is the caller's only open description of the file (else the
// answer is always true); regular file. A process that opens the file while the lease is held
// waits (at most until F_UNLCK, microseconds later); the lease-break signal is set to SIGURG,
// whose default action is to ignore it (a program that handles SIGURG may see one spurious).
// Returns: true if another open description or mapping exists (`while_sole` not called), false
// if none does (`while_sole` was called). Errors: EACCES (the caller neither owns the file nor
// has CAP_LEASE), EINVAL (file system without leases, fs.leases-enable 0), object = `object`.
// man fcntl(2) "Leases".
[[nodiscard]] Result<bool> held_elsewhere(int fd, const std::string& object,
                                          const std::function<void()>& while_sole = {});

}  // namespace ipckit::detail
