// Tour step 190: the article's closing experiment ("Brave souls can now play with permissions"):
// a System V segment and a channel made 0600, 0640 and 0644, tried by other users.
//
// As root, two forked children drop to uid 65534 (one in the objects' group, one not) and try to
// attach each object read-only and read-write and to remove it; the tour prints what each call
// returned and checks it against the rules (owner, group, other bits; IPC_RMID and unlinking a
// channel need the owner). Without root it cannot switch uid: it shows the owner's side and says
// so. Every object is private to this run (IPC_PRIVATE, names with the run's pid) and removed by a
// scope guard on every return path; the children are reaped by their Child guards.
#include <fcntl.h>
#include <fmt/core.h>
#include <grp.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/channel/channel.hpp"
#include "ipckit/sysv/key.hpp"
#include "ipckit/sysv/shared_memory.hpp"
#include "tour/support.hpp"
#include "tour/tour.hpp"

namespace ipckit::tour {
namespace {

constexpr uid_t kNobody = 65534;
constexpr std::size_t kSize = 4096;
constexpr std::array<mode_t, 3> kModes = {0600, 0640, 0644};

enum class Kind { kSysv, kChannel };

// One object of the experiment. A child forked after creation inherits `sysv` (a segment id,
// usable with no permission check until a call needs one) and `name`.
struct Object {
  Kind kind;
  mode_t mode;
  std::optional<sysv::SharedMemory> sysv;
  std::string name;  // the channel's name
};

// What the three calls returned: "ok" or the errno's name ("EACCES").
struct Outcome {
  std::string read_only;
  std::string read_write;
  std::string remove;
};

std::string outcome_of(const Result<void>& r) {
  if (r) return "ok";
  const char* name = ::strerrorname_np(r.error().code());
  return name != nullptr ? name : std::to_string(r.error().code());
}

template <class T>
Result<void> as_void(const Result<T>& r) {
  if (r) return {};
  return std::unexpected(r.error());
}

// Tries the three calls on `o` as the calling process. `remove` is false for the owner, whose
// removal is the step's clean-up.
Outcome try_object(const Object& o, bool remove) {
  Outcome out;
  if (o.kind == Kind::kSysv) {
    out.read_only = outcome_of(as_void(o.sysv->attach(sysv::Access::kReadOnly)));
    out.read_write = outcome_of(as_void(o.sysv->attach(sysv::Access::kReadWrite)));
    if (remove) out.remove = outcome_of(o.sysv->remove());
  } else {
    // Inspecting reads the header through a read-only descriptor; opening maps it read-write.
    out.read_only = outcome_of(as_void(channel::Channel::inspect(o.name)));
    out.read_write = outcome_of(as_void(channel::Channel::open(o.name)));
    if (remove) out.remove = outcome_of(channel::Channel::unlink(o.name));
  }
  return out;
}

// Who tries: the owner (this process), or a child as uid 65534 in or out of the objects' group.
enum class Who { kOwner, kGroup, kOther };

std::string_view who_label(Who who) {
  switch (who) {
    case Who::kOwner:
      return "owner";
    case Who::kGroup:
      return "group";
    case Who::kOther:
      return "other";
  }
  return "?";
}

// What the permission rules predict. The kernel picks ONE class of bits (the owner's if the uid
// matches, else the group's if a gid matches, else the other's) and checks only those; removal
// (IPC_RMID, or unlink in the sticky /dev/shm) needs the owner or creator whatever the mode.
Outcome predicted(const Object& o, Who who) {
  const int shift = who == Who::kOwner ? 6 : who == Who::kGroup ? 3 : 0;
  const mode_t bits = (o.mode >> shift) & 07;
  Outcome p;
  p.read_only = (bits & 04) != 0 ? "ok" : "EACCES";
  p.read_write = (bits & 06) == 06 ? "ok" : "EACCES";
  if (who == Who::kOwner) p.remove = "ok";
  // shm_unlink's EPERM from the sticky directory is reported as EACCES by glibc.
  else
    p.remove = o.kind == Kind::kSysv ? "EPERM" : "EACCES";
  return p;
}

std::string row(const Object& o, Who who, const Outcome& r) {
  return fmt::format("{:<15} {:04o}  {:<6} {:<10} {:<11} {}",
                     o.kind == Kind::kSysv ? "System V shm" : "channel", o.mode, who_label(who),
                     r.read_only, r.read_write, r.remove);
}

constexpr std::string_view kHeader = "object          mode  who    read-only  read-write  remove";

// Runs the three calls on every object in a child with uid 65534 and group `gid`, and returns
// one Outcome per object (std::nullopt if the child failed).
std::optional<std::vector<Outcome>> run_as_nobody(const std::vector<Object>& objects, gid_t gid) {
  Pipe report;
  if (!report.ok()) return std::nullopt;
  Child child;
  const bool started = child.start([&] {
    report.close_read();
    // Drop every group and capability: with all uids non-zero the kernel clears them.
    if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
        ::setresuid(kNobody, kNobody, kNobody) != 0)
      return 2;
    std::string lines;
    for (const Object& o : objects) {
      const Outcome r = try_object(o, true);
      lines += fmt::format("{} {} {}\n", r.read_only, r.read_write, r.remove);
    }
    return report.put(lines) ? 0 : 3;
  });
  if (!started) return std::nullopt;
  report.close_write();
  std::istringstream in(report.get_all());
  if (child.wait_for(milliseconds(10000)) != 0) return std::nullopt;
  std::vector<Outcome> outcomes;
  Outcome r;
  while (in >> r.read_only >> r.read_write >> r.remove)
    outcomes.push_back(r);
  if (outcomes.size() != objects.size()) return std::nullopt;
  return outcomes;
}

bool permissions_step(Tour& t) {
  t.say(
      "The article ends its shared memory section with \"Brave souls can now play with "
      "permissions and see how they affect the behaviour\". Here they are played with. A System "
      "V segment and an ipckit channel (a POSIX shared memory object underneath, /dev/shm/NAME) "
      "are made with modes 0600, 0640 and 0644. The kernel checks ONE class of bits: the owner's "
      "if the caller's uid is the "
      "owner's, else the group's if one of its groups matches, else the other's. Read-only "
      "needs r, read-write needs rw. Removing (IPC_RMID, or unlinking from the sticky /dev/shm) "
      "needs the owner or creator, whatever the mode.");

  std::vector<Object> objects;
  ScopeExit cleanup([&] {
    for (const Object& o : objects) {
      if (o.kind == Kind::kSysv)
        (void)o.sysv->remove();
      else
        (void)channel::Channel::unlink(o.name);
    }
  });
  for (mode_t mode : kModes) {
    auto seg = sysv::SharedMemory::create(sysv::Key::private_key(), kSize, mode);
    if (!seg) return failed(t, "create a segment", seg.error());
    objects.push_back({Kind::kSysv, mode, *seg, {}});
  }
  for (mode_t mode : kModes) {
    const std::string name = t.unique_name(fmt::format("perm-{:o}", mode));
    auto chan = channel::Channel::create(name, {.capacity = kSize, .mode = mode});
    if (!chan) return failed(t, "create a channel", chan.error());
    objects.push_back({Kind::kChannel, mode, std::nullopt, name});
  }
  t.show(
      "shmget(IPC_PRIVATE, {}, IPC_CREAT | MODE); Channel::create(NAME, {{.capacity = {}, .mode "
      "= MODE}})   # MODE: 0600, 0640, 0644; owner uid {}, group gid {}",
      kSize, kSize, ::geteuid(), ::getegid());

  bool ok = true;
  const bool root = ::geteuid() == 0;
  if (!root) {
    t.say(
        "Trying them as another user needs root, to switch the child's uid (setresuid). Run "
        "the tour as root to see uid 65534 turned away. As the owner, this process may "
        "read and write all six: every mode gives the owner rw.");
    output(kHeader);
    for (const Object& o : objects) {
      const Outcome r = try_object(o, true);  // the owner may remove it: the clean-up is a no-op
      output(row(o, Who::kOwner, r));
      const Outcome p = predicted(o, Who::kOwner);
      ok = r.read_only == p.read_only && r.read_write == p.read_write && r.remove == p.remove && ok;
    }
    ok = t.check(ok, "the owner may attach every object read-only and read-write, and remove it");
    return ok;
  }

  t.say(
      "Two children drop to uid 65534 (nobody) and try each object: shmat(SHM_RDONLY), "
      "shmat(0) and shmctl(IPC_RMID) on the segments; Channel::inspect (shm_open(O_RDONLY) and "
      "pread of the header), Channel::open (shm_open(O_RDWR) + mmap) and Channel::unlink "
      "(shm_unlink) on the channels. \"group\" runs with our "
      "group (gid {0}), the objects' group; \"other\" with gid 65534. Neither is the owner "
      "(uid {1}), so neither may remove anything.",
      ::getegid(), ::geteuid());
  const gid_t other_gid = ::getegid() == 65534 ? 65533 : 65534;
  auto as_group = run_as_nobody(objects, ::getegid());
  auto as_other = run_as_nobody(objects, other_gid);
  if (!as_group || !as_other) {
    t.check(false, "the uid 65534 children ran and reported");
    return false;
  }
  output(kHeader);
  bool as_rules = true;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    for (Who who : {Who::kGroup, Who::kOther}) {
      const Outcome& r = who == Who::kGroup ? (*as_group)[i] : (*as_other)[i];
      output(row(objects[i], who, r));
      const Outcome p = predicted(objects[i], who);
      as_rules = as_rules && r.read_only == p.read_only && r.read_write == p.read_write &&
                 r.remove == p.remove;
    }
  }
  ok = t.check(as_rules,
               "every call did what the mode's group or other bits say: r for read-only, rw "
               "for read-write; EACCES otherwise") &&
       ok;
  ok = t.check((*as_group)[0].read_only == "EACCES" && (*as_group)[1].read_only == "ok" &&
                   (*as_other)[1].read_only == "EACCES",
               "0640 lets the group read but not others; 0600 lets neither") &&
       ok;

