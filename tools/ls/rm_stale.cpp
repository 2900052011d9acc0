// `ipckit rm --stale [--yes]`: orphaned objects, by conservative rules (docs/ls.md#stale).
#include <fmt/core.h>
#include <sys/shm.h>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/values.hpp"
#include "ipckit/inspect/stale.hpp"
#include "ls/rm_target.hpp"

namespace ipckit::cli::ls {

namespace {

using inspect::IpcObject;
using inspect::ObjectType;

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
  // The policy is the library's (ipckit/inspect/stale.hpp): this command prints and removes.
  auto found =
      inspect::find_stale(filter.types, [&](const IpcObject& o) { return filter.matches(o); });
  if (!found) return report(found.error());
  for (const auto& w : found->warnings)
    warn("rm: {}", w);
  const auto describe = [](const IpcObject& o) {
    // Names are anyone's to choose: a control character in one must not break the line.
    const std::string name = escape_controls(target_of(o).text);
    return o.key && *o.key != 0 ? fmt::format("{} (key {})", name, format_key(*o.key)) : name;
  };
  for (const auto& k : found->kept)
    warn("rm: {}: {}", describe(k.object), k.why);
  int code = kExitOk;
  for (const auto& [o, reason] : found->stale) {
    const RmTarget t = target_of(o);
    const std::string what = describe(o);
    if (!yes) {
      out("{}: {}\n", what, reason);
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
      out("removed {}: {}\n", what, reason);
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
