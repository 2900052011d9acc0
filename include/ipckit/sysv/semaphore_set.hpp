// ipckit::sysv::SemaphoreSet: a System V semaphore set (semget(2), semop(2), semctl(2)).
//
// What it is: a kernel array of non-negative counters (each 0..32767) named by a Key and an id.
// semop() applies a list of operations to it atomically: all of them happen, or none does and the
// call blocks (or fails with EAGAIN under IPC_NOWAIT). An operation adds `op` to counter `num`;
// a negative `op` waits until the counter is large enough; `op == 0` waits until it is zero.
//
// Handle, not owner: a SemaphoreSet is a copyable value holding the id. Copying or destroying
// it never touches the kernel object. The set lives in the kernel until someone calls remove()
// (or `ipcrm -s`): it outlives every process that uses it, including the one that created it.
//
// Peer death: counters are plain numbers; a process that dies after decrementing one leaves it
// decremented forever, unless the operation carried SEM_UNDO (kSemUndo). The kernel keeps, per
// process, the sum of its SEM_UNDO operations on each counter (the "semadj") and reverses it
// when the process exits, by any means including SIGKILL. Use SEM_UNDO for every lock and
// unlock. semadj belongs to the process: threads share it, fork() children start with none.
// set_value()/set_values() reset every process's semadj for the counters they write.
//
// Thread safety: all members are const and may be called from any thread; the kernel serialises
// operations on the set.
//
// Errors carry the exact errno, the syscall as operation() ("semget", "semop", "semtimedop",
// "semctl") and the key or id as object(), e.g. "semop(id 42): Resource temporarily
// unavailable".
//
// Note for code that calls semctl(2) directly: glibc does not define `union semun`; the caller
// must (see semctl(2)). This header does not, so it cannot clash with a definition of yours.
#pragma once

#include <sys/sem.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <ctime>
#include <initializer_list>
#include <span>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/ids.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::sysv {

// Flags for SemOp::flags. Spelled as constants because the macros are ints and SemOp::flags is
// a short, as in struct sembuf.
inline constexpr short kSemUndo = SEM_UNDO;   // reverse this operation when the process exits
inline constexpr short kNoWait = IPC_NOWAIT;  // fail with EAGAIN instead of blocking
inline constexpr int kSemValueMax = 32767;    // SEMVMX: the largest value a counter can hold

// One operation of a semop() call; the same fields as struct sembuf.
struct SemOp {
  unsigned short num;  // counter index, 0-based
  short op;            // > 0: add; < 0: wait until counter >= -op, then subtract; 0: wait for zero
  short flags = 0;     // 0, kSemUndo, kNoWait, or kSemUndo | kNoWait
};

// What IPC_STAT reports about a set.
struct SemStat {
  Key key;
  std::size_t nsems;  // number of counters
  mode_t mode;        // permission bits only (0777 mask)
  uid_t uid;          // owner
  gid_t gid;
  uid_t cuid;  // creator
  gid_t cgid;
  std::time_t otime;  // last semop(), 0 if none yet
  std::time_t ctime;  // creation or last IPC_SET / SETVAL / SETALL
};

class SemaphoreSet {
 public:
  // semget(key, nsems, IPC_CREAT [| IPC_EXCL] | mode), then semctl(SETALL) when `initial` is
  // not empty.
  // REQUIRES: nsems >= 1; `initial` empty or of exactly `nsems` values, each <= kSemValueMax.
  // Returns: the set. Fresh counters are 0 unless `initial` says otherwise.
  // With Exclusive::kNo and an existing set, the set is opened and `initial` is NOT applied:
  // counters that peers may be using are never reset behind their back. (Internally this tries
  // IPC_EXCL first and falls back to opening, so it knows which case happened.)
  // Initialisation race: a peer that opens the set between semget() and SETALL sees zeros. If
  // that matters, have peers wait until stat().otime != 0 and make a semop() after creating.
  // Errors: EEXIST (kYes and the key exists), EINVAL (nsems < 1 or above SEMMSL, `initial` size
  // mismatch, or an existing set has fewer than nsems counters), ERANGE (an initial value above
  // kSemValueMax), EACCES (existing set, `mode` asks for access it does not grant), ENOSPC
  // (system limit on sets or counters), ENOMEM. Man: semget(2), semctl(2).
  [[nodiscard]] static Result<SemaphoreSet> create(Key key, int nsems,
                                                   std::span<const unsigned short> initial = {},
                                                   mode_t mode = 0600,
                                                   Exclusive exclusive = Exclusive::kYes);

  // semget(key, nsems, 0): opens an existing set.
  // REQUIRES: key is not IPC_PRIVATE (which names no existing set).
  // Returns: the set. Opening checks no permission; operations on it may then fail with EACCES.
  // Errors: ENOENT (no set with this key), EINVAL (the set has fewer than `nsems` counters, or
  // key is IPC_PRIVATE). Man: semget(2).
  [[nodiscard]] static Result<SemaphoreSet> open(Key key, int nsems = 0);

  // semctl(id, 0, IPC_STAT): adopts an id (from ipcs, a peer, ...) after checking it names a set.
  // Returns: the set. Errors: EINVAL (no such set), EIDRM (removed), EACCES (no read permission).
  // Man: semctl(2).
  [[nodiscard]] static Result<SemaphoreSet> from_id(SemId id);

  [[nodiscard]] SemId id() const noexcept { return id_; }

