// ipckit::inspect: the signs `ipckit rm --stale` reads before it calls an object stale, beyond
// the listing itself (ipc_listing.hpp). docs/ls.md#stale says how they combine.
//
// Each function answers from the kernel's view at one instant; a process can start using an
// object right after. Each says "unknown" rather than guess: the caller then keeps the object.
//
// Thread safety: pure functions of the system state; call them from any thread. None blocks on a
// peer (open_elsewhere holds a lease for microseconds: see its contract).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"

namespace ipckit::inspect {

// Whether /proc shows every process that could use this machine's IPC objects.
struct ProcessView {
  bool complete = true;
  std::string why;  // when not complete: one line saying why
};

// Reads /proc/self/status (NSpid), /proc/self/mountinfo (the /proc mount's hidepid= and
// subset=) and /proc/2/stat. The view is partial when /proc belongs to another pid namespace
// than ours (NSpid has more than one entry), when /proc hides other users' processes (hidepid,
// subset=pid) and we are not root, or when this is not the initial pid namespace (kthreadd, pid 2
// with parent 0, exists only there): processes of other pid namespaces (a container's host, a
// `unshare --pid` sibling) may share /dev/shm and the IPC namespace unseen.
// man pid_namespaces(7), proc(5).
[[nodiscard]] ProcessView process_view();

// Whether any process, in any pid namespace, has `path` open or mapped: open(O_RDONLY) and a
// write lease (fcntl F_SETLEASE F_WRLCK, refused while another open file description or mapping
// exists), released at once. Works on /dev/shm objects, POSIX semaphores and channels, and the
// mqueue file system. A process opening the file during those microseconds waits for the
// release; the lease-break signal is SIGURG (ignored by default).
// Returns: true (held elsewhere) or false (nobody else). Errors: ENOENT, EACCES (not the
// owner and no CAP_LEASE, or no read permission), EINVAL (no lease support). man fcntl(2).
[[nodiscard]] Result<bool> open_elsewhere(const std::string& path);

// A thread blocked in msgrcv(2) on a System V queue, as /proc/PID/task/TID/syscall shows it
// (x86_64 msgrcv 70, and i386 compat ipc(MSGRCV)/msgrcv; aarch64 188).
struct MsgWaiter {
  int msqid = -1;
  pid_t pid = 0;  // the process (thread group)
  pid_t tid = 0;
};
struct MsgWaiters {
  std::vector<MsgWaiter> waiters;
  // false: some thread's syscall file could not be read (another user's process without root,
  // Yama ptrace_scope, an architecture we do not know), or the process view is partial: a
  // waiter may be missing. `why` says which.
  bool complete = true;
  std::string why;
  [[nodiscard]] bool waiting_on(int msqid) const noexcept;
};
// One pass over /proc/*/task/*/syscall. REQUIRES: nothing. man proc(5) /proc/PID/syscall.
[[nodiscard]] MsgWaiters msgrcv_waiters();

// "NAME.creating-PID-HEX": the temporary object of a `chan create` of NAME by process PID,
// which a SIGKILL during creation leaves behind. Returns: NAME and PID, or nullopt if `file`
// (a /dev/shm entry, no leading '/') is not such a name.
struct CreatingLeftover {
  std::string channel;
  pid_t creator = 0;
};
[[nodiscard]] std::optional<CreatingLeftover> parse_creating_leftover(std::string_view file);

}  // namespace ipckit::inspect
