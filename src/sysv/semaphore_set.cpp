#include "ipckit/sysv/semaphore_set.hpp"

#include <fmt/core.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>

#include "core/deadline.hpp"
#include "core/syscall.hpp"
#include "sysv/remove_by_id.hpp"

namespace ipckit::sysv {

namespace {

// glibc leaves the definition of semctl's fourth argument to the caller (semctl(2)).
union semun {  // NOLINT(readability-identifier-naming): the name semctl(2) gives it
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

constexpr int kPermMask = 0777;

int perm_bits(mode_t mode) {
  return static_cast<int>(mode & static_cast<mode_t>(kPermMask));
}

// Copies SemOps into struct sembuf; small calls (every lock in ipckit) stay off the heap.
class SembufList {
 public:
  explicit SembufList(std::span<const SemOp> ops) : size_(ops.size()) {
    if (ops.size() > small_.size()) heap_.resize(ops.size());
    sembuf* out = data();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      out[i].sem_num = ops[i].num;
      out[i].sem_op = ops[i].op;
      out[i].sem_flg = ops[i].flags;
    }
  }
  sembuf* data() { return heap_.empty() ? small_.data() : heap_.data(); }
  std::size_t size() const { return size_; }

 private:
  std::array<sembuf, 8> small_{};
  std::vector<sembuf> heap_;
  std::size_t size_;
};

bool any_nowait(std::span<const SemOp> ops) {
  return std::any_of(ops.begin(), ops.end(),
                     [](const SemOp& o) { return (o.flags & kNoWait) != 0; });
}

// semctl() for the commands that take no fourth argument or an int.
Result<int> semctl_int(SemId id, int num, int cmd) {
  int r = ::semctl(id.value, num, cmd);
  if (r == -1) return fail_errno("semctl", id.describe());
  return r;
}

Result<semid_ds> ipc_stat(SemId id) {
  semid_ds ds{};
  semun arg{};
  arg.buf = &ds;
  if (::semctl(id.value, 0, IPC_STAT, arg) == -1) return fail_errno("semctl", id.describe());
  return ds;
}

}  // namespace

Result<SemaphoreSet> SemaphoreSet::create(Key key, int nsems,
                                          std::span<const unsigned short> initial, mode_t mode,
                                          Exclusive exclusive) {
  if (nsems < 1) {
    return fail(EINVAL, "semget", key.describe(),
                fmt::format("a new set needs at least one semaphore, not {}", nsems));
  }
  if (!initial.empty() && initial.size() != static_cast<std::size_t>(nsems)) {
    return fail(EINVAL, "semget", key.describe(),
                fmt::format("{} initial values for {} semaphores", initial.size(), nsems));
  }
  for (unsigned short v : initial) {
    if (v > kSemValueMax) {
      return fail(ERANGE, "semget", key.describe(),
                  fmt::format("initial value {} is above the maximum {}", v, kSemValueMax));
    }
  }

  const int perms = perm_bits(mode);
  // Exclusive::kNo with initial values: find out whether this call creates the set, so an
  // existing set's counters are never reset. The loop covers a peer removing the set between
  // the two semget() calls.
  const bool must_know_if_created = !initial.empty() && exclusive == Exclusive::kNo;
  int id = -1;
  bool created = true;
  if (must_know_if_created) {
    for (;;) {
      id = ::semget(key.value(), nsems, IPC_CREAT | IPC_EXCL | perms);
      if (id != -1 || errno != EEXIST) break;
      id = ::semget(key.value(), nsems, perms);
      if (id != -1) {
        created = false;
        break;
      }
      if (errno != ENOENT) break;
    }
  } else {
    int flags = IPC_CREAT | perms;
    if (exclusive == Exclusive::kYes) flags |= IPC_EXCL;
    id = ::semget(key.value(), nsems, flags);
  }
  if (id == -1) return fail_errno("semget", key.describe());

  SemaphoreSet set{SemId(id)};
  if (created && !initial.empty()) {
    if (auto r = set.set_values(initial); !r) {
      // Cannot happen with values checked above short of a peer removing the set; do not
      // leave behind a half-initialised set this call made.
      (void)set.remove();
      return std::unexpected(r.error());
    }
  }
  return set;
}

Result<SemaphoreSet> SemaphoreSet::open(Key key, int nsems) {
  if (key.is_private()) {
    return fail(EINVAL, "semget", key.describe(), "IPC_PRIVATE names no existing set");
  }
  int id = ::semget(key.value(), nsems, 0);
  if (id == -1) return fail_errno("semget", key.describe());
  return SemaphoreSet{SemId(id)};
}

Result<SemaphoreSet> SemaphoreSet::from_id(SemId id) {
  if (auto ds = ipc_stat(id); !ds) return std::unexpected(ds.error());
  return SemaphoreSet{id};
}

Result<void> SemaphoreSet::apply(std::span<const SemOp> ops) const {
  SembufList list(ops);
  int r = detail::retry_eintr([&] { return ::semop(id_.value, list.data(), list.size()); });
  if (r == -1) return fail_errno("semop", id_.describe());
  return {};
}

Result<void> SemaphoreSet::apply(std::initializer_list<SemOp> ops) const {
  return apply(std::span<const SemOp>(ops.begin(), ops.size()));
}

Result<void> SemaphoreSet::apply_for(std::span<const SemOp> ops,
                                     std::chrono::nanoseconds timeout) const {
  using ipckit::detail::Clock;
  SembufList list(ops);
  const auto deadline = ipckit::detail::deadline_after(timeout);
  std::chrono::nanoseconds remaining = std::max(timeout, std::chrono::nanoseconds::zero());
  for (;;) {
    timespec ts = ipckit::detail::relative_timespec(remaining);
    if (::semtimedop(id_.value, list.data(), list.size(), &ts) == 0) return {};
    const int err = errno;
    const auto now = Clock::now();
    if (err == EINTR) {
      remaining = ipckit::detail::time_left(deadline);
      continue;
    }
    // EAGAIN means "timed out" unless a kNoWait op refused before the deadline.
    if (err == EAGAIN && (!any_nowait(ops) || now >= deadline)) {
      return fail(ETIMEDOUT, "semtimedop", id_.describe());
    }
    return fail(err, "semtimedop", id_.describe());
  }
}

Result<void> SemaphoreSet::apply_for(std::initializer_list<SemOp> ops,
                                     std::chrono::nanoseconds timeout) const {
  return apply_for(std::span<const SemOp>(ops.begin(), ops.size()), timeout);
}

Result<int> SemaphoreSet::value(unsigned short num) const {
  return semctl_int(id_, num, GETVAL);
}

Result<void> SemaphoreSet::set_value(unsigned short num, int value) const {
  semun arg{};
  arg.val = value;
  if (::semctl(id_.value, num, SETVAL, arg) == -1) return fail_errno("semctl", id_.describe());
  return {};
}

Result<std::vector<unsigned short>> SemaphoreSet::values() const {
  auto ds = ipc_stat(id_);
  if (!ds) return std::unexpected(ds.error());
  std::vector<unsigned short> out(static_cast<std::size_t>(ds->sem_nsems));
  semun arg{};
  arg.array = out.data();
  if (::semctl(id_.value, 0, GETALL, arg) == -1) return fail_errno("semctl", id_.describe());
  return out;
}

Result<void> SemaphoreSet::set_values(std::span<const unsigned short> values) const {
  auto ds = ipc_stat(id_);
  if (!ds) return std::unexpected(ds.error());
  if (values.size() != static_cast<std::size_t>(ds->sem_nsems)) {
    return fail(EINVAL, "semctl", id_.describe(),
                fmt::format("{} values for a set of {} semaphores", values.size(),
                            static_cast<std::size_t>(ds->sem_nsems)));
  }
  // SETALL only reads the array, but semun's member is non-const: hand it a copy.
  std::vector<unsigned short> copy(values.begin(), values.end());
  semun arg{};
  arg.array = copy.data();
  if (::semctl(id_.value, 0, SETALL, arg) == -1) return fail_errno("semctl", id_.describe());
  return {};
}

Result<int> SemaphoreSet::ncount(unsigned short num) const {
  return semctl_int(id_, num, GETNCNT);
}

Result<int> SemaphoreSet::zcount(unsigned short num) const {
  return semctl_int(id_, num, GETZCNT);
}

Result<pid_t> SemaphoreSet::last_pid(unsigned short num) const {
  auto r = semctl_int(id_, num, GETPID);
  if (!r) return std::unexpected(r.error());
  return static_cast<pid_t>(*r);
}

Result<SemStat> SemaphoreSet::stat() const {
  auto ds = ipc_stat(id_);
  if (!ds) return std::unexpected(ds.error());
  return SemStat{
      .key = Key(ds->sem_perm.__key),
      .nsems = static_cast<std::size_t>(ds->sem_nsems),
      .mode = static_cast<mode_t>(ds->sem_perm.mode & kPermMask),
      .uid = ds->sem_perm.uid,
      .gid = ds->sem_perm.gid,
      .cuid = ds->sem_perm.cuid,
      .cgid = ds->sem_perm.cgid,
      .otime = ds->sem_otime,
      .ctime = ds->sem_ctime,
  };
}

Result<void> SemaphoreSet::set_mode(mode_t mode) const {
  auto ds = ipc_stat(id_);
  if (!ds) return std::unexpected(ds.error());
  ds->sem_perm.mode = static_cast<unsigned short>(perm_bits(mode));
  semun arg{};
  arg.buf = &*ds;
  if (::semctl(id_.value, 0, IPC_SET, arg) == -1) return fail_errno("semctl", id_.describe());
  return {};
}

Result<void> SemaphoreSet::remove() const {
  if (::semctl(id_.value, 0, IPC_RMID) == -1) return fail_errno("semctl", id_.describe());
  return {};
}

Result<void> SemaphoreSet::remove(SemId id) {
  return detail::removed_by_id(::semctl(id.value, 0, IPC_RMID), "semctl", id, "semaphore set");
}

Result<void> SemaphoreSet::remove(Key key) {
  if (key.is_private()) {
    return fail(EINVAL, "semget", key.describe(), "IPC_PRIVATE names no existing set");
  }
  const int id = ::semget(key.value(), 0, 0);
  if (id < 0) return fail_errno("semget", key.describe());
  return remove(SemId(id));
}

}  // namespace ipckit::sysv
