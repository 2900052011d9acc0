// find_stale: the rules of docs/ls.md#stale over one listing and the signs of stale_signs.hpp.
#include "ipckit/inspect/stale.hpp"

#include <fmt/core.h>

#include <initializer_list>
#include <string_view>
#include <unordered_map>

#include "ipckit/inspect/stale_signs.hpp"
#include "ipckit/inspect/sysv_objects.hpp"
#include "ipckit/posix/mqueue.hpp"

namespace ipckit::inspect {

namespace {

// What the rules know beyond the listing, gathered once per call.
struct Signs {
  bool holders_known = true;  // every process's maps and fds were read
  ProcessView view;           // partial: pids of other namespaces are invisible (0 or dead)
  MsgWaiters waiters;         // threads blocked in msgrcv
  std::string mqueue_mount;   // "" when not mounted
  std::unordered_map<int, MsgObject> msgs;  // System V queues by id, for their pids
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
  auto counters = read_sem_counters(sysv::SemId(*o.id), o.nsems.value_or(0));
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

// The verdict on one object: stale (reason set), or kept; `note` says why it was kept when the
// user cannot see that in `ls` (a holder we cannot see, a view we cannot trust).
struct Verdict {
  const char* reason = nullptr;
  std::string note;
};

// POSIX objects, queues and POSIX channels that no process we can see holds: the kernel's lease
// check covers every pid namespace. Without it, the /proc scan decides only if it saw everything.
Verdict unheld(const IpcObject& o, const Signs& signs, const char* reason) {
  const std::string path = path_of(o, signs);
  auto held =
      path.empty() ? Result<bool>(fail(EINVAL, "open", "(no mqueue mount)")) : open_elsewhere(path);
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

Verdict judge_msg(const IpcObject& o, const Signs& signs) {
  const auto it = signs.msgs.find(*o.id);
  if (it == signs.msgs.end() || it->second.qnum != 0) return {};
  if (!all_gone({it->second.lspid, it->second.lrpid}, false)) return {};
  // The kernel counts no msgrcv waiters: a thread blocked in msgrcv names the queue in
  // /proc/PID/task/TID/syscall. Any doubt keeps the queue.
  if (signs.waiters.waiting_on(*o.id)) return {};
  if (!signs.view.complete) return {nullptr, "not considered: " + signs.view.why};
  if (!signs.waiters.complete)
    return {nullptr,
            "not considered: cannot tell if a process waits in msgrcv (" + signs.waiters.why + ")"};
  return {"empty; no msgrcv waiter; last sender and receiver gone", {}};
}

Verdict judge_file(const IpcObject& o, const Signs& signs) {
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
  // A `chan create` killed midway leaves NAME.creating-PID-HEX: stale once PID is gone, never
  // while it lives (it may still be building the channel).
  const std::string_view bare =
      o.name.starts_with('/') ? std::string_view(o.name).substr(1) : std::string_view(o.name);
  if (o.type != ObjectType::kMqueue && o.type != ObjectType::kPosixSem) {
    if (const auto leftover = parse_creating_leftover(bare)) {
      if (process_alive(leftover->creator)) return {};
      return unheld(o, signs,
                    "leftover of an interrupted chan create; creator gone, nobody holds it");
    }
  }
  if (o.type == ObjectType::kChannel && !o.stale.value_or(false)) return {};
  return unheld(o, signs, reason);
}

Verdict judge(const IpcObject& o, const Signs& signs) {
  switch (o.type) {
    case ObjectType::kSysvShm:
      if (o.nattch.value_or(1) != 0 || !o.holders.empty()) return {};
      // nattch is the kernel's count over every namespace: the pids only say nobody comes back.
      if (!all_gone({o.cpid.value_or(0), o.lpid.value_or(0)}, false)) return {};
      return {"no attachment; creator and last user gone", {}};
    case ObjectType::kSysvSem:
      return {sem_stale(o, signs) ? "no waiter; every last user gone" : nullptr, {}};
    case ObjectType::kSysvMsg:
      return judge_msg(o, signs);
    case ObjectType::kPosixShm:
    case ObjectType::kPosixSem:
    case ObjectType::kMqueue:
    case ObjectType::kChannel:
      return judge_file(o, signs);
    default:
      return {};
  }
}

}  // namespace

TypeSet stale_candidate_types() noexcept {
  TypeSet types;
  for (auto t :
       {ObjectType::kSysvShm, ObjectType::kSysvSem, ObjectType::kSysvMsg, ObjectType::kPosixShm,
        ObjectType::kPosixSem, ObjectType::kMqueue, ObjectType::kChannel})
    types.add(t);
  return types;
}

Result<StaleReport> find_stale(TypeSet wanted,
                               const std::function<bool(const IpcObject&)>& consider) {
  TypeSet types;
  const TypeSet candidates = stale_candidate_types();
  for (int i = 0; i < kObjectTypeCount; ++i) {
    const auto t = static_cast<ObjectType>(i);
    if (wanted.has(t) && candidates.has(t)) types.add(t);
  }
  auto listing = list_ipc_objects(types);
  if (!listing) return std::unexpected(listing.error());
  Signs signs;
  if (types.has(ObjectType::kSysvMsg)) {
    if (auto list = list_msg()) {
      for (const auto& m : *list)
        signs.msgs.emplace(m.id.value, m);
    }
    signs.waiters = msgrcv_waiters();
  }
  signs.holders_known = listing->unreadable_processes == 0;
  signs.view = process_view();
  if (types.has(ObjectType::kMqueue)) {
    if (auto mount = posix::mqueue_mount_point()) signs.mqueue_mount = *mount;
  }
  StaleReport report;
  if (!signs.holders_known)
    report.warnings.push_back(
        fmt::format("{} processes could not be read (permission denied): POSIX objects, queues "
                    "and POSIX channels are not considered",
                    listing->unreadable_processes));
  if (types.has(ObjectType::kMqueue) && !listing->mqueue_mounted)
    report.warnings.push_back("POSIX message queues not considered: " + listing->mqueue_hint);
  for (auto& o : listing->objects) {
    if (consider && !consider(o)) continue;
    Verdict v = judge(o, signs);
    if (v.reason != nullptr) {
      report.stale.push_back({std::move(o), v.reason});
    } else if (!v.note.empty()) {
      report.kept.push_back({std::move(o), std::move(v.note)});
    }
  }
  return report;
}

}  // namespace ipckit::inspect
