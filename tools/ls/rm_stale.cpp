// `ipckit rm --stale [--yes]`: orphaned objects, by conservative rules (docs/ls.md#stale).
#include <fmt/core.h>
#include <sys/shm.h>

#include <algorithm>
#include <unordered_map>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/values.hpp"
#include "ipckit/inspect/stale_signs.hpp"
#include "ipckit/inspect/sysv_objects.hpp"
#include "ipckit/posix/mqueue.hpp"
#include "ls/rm_target.hpp"

namespace ipckit::cli::ls {

namespace {

using inspect::IpcObject;
using inspect::ObjectType;
using inspect::process_alive;

// What rm --stale knows beyond the listing (stale_signs.hpp), gathered once per run.
struct Signs {
  bool holders_known = true;    // every process's maps and fds were read
  inspect::ProcessView view;    // partial: pids of other namespaces are invisible (0 or dead)
  inspect::MsgWaiters waiters;  // threads blocked in msgrcv
  std::string mqueue_mount;     // "" when not mounted
};

// Every recorded pid is 0 or dead, and at least one is not 0 (someone used it and all are gone).
// `strict` (a partial process view, where the kernel shows a pid of another namespace as 0):
// every pid must be recorded and dead.
bool all_gone(std::initializer_list<pid_t> pids, bool strict) {
  bool any = false;
  for (pid_t pid : pids) {
    if (pid == 0) {
      if (strict) return false;
      continue;
    }
    any = true;
    if (process_alive(pid)) return false;
  }
  return any;
}

bool sem_stale(const IpcObject& o, const Signs& signs) {
  auto counters = inspect::read_sem_counters(sysv::SemId(*o.id), o.nsems.value_or(0));
  if (!counters || counters->empty()) return false;
  bool any = false;
  for (const auto& c : *counters) {
    if (c.ncount != 0 || c.zcount != 0) return false;  // somebody is waiting on it
    if (c.pid == 0) {
      if (!signs.view.complete) return false;
      continue;
    }
    any = true;
    if (process_alive(c.pid)) return false;
  }
  return any;
}

// The file a POSIX object, queue or POSIX channel is, for the kernel's open check.
std::string path_of(const IpcObject& o, const Signs& signs) {
  switch (o.type) {
    case ObjectType::kPosixShm:
      return "/dev/shm" + o.name;
    case ObjectType::kPosixSem:
      return "/dev/shm/sem." + o.name.substr(1);
    case ObjectType::kMqueue:
      return signs.mqueue_mount.empty() ? std::string() : signs.mqueue_mount + o.name;
    default:
      return "/dev/shm/" + o.name;
  }
}

// The verdict on one object: stale (reason set), or kept; `note` is a line for stderr when it is
// kept for a reason the user cannot see in `ls` (a holder we cannot see, a view we cannot trust).
struct Verdict {
  const char* reason = nullptr;
  std::string note;
};

// POSIX objects, queues and POSIX channels that no process we can see holds: the kernel's lease
// check covers every pid namespace. Without it, the /proc scan decides only if it saw everything.
Verdict unheld(const IpcObject& o, const Signs& signs, const char* reason) {
  const std::string path = path_of(o, signs);
  auto held = path.empty() ? Result<bool>(fail(EINVAL, "open", "(no mqueue mount)"))
                           : inspect::open_elsewhere(path);
  if (held && *held)
    return {nullptr, "not stale: open or mapped by a process this view cannot see"};
  if (held) return {reason, {}};
  if (held.error().code() == ENOENT) return {};  // gone meanwhile
  if (!signs.view.complete)
    return {nullptr, "not considered: " + signs.view.why +
                         ", and the kernel cannot say who holds it (" + held.error().message() +
                         ")"};
  return {reason, {}};
}

// Why `o` is stale, or why not. `msgs` has the System V queues' pids.
Verdict judge(const IpcObject& o, const std::unordered_map<int, inspect::MsgObject>& msgs,
              const Signs& signs) {
  switch (o.type) {
    case ObjectType::kSysvShm:
      if (o.nattch.value_or(1) != 0 || !o.holders.empty()) return {};
      // nattch is the kernel's count over every namespace: the pids only say nobody comes back.
      if (!all_gone({o.cpid.value_or(0), o.lpid.value_or(0)}, false)) return {};
      return {"no attachment; creator and last user gone", {}};
    case ObjectType::kSysvSem:
      return {sem_stale(o, signs) ? "no waiter; every last user gone" : nullptr, {}};
    case ObjectType::kSysvMsg: {
      const auto it = msgs.find(*o.id);
      if (it == msgs.end() || it->second.qnum != 0) return {};
      if (!all_gone({it->second.lspid, it->second.lrpid}, false)) return {};
      // The kernel counts no msgrcv waiters: a thread blocked in msgrcv names the queue in
      // /proc/PID/task/TID/syscall. Any doubt keeps the queue.
      if (signs.waiters.waiting_on(*o.id)) return {};
      if (!signs.view.complete) return {nullptr, "not considered: " + signs.view.why};
      if (!signs.waiters.complete)
        return {nullptr, "not considered: cannot tell if a process waits in msgrcv (" +
                             signs.waiters.why + ")"};
      return {"empty; no msgrcv waiter; last sender and receiver gone", {}};
    }
    case ObjectType::kPosixShm:
    case ObjectType::kPosixSem:
    case ObjectType::kMqueue:
    case ObjectType::kChannel: {
      const bool sysv_channel = o.type == ObjectType::kChannel && o.id.has_value();
      if (!o.holders.empty()) return {};
      if (o.type == ObjectType::kMqueue && o.messages.value_or(1) != 0) return {};
      if (sysv_channel) {
        // The kernel's attachment count stands in for the holders we could not read.
        return {o.nattch.value_or(1) == 0 && o.stale.value_or(false)
                    ? "creator gone, nobody attached or mapping it"
                    : nullptr,
                {}};
      }
      if (!signs.holders_known) return {};
      const char* reason = o.type == ObjectType::kMqueue ? "empty; no process holds it"
                           : o.type == ObjectType::kChannel
                               ? "creator gone, nobody attached or mapping it"
                               : "no process maps or holds it";
      // A `chan create` killed midway leaves NAME.creating-PID-HEX: stale once PID is gone,
      // never while it lives (it may still be building the channel).
      const std::string_view bare =
          o.name.starts_with('/') ? std::string_view(o.name).substr(1) : std::string_view(o.name);
      if (o.type != ObjectType::kMqueue && o.type != ObjectType::kPosixSem) {
        if (const auto leftover = inspect::parse_creating_leftover(bare)) {
          if (process_alive(leftover->creator)) return {};
          return unheld(o, signs,
                        "leftover of an interrupted chan create; creator gone, nobody holds it");
        }
      }
      if (o.type == ObjectType::kChannel && !o.stale.value_or(false)) return {};
      return unheld(o, signs, reason);
    }
    default:
      return {};
  }
}

RmTarget target_of(const IpcObject& o) {
  RmTarget t{o.type, o.id, std::nullopt, o.name, {}};
  // Channels by name ("channel:sysv:0x..." on System V), as `rm` takes them.
  t.text = o.id && o.type != ObjectType::kChannel
               ? fmt::format("{}:{}", inspect::type_name(o.type), *o.id)
               : fmt::format("{}:{}", inspect::type_name(o.type), o.name);
  return t;
}

// Right before IPC_RMID: the segment (also a System V channel's) still has no attachment (someone
// may have attached since the listing). Other types cannot be re-checked this cheaply: see
// docs/ls.md. Errors: those of IPC_STAT (EACCES without read permission, EINVAL if gone).
Result<bool> still_unattached(const IpcObject& o) {
  if (!o.id || (o.type != ObjectType::kSysvShm && o.type != ObjectType::kChannel)) return true;
  struct shmid_ds ds {};
  if (::shmctl(*o.id, IPC_STAT, &ds) != 0) return fail_errno("shmctl(IPC_STAT)", "");
  return ds.shm_nattch == 0;
}

bool permission_error(int code) {
  return code == EACCES || code == EPERM;
}

}  // namespace

int run_stale(const Filter& filter, bool yes) {
  inspect::TypeSet types;
  for (auto t :
       {ObjectType::kSysvShm, ObjectType::kSysvSem, ObjectType::kSysvMsg, ObjectType::kPosixShm,
        ObjectType::kPosixSem, ObjectType::kMqueue, ObjectType::kChannel})
    if (filter.types.has(t)) types.add(t);
  auto listing = inspect::list_ipc_objects(types);
  if (!listing) return report(listing.error());
  std::unordered_map<int, inspect::MsgObject> msgs;
  if (types.has(ObjectType::kSysvMsg)) {
    if (auto list = inspect::list_msg()) {
      for (const auto& m : *list)
        msgs.emplace(m.id.value, m);
    }
  }
  Signs signs;
  signs.holders_known = listing->unreadable_processes == 0;
  signs.view = inspect::process_view();
  if (types.has(ObjectType::kSysvMsg)) signs.waiters = inspect::msgrcv_waiters();
  if (types.has(ObjectType::kMqueue)) {
    if (auto mount = posix::mqueue_mount_point()) signs.mqueue_mount = *mount;
  }
  if (!signs.holders_known)
    warn(
        "rm: {} processes could not be read (permission denied): POSIX objects, queues and POSIX "
        "channels are not considered",
        listing->unreadable_processes);
  if (types.has(ObjectType::kMqueue) && !listing->mqueue_mounted)
    warn("rm: POSIX message queues not considered: {}", listing->mqueue_hint);
  int code = kExitOk;
  for (const auto& o : listing->objects) {
    if (!filter.matches(o)) continue;
    const Verdict v = judge(o, msgs, signs);
    const RmTarget t = target_of(o);
    // Names are anyone's to choose: a control character in one must not break the line.
    const std::string name = escape_controls(t.text);
    const std::string what =
        o.key && *o.key != 0 ? fmt::format("{} (key {})", name, format_key(*o.key)) : name;
    if (v.reason == nullptr) {
      if (!v.note.empty()) warn("rm: {}: {}", what, v.note);
      continue;
    }
    if (!yes) {
      out("{}: {}\n", what, v.reason);
      continue;
    }
    auto unattached = still_unattached(o);
    Result<void> r;
    if (!unattached) {
      r = std::unexpected(unattached.error());
    } else if (!*unattached) {
      continue;  // attached meanwhile: no longer stale
    } else {
      r = remove(t);
    }
    if (r) {
      out("removed {}: {}\n", what, v.reason);
    } else if (permission_error(r.error().code())) {
      // What the dry run listed and we may not remove is said, never skipped silently.
      warn("rm: {}: not removed: permission denied", what);
      code = kExitFailure;
    } else if (r.error().code() != ENOENT && r.error().code() != EINVAL &&
               r.error().code() != EIDRM) {  // gone meanwhile: nothing to do
      warn("rm: {}", escape_controls(r.error().message()));
      code = kExitFailure;
    }
  }
  return code;
}

}  // namespace ipckit::cli::ls
