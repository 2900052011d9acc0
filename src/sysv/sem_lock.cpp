#include "ipckit/sysv/sem_lock.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

namespace ipckit::sysv {

namespace {

constexpr unsigned short kR = SemLock::kReaders;
constexpr unsigned short kW = SemLock::kWriters;

// Unlocks never block: if a counter that should hold our +1 is already 0 (reset with SETVAL, or
// taken by an article-style reader's stale undo), unlock() reports EAGAIN instead of hanging.
constexpr short kUndoNoWait = kSemUndo | kNoWait;

constexpr std::array<SemOp, 2> kReadLock{{{kW, 0, 0}, {kR, +1, kSemUndo}}};
constexpr SemOp kReadUnlock{kR, -1, kUndoNoWait};
constexpr std::array<SemOp, 2> kWriteLock{{{kR, 0, 0}, {kW, +1, kSemUndo}}};
constexpr std::array<SemOp, 3> kExclusiveLock{{{kR, 0, 0}, {kW, 0, 0}, {kW, +1, kSemUndo}}};
constexpr SemOp kWriteUnlock{kW, -1, kUndoNoWait};

// The same ops, each refusing to block: whichever op would block first must carry IPC_NOWAIT.
template <std::size_t N>
constexpr std::array<SemOp, N> no_wait(std::array<SemOp, N> ops) {
  for (SemOp& op : ops)
    op.flags = static_cast<short>(op.flags | kNoWait);
  return ops;
}

// Turns an IPC_NOWAIT attempt into a guard, or nullopt when it would have blocked (EAGAIN).
template <class Guard, class Make>
Result<std::optional<Guard>> try_acquire(Result<void> attempt, Make make) {
  if (!attempt) {
    if (attempt.error().code() == EAGAIN) return std::optional<Guard>();
    return std::unexpected(attempt.error());
  }
  return std::optional<Guard>(make());
}

}  // namespace

// SemGuard ------------------------------------------------------------------------------------

SemGuard::SemGuard(SemaphoreSet set, SemOp unlock_op) noexcept
    : set_(set), unlock_op_(unlock_op), owner_(::getpid()) {}

SemGuard::SemGuard(SemGuard&& other) noexcept
    : set_(other.set_), unlock_op_(other.unlock_op_), owner_(std::exchange(other.owner_, 0)) {}

SemGuard& SemGuard::operator=(SemGuard&& other) noexcept {
  if (this != &other) {
    if (owns_lock()) (void)unlock();
    set_ = other.set_;
    unlock_op_ = other.unlock_op_;
    owner_ = std::exchange(other.owner_, 0);
  }
  return *this;
}

SemGuard::~SemGuard() {
  if (owns_lock()) (void)unlock();
}

Result<void> SemGuard::unlock() {
  if (!owns_lock()) {
    return fail(EINVAL, "semop", set_.id().describe(), "the guard holds no lock");
  }
  const pid_t owner = std::exchange(owner_, 0);
  if (owner != ::getpid()) {
    return fail(EPERM, "semop", set_.id().describe(),
                fmt::format("the lock belongs to process {}", owner));
  }
  return set_.apply({unlock_op_});
}

// SemLock -------------------------------------------------------------------------------------

Result<SemLock> SemLock::open_or_create(Key key, mode_t mode) {
  auto set = SemaphoreSet::create(key, 2, {}, mode, Exclusive::kNo);
  if (!set) return std::unexpected(set.error());
  return SemLock(*set);
}

Result<ReadGuard> SemLock::lock_shared() const {
  if (auto r = set_.apply(kReadLock); !r) return std::unexpected(r.error());
  return ReadGuard(set_, kReadUnlock);
}

Result<ReadGuard> SemLock::lock_shared_for(std::chrono::nanoseconds timeout) const {
  if (auto r = set_.apply_for(kReadLock, timeout); !r) return std::unexpected(r.error());
  return ReadGuard(set_, kReadUnlock);
}

Result<std::optional<ReadGuard>> SemLock::try_lock_shared() const {
  static constexpr auto kOps = no_wait(kReadLock);
  return try_acquire<ReadGuard>(set_.apply(kOps), [&] { return ReadGuard(set_, kReadUnlock); });
}

Result<WriteGuard> SemLock::lock() const {
  if (auto r = set_.apply(kWriteLock); !r) return std::unexpected(r.error());
  return WriteGuard(set_, kWriteUnlock);
}

Result<WriteGuard> SemLock::lock_for(std::chrono::nanoseconds timeout) const {
  if (auto r = set_.apply_for(kWriteLock, timeout); !r) return std::unexpected(r.error());
  return WriteGuard(set_, kWriteUnlock);
}

Result<WriteGuard> SemLock::lock_exclusive() const {
  if (auto r = set_.apply(kExclusiveLock); !r) return std::unexpected(r.error());
  return WriteGuard(set_, kWriteUnlock);
}

Result<WriteGuard> SemLock::lock_exclusive_for(std::chrono::nanoseconds timeout) const {
  if (auto r = set_.apply_for(kExclusiveLock, timeout); !r) return std::unexpected(r.error());
  return WriteGuard(set_, kWriteUnlock);
}

Result<std::optional<WriteGuard>> SemLock::try_lock_exclusive() const {
  static constexpr auto kOps = no_wait(kExclusiveLock);
  return try_acquire<WriteGuard>(set_.apply(kOps), [&] { return WriteGuard(set_, kWriteUnlock); });
}

// SemMutex ------------------------------------------------------------------------------------

Result<SemMutex> SemMutex::create(Key key, mode_t mode) {
  constexpr std::array<unsigned short, 1> kFree{1};
  auto set = SemaphoreSet::create(key, 1, kFree, mode, Exclusive::kYes);
  if (!set) return std::unexpected(set.error());
  return SemMutex(*set, 0);
}

Result<MutexGuard> SemMutex::lock() const {
  if (auto r = set_.apply({{num_, -1, kSemUndo}}); !r) return std::unexpected(r.error());
  return MutexGuard(set_, SemOp{num_, +1, kSemUndo});
}

Result<MutexGuard> SemMutex::lock_for(std::chrono::nanoseconds timeout) const {
  if (auto r = set_.apply_for({{num_, -1, kSemUndo}}, timeout); !r) {
    return std::unexpected(r.error());
  }
  return MutexGuard(set_, SemOp{num_, +1, kSemUndo});
}

Result<std::optional<MutexGuard>> SemMutex::try_lock() const {
  constexpr short kFlags = kSemUndo | kNoWait;
  return try_acquire<MutexGuard>(set_.apply({{num_, -1, kFlags}}), [&] {
    return MutexGuard(set_, SemOp{num_, +1, kSemUndo});
  });
}

}  // namespace ipckit::sysv
