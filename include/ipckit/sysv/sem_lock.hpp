// ipckit::sysv::SemLock and SemMutex: locks between processes built on a SemaphoreSet, and the
// RAII guards (ReadGuard, WriteGuard, MutexGuard) that release them.
//
// SemLock is the article's reader/writer lock, counter for counter, so ipckit programs and the
// article's C programs (shmread/shmwrite) can share one set:
//   counter 0 = readers holding the lock, counter 1 = writers holding it.
//   read lock:    {1, 0} wait for writers == 0, {0, +1, SEM_UNDO}     (one atomic semop)
//   read unlock:  {0, -1, SEM_UNDO | IPC_NOWAIT}
//   write lock:   {0, 0} wait for readers == 0, {1, +1, SEM_UNDO}
//   write unlock: {1, -1, SEM_UNDO | IPC_NOWAIT}
// Differences from the article, on purpose:
//  * Our read unlock carries SEM_UNDO; the article's does not. Its reader therefore exits with a
//    stale -1 adjustment on counter 0, which the kernel applies at exit (clamping at 0): if
//    another reader still holds the lock then, its count is taken away and a writer can enter
//    while it reads. Ours keeps each process's adjustment balanced (0 after every unlock).
//  * Our unlocks carry IPC_NOWAIT. A decrement blocks when the counter is already 0, which only
//    happens when someone broke the protocol (SETVAL/SETALL, or the stale undo above took our
//    count); unlock() then fails with EAGAIN instead of hanging the process.
//  * As in the article, lock() only excludes readers from writers: several lock() writers may
//    hold the write lock at once. lock_exclusive() also waits for writers == 0, so it excludes
//    every other holder, but only against peers that also use lock_exclusive(): a lock() writer
//    (or the article's shmwrite) does not look at counter 1 and can enter beside it.
//  * Neither side has priority: a steady overlap of readers keeps counter 0 above zero and
//    starves writers (and overlapping lock() writers starve readers).
//
// SemMutex is a plain mutex on one counter: 1 = free, lock = {n, -1, SEM_UNDO}, unlock =
// {n, +1, SEM_UNDO}.
//
// Peer death: every lock and unlock carries SEM_UNDO, so when a process dies holding a lock (even
// by SIGKILL) the kernel releases it. The data the lock protected may be half-updated; the lock
// cannot tell you.
//
// Ownership: SemLock and SemMutex are cheap copyable handles; they do not own the set, which
// lives in the kernel until removed (set().remove()). A guard holds one lock for the process
// that took it; it must not outlive the set's usefulness (unlocking a removed set reports
// EINVAL/EIDRM). Locks are not recursive: locking again from the same process can deadlock.
//
// Thread safety: SemLock/SemMutex are immutable and may be shared by threads; the counters
// exclude threads of one process from each other as they exclude processes. A guard is a value:
// move it between threads freely, but do not use one guard from two threads at once. SEM_UNDO
// adjustments belong to the process, so a guard copied into a fork() child by fork() does not
// unlock there (see SemGuard::unlock()).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/key.hpp"
#include "ipckit/sysv/semaphore_set.hpp"

namespace ipckit::sysv {

// A held lock: move-only; destroying it unlocks (ignoring errors: call unlock() to see them).
class SemGuard {
 public:
  SemGuard(SemGuard&& other) noexcept;
  // Unlocks what this guard held, then takes over `other`'s lock.
  SemGuard& operator=(SemGuard&& other) noexcept;
  SemGuard(const SemGuard&) = delete;
  SemGuard& operator=(const SemGuard&) = delete;
  ~SemGuard();

  // True until unlock() or a move away.
  [[nodiscard]] bool owns_lock() const noexcept { return owner_ != 0; }
  explicit operator bool() const noexcept { return owns_lock(); }

  // semop(id, {unlock op}): releases the lock now; never blocks. Afterwards the guard holds
  // nothing, whatever the outcome. REQUIRES: owns_lock(), else EINVAL.
  // Called in a process other than the one that locked (a fork() child's copy of the guard), it
  // fails with EPERM and changes nothing: the lock and its SEM_UNDO adjustment are the parent's.
  // Errors: EINVAL/EIDRM (set removed), EPERM (other process), EAGAIN (the counter was already
  // 0: someone reset it or took our count; see above). Man: semop(2).
  [[nodiscard]] Result<void> unlock();

 protected:
  SemGuard(SemaphoreSet set, SemOp unlock_op) noexcept;

