// ipckit::uds::LockWait: how long binding (or removing) a path socket waits for "<path>.lock".
//
// UnixListener and BoundDatagram take an exclusive flock(2) on "<path>.lock" while they probe,
// replace and bind a socket file, and again while they remove it. Their own holds last
// microseconds; a process that holds the lock longer (another starter stuck in bind, or anyone
// who opened the lock file and keeps it locked) makes the caller wait at most `timeout`, then
// fail with ETIMEDOUT and a message naming the holder (pid, command, uid) when /proc/locks shows
// it. The wait polls the lock; it is not woken by the holder's release, so it may lag that
// release by up to 50 ms.
//
// Signals: a signal handler that interrupts the wait does not end it (the deadline bounds it
// anyway). To stop waiting at once on a signal, pass `cancel`: a descriptor that becomes
// readable when the wait should end (the self-pipe of a signal handler, an eventfd); the call
// then fails with EINTR. The descriptor is borrowed and never read.
//
// Thread safety: a plain value.
#pragma once

#include <chrono>

#include "ipckit/core/fd.hpp"

namespace ipckit::uds {

// The default bound on the wait: far longer than any bind or close holds the lock.
inline constexpr std::chrono::milliseconds kDefaultLockWait{5000};

struct LockWait {
  std::chrono::milliseconds timeout = kDefaultLockWait;  // zero: one attempt, no wait
  FdView cancel{};  // readable: stop waiting (EINTR); invalid (the default): no such descriptor
};

}  // namespace ipckit::uds