  // semop(id, ops, n): applies all `ops` atomically, or none of them.
  // Blocks until all can be applied, unless the first one that cannot has kNoWait. Restarted
  // on EINTR: an interrupted semop() changed nothing, so restarting is exactly waiting longer.
  // REQUIRES: 1 <= ops.size() <= SEMOPM (500 by default).
  // Errors: EAGAIN (a kNoWait op would block), EIDRM (set removed while waiting), EINVAL (no
  // such set, or empty `ops`), EFBIG (num out of range), ERANGE (result above kSemValueMax),
  // E2BIG (too many ops), EACCES (no permission), ENOMEM (SEM_UNDO bookkeeping). Man: semop(2).
  [[nodiscard]] Result<void> apply(std::span<const SemOp> ops) const;
  [[nodiscard]] Result<void> apply(std::initializer_list<SemOp> ops) const;

  // semtimedop(id, ops, n, timeout): apply() that gives up after `timeout`.
  // A negative timeout counts as zero (one attempt). If a signal interrupts the wait, the call
  // is restarted with the time that remains (measured on CLOCK_MONOTONIC), so the total wait
  // never exceeds `timeout` by more than scheduling latency.
  // Errors: ETIMEDOUT when the time ran out (the kernel reports EAGAIN; it is translated so a
  // timeout can be told from a kNoWait refusal, which stays EAGAIN), and those of apply().
  // Man: semop(2).
  [[nodiscard]] Result<void> apply_for(std::span<const SemOp> ops,
                                       std::chrono::nanoseconds timeout) const;
  [[nodiscard]] Result<void> apply_for(std::initializer_list<SemOp> ops,
                                       std::chrono::nanoseconds timeout) const;

  // semctl(id, num, GETVAL). Returns: the counter's value. Errors: EINVAL (num out of range or
  // no such set), EACCES, EIDRM. Man: semctl(2).
  [[nodiscard]] Result<int> value(unsigned short num) const;

  // semctl(id, num, SETVAL): sets one counter, wakes waiters it satisfies, and clears every
  // process's semadj for it. Errors: ERANGE (value < 0 or > kSemValueMax), EINVAL, EACCES
  // (no write permission), EIDRM. Man: semctl(2).
  [[nodiscard]] Result<void> set_value(unsigned short num, int value) const;

  // semctl(id, 0, GETALL) (after IPC_STAT to learn the size). Returns: every counter, in order.
  // Errors: EINVAL, EACCES, EIDRM. Man: semctl(2).
  [[nodiscard]] Result<std::vector<unsigned short>> values() const;

  // semctl(id, 0, SETALL): sets every counter at once (and clears their semadj).
  // REQUIRES: values.size() == number of counters; checked with IPC_STAT first, since the kernel
  // would read that many values whatever the span's size. Errors: EINVAL (size mismatch),
  // ERANGE (a value above kSemValueMax), EACCES, EIDRM. Man: semctl(2).
  [[nodiscard]] Result<void> set_values(std::span<const unsigned short> values) const;

  // semctl(id, num, GETNCNT): how many processes wait for counter `num` to increase.
  // Errors: EINVAL, EACCES, EIDRM. Man: semctl(2).
  [[nodiscard]] Result<int> ncount(unsigned short num) const;

  // semctl(id, num, GETZCNT): how many processes wait for counter `num` to become zero.
  // Errors: EINVAL, EACCES, EIDRM. Man: semctl(2).
  [[nodiscard]] Result<int> zcount(unsigned short num) const;

  // semctl(id, num, GETPID): the process that last changed counter `num` (0 if none).
  // Errors: EINVAL, EACCES, EIDRM. Man: semctl(2).
  [[nodiscard]] Result<pid_t> last_pid(unsigned short num) const;

  // semctl(id, 0, IPC_STAT). Errors: EINVAL, EACCES (no read permission), EIDRM. Man: semctl(2).
  [[nodiscard]] Result<SemStat> stat() const;

  // semctl(IPC_STAT) then semctl(IPC_SET) with the permission bits replaced by `mode & 0777`.
  // REQUIRES: the caller owns or created the set, or is privileged. Errors: EPERM, EINVAL,
  // EIDRM. Man: semctl(2).
  [[nodiscard]] Result<void> set_mode(mode_t mode) const;

  // semctl(id, 0, IPC_RMID): destroys the set now. Processes blocked in semop() on it wake with
  // EIDRM; later calls with this id fail with EINVAL. Copies of this handle become dangling ids.
  // REQUIRES: the caller owns or created the set, or is privileged. Errors: EPERM, EINVAL.
  // Man: semctl(2).
  [[nodiscard]] Result<void> remove() const;

  // semctl(id, IPC_RMID) on an id (from ipcs, a listing, a peer), as `ipcrm -s ID` does: no
  // IPC_STAT first, since removing needs ownership, not read permission (from_id(id).remove()
  // would refuse an owner's 0000 set with EACCES).
  // REQUIRES: nothing; any id is tried. Returns: nothing once the set is removed.
  // Errors: ENOENT (no semaphore set has this id, or another remover is destroying it: the kernel's
  // EINVAL or EIDRM; the message says "no semaphore set has this id"), EPERM (neither owner nor
  // creator, no CAP_SYS_ADMIN). Man: semctl(2).
  [[nodiscard]] static Result<void> remove(SemId id);

  // semget(key, 0, 0) then semctl(IPC_RMID), as `ipcrm -S KEY` does.
  // REQUIRES: !key.is_private(). Errors: ENOENT (no set has that key, or it went before
  // IPC_RMID), EINVAL (IPC_PRIVATE), EPERM, as remove(id). Man: semctl(2).
  [[nodiscard]] static Result<void> remove(Key key);

  friend bool operator==(const SemaphoreSet&, const SemaphoreSet&) = default;

 private:
  explicit SemaphoreSet(SemId id) noexcept : id_(id) {}

  SemId id_;
};

}  // namespace ipckit::sysv