  t.say(
      "Root is another story: with CAP_IPC_OWNER it passes every System V permission check, "
      "and with CAP_DAC_OVERRIDE every file check, whatever the mode; with CAP_SYS_ADMIN it may "
      "remove any segment, and CAP_FOWNER lets it unlink from the sticky /dev/shm. The "
      "clean-up below is root removing all six.");
  bool root_ok = true;
  for (const Object& o : objects) {
    const Outcome r = try_object(o, false);
    root_ok = root_ok && r.read_only == "ok" && r.read_write == "ok";
  }
  ok = t.check(root_ok, "root (this process) attached all six read-only and read-write") && ok;
  std::vector<Object> left;
  left.swap(objects);  // the guard has nothing left to do once these succeed
  bool removed = true;
  for (const Object& o : left) {
    Result<void> r = o.kind == Kind::kSysv ? o.sysv->remove() : channel::Channel::unlink(o.name);
    if (!r) {
      removed = false;
      objects.push_back(o);
    }
  }
  ok = t.check(removed, "root removed all six (IPC_RMID, Channel::unlink)") && ok;
  return ok;
}

}  // namespace

IPCKIT_TOUR_STEP(190, "Permissions: who may attach, write and remove (the article's experiment)",
                 permissions_step);

}  // namespace ipckit::tour
