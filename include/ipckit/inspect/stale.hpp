// ipckit::inspect::find_stale: which IPC objects nobody will use again, by the conservative rules
// of docs/ls.md#stale. This is the policy behind `ipckit rm --stale` and Python's
// `ipckit.stale()`; it decides, it never removes.
//
// An object is stale only when every sign agrees: no attachment or holder (the kernel's counts,
// /proc, and for files the kernel's lease check, which sees every pid namespace), every process
// that used it gone, nobody waiting on it. When a sign cannot be read (another user's processes,
// a partial /proc view, no mqueue mount) the object is kept, and a note or warning says why.
// Everything is a snapshot: a process may start using an object right after it was judged, so a
// remover re-checks what it cheaply can (System V attachments) just before IPC_RMID.
//
// Thread safety: a pure function of the system state; call it from any thread. Blocks on no peer
// (the lease check holds a lease for microseconds: stale_signs.hpp, open_elsewhere).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/inspect/ipc_listing.hpp"

namespace ipckit::inspect {

// An object judged stale, and the one-line reason ("no attachment; creator and last user gone").
struct StaleObject {
  IpcObject object;
  std::string reason;
};

// An object kept although it may look stale, because a sign could not be read: say why.
struct KeptObject {
  IpcObject object;
  std::string why;  // "not considered: ..." / "not stale: ..."
};

struct StaleReport {
  std::vector<StaleObject> stale;  // in listing order
  std::vector<KeptObject> kept;    // only objects with a reason worth telling the user
  // Whole kinds not considered ("3 processes could not be read (permission denied): ...",
  // "POSIX message queues not considered: ..."), one line each.
  std::vector<std::string> warnings;
};

// The kinds find_stale judges: System V segments, semaphore sets and queues, POSIX shared
// memory, semaphores and queues, and channels (sockets and FIFOs vanish with their holders).
[[nodiscard]] TypeSet stale_candidate_types() noexcept;

// Lists the objects of `types` (restricted to stale_candidate_types()) and judges each one
// `consider` accepts (all when empty). Errors: those of list_ipc_objects (none in practice).
[[nodiscard]] Result<StaleReport> find_stale(
    TypeSet types = TypeSet::all(), const std::function<bool(const IpcObject&)>& consider = {});

}  // namespace ipckit::inspect