 private:
  SemaphoreSet set_;
  SemOp unlock_op_;
  pid_t owner_;  // the locking process; 0 when the guard holds nothing
};

class ReadGuard final : public SemGuard {
 private:
  friend class SemLock;
  using SemGuard::SemGuard;
};

class WriteGuard final : public SemGuard {
 private:
  friend class SemLock;
  using SemGuard::SemGuard;
};

class MutexGuard final : public SemGuard {
 private:
  friend class SemMutex;
  using SemGuard::SemGuard;
};

class SemLock {
 public:
  static constexpr unsigned short kReaders = 0;  // counter of read-lock holders
  static constexpr unsigned short kWriters = 1;  // counter of write-lock holders

  // Takes a handle to `set` (it does not own the set).
  // REQUIRES: the set has at least 2 counters (otherwise every lock fails with EFBIG).
  explicit SemLock(SemaphoreSet set) noexcept : set_(set) {}

  // semget(key, 2, IPC_CREAT | mode): exactly what the article's programs do. A new set starts
  // unlocked (both counters 0). Errors: those of SemaphoreSet::create(); EINVAL if an existing
  // set under `key` has fewer than 2 counters. Man: semget(2).
  [[nodiscard]] static Result<SemLock> open_or_create(Key key, mode_t mode = 0666);

  // semop: {1, 0}, {0, +1, SEM_UNDO}. Blocks while any writer holds the lock; shares with
  // readers. Errors: those of SemaphoreSet::apply() (EIDRM if the set is removed while waiting).
  [[nodiscard]] Result<ReadGuard> lock_shared() const;
  // semtimedop with the same ops. Errors: ETIMEDOUT, and those of lock_shared().
  [[nodiscard]] Result<ReadGuard> lock_shared_for(std::chrono::nanoseconds timeout) const;
  // semop with IPC_NOWAIT. Returns: nullopt if a writer holds the lock.
  [[nodiscard]] Result<std::optional<ReadGuard>> try_lock_shared() const;

  // semop: {0, 0}, {1, +1, SEM_UNDO}: the article's writer lock. Blocks while any reader holds
  // the lock; does NOT exclude other writers. Errors: those of SemaphoreSet::apply().
  [[nodiscard]] Result<WriteGuard> lock() const;
  // semtimedop with the same ops. Errors: ETIMEDOUT, and those of lock().
  [[nodiscard]] Result<WriteGuard> lock_for(std::chrono::nanoseconds timeout) const;

  // semop: {0, 0}, {1, 0}, {1, +1, SEM_UNDO}: blocks while any reader or writer holds the lock.
  // Errors: those of SemaphoreSet::apply().
  [[nodiscard]] Result<WriteGuard> lock_exclusive() const;
  // semtimedop with the same ops. Errors: ETIMEDOUT, and those of lock_exclusive().
  [[nodiscard]] Result<WriteGuard> lock_exclusive_for(std::chrono::nanoseconds timeout) const;
  // semop with IPC_NOWAIT. Returns: nullopt if any reader or writer holds the lock.
  [[nodiscard]] Result<std::optional<WriteGuard>> try_lock_exclusive() const;

  [[nodiscard]] const SemaphoreSet& set() const noexcept { return set_; }

 private:
  SemaphoreSet set_;
};

class SemMutex {
 public:
  // Takes a handle to counter `num` of `set` (it does not own the set).
  // REQUIRES: num < the set's size; the counter is 1 when nobody holds the mutex.
  SemMutex(SemaphoreSet set, unsigned short num) noexcept : set_(set), num_(num) {}

  // semget(key, 1, IPC_CREAT | IPC_EXCL | mode), then SETALL {1}: a fresh, unlocked mutex.
  // Caller owns the new set: remove it with set().remove(). Errors: EEXIST (key taken), and
  // those of SemaphoreSet::create(). Man: semget(2).
  [[nodiscard]] static Result<SemMutex> create(Key key, mode_t mode = 0600);

  // semop: {num, -1, SEM_UNDO}. Blocks until the mutex is free. Errors: those of apply().
  [[nodiscard]] Result<MutexGuard> lock() const;
  // semtimedop with the same op. Errors: ETIMEDOUT, and those of lock().
  [[nodiscard]] Result<MutexGuard> lock_for(std::chrono::nanoseconds timeout) const;
  // semop with IPC_NOWAIT. Returns: nullopt if the mutex is held.
  [[nodiscard]] Result<std::optional<MutexGuard>> try_lock() const;

  [[nodiscard]] const SemaphoreSet& set() const noexcept { return set_; }
  [[nodiscard]] unsigned short num() const noexcept { return num_; }

 private:
  SemaphoreSet set_;
  unsigned short num_;
};

}  // namespace ipckit::sysv
