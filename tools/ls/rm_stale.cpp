// `ipckit rm --stale [--yes]`: orphaned objects, by conservative rules (docs/ls.md#stale).
#include <fmt/core.h>
#include <sys/shm.h>

#include <algorithm>
#include <unordered_map>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "ipckit/inspect/sysv_objects.hpp"
#include "ls/rm_target.hpp"

namespace ipckit::cli::ls {

namespace {

using inspect::IpcObject;
using inspect::ObjectType;
using inspect::process_alive;

// Every recorded pid is 0 or dead, and at least one is not 0 (someone used it and all are gone).
bool all_gone(std::initializer_list<pid_t> pids) {
  bool any = false;
  for (pid_t pid : pids) {
    if (pid == 0) continue;
    any = true;
    if (process_alive(pid)) return false;
  }
  return any;
}

bool sem_stale(const IpcObject& o) {
  auto counters = inspect::read_sem_counters(sysv::SemId(*o.id), o.nsems.value_or(0));
  if (!counters || counters->empty()) return false;
  bool any = false;
  for (const auto& c : *counters) {
    if (c.ncount != 0 || c.zcount != 0) return false;  // somebody is waiting on it
    if (c.pid == 0) continue;
    any = true;
    if (process_alive(c.pid)) return false;
  }
  return any;
}

// Why `o` is stale, or nullptr if it is not. `msgs` has the System V queues' pids.
const char* stale_reason(const IpcObject& o,
                         const std::unordered_map<int, inspect::MsgObject>& msgs,
                         bool holders_known) {
  switch (o.type) {
    case ObjectType::kSysvShm:
      if (o.nattch.value_or(1) != 0 || !o.holders.empty()) return nullptr;
      return all_gone({o.cpid.value_or(0), o.lpid.value_or(0)})
                 ? "no attachment; creator and last user gone"
                 : nullptr;
    case ObjectType::kSysvSem:
      return sem_stale(o) ? "no waiter; every last user gone" : nullptr;
    case ObjectType::kSysvMsg: {
      const auto it = msgs.find(*o.id);
      if (it == msgs.end() || it->second.qnum != 0) return nullptr;
      return all_gone({it->second.lspid, it->second.lrpid}) ? "empty; last sender and receiver gone"
                                                            : nullptr;
    }
    case ObjectType::kPosixShm:
    case ObjectType::kPosixSem:
      return holders_known && o.holders.empty() ? "no process maps or holds it" : nullptr;
    case ObjectType::kMqueue:
      return holders_known && o.holders.empty() && o.messages.value_or(1) == 0
                 ? "empty; no process holds it"
                 : nullptr;
    case ObjectType::kChannel:
      // On System V the kernel's attachment count stands in for the holders we could not read.
      return (o.id ? o.nattch.value_or(1) == 0 : holders_known) && o.holders.empty() &&
                     o.stale.value_or(false)
                 ? "creator gone, nobody attached or mapping it"
                 : nullptr;
    default:
      return nullptr;
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
// docs/ls.md.
bool still_unattached(const IpcObject& o) {
  if (!o.id || (o.type != ObjectType::kSysvShm && o.type != ObjectType::kChannel)) return true;
  struct shmid_ds ds {};
  return ::shmctl(*o.id, IPC_STAT, &ds) == 0 && ds.shm_nattch == 0;
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
  const bool holders_known = listing->unreadable_processes == 0;
  if (!holders_known)
    warn(
        "rm: {} processes could not be read (permission denied): POSIX objects, queues and POSIX "
        "channels are not considered",
        listing->unreadable_processes);
  if (types.has(ObjectType::kMqueue) && !listing->mqueue_mounted)
    warn("rm: POSIX message queues not considered: {}", listing->mqueue_hint);
  int code = kExitOk;
  for (const auto& o : listing->objects) {
    if (!filter.matches(o)) continue;
    const char* reason = stale_reason(o, msgs, holders_known);
    if (reason == nullptr) continue;
    const RmTarget t = target_of(o);
    const std::string what =
        o.key && *o.key != 0 ? fmt::format("{} (key {})", t.text, format_key(*o.key)) : t.text;
    if (!yes) {
      fmt::print("{}: {}\n", what, reason);
      continue;
    }
    if (!still_unattached(o)) continue;
    auto r = remove(t);
    if (r) {
      fmt::print("removed {}: {}\n", what, reason);
    } else if (r.error().code() != ENOENT && r.error().code() != EINVAL &&
               r.error().code() != EIDRM) {  // gone meanwhile: nothing to do
      warn("rm: {}", r.error().message());
      code = kExitFailure;
    }
  }
  return code;
}

}  // namespace ipckit::cli::ls
