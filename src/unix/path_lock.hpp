// Internal: an exclusive flock(2) on a lock file beside a socket path ("<path>.lock"), used by
// UnixListener and BoundDatagram so that two starters cannot both decide a socket file is stale.
// Not installed.
//
// Who can take the lock: the lock file is created 0600 by the binder and must be owned by the
// caller's effective uid, so another user can neither open it (to hold it) nor plant it (in a
// sticky, world-writable /tmp). A pre-existing lock file owned by another uid is refused with
// EACCES by everyone but root: root may use it (a leftover of any user's listener; root could
// remove it anyway) and still never waits longer than the LockWait. A lock file of ours that an
// older ipckit made 0644 is made 0600.
#pragma once

#include <sys/types.h>

#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/unix/lock_wait.hpp"

namespace ipckit::uds::detail {

class PathLock {
 public:
  // Opens (creating it 0600 if missing, never following a symlink) and flocks `lock_path`,
  // waiting for the holder at most `wait.timeout`. Retries until the locked file is the one at
  // `lock_path`: a holder that removes the file while others wait on it cannot give two
  // processes "the" lock. Errors: ETIMEDOUT (still held at the deadline; the message names the
  // holder), EINTR (wait.cancel became readable), ELOOP (a symlink), EEXIST (not a regular file,
  // or hard-linked), EACCES (owned by another user, or no permission), ENOENT (directory
  // missing). Man: flock(2), proc(5) (/proc/locks).
  [[nodiscard]] static Result<PathLock> acquire(std::string lock_path, const LockWait& wait);

  // unlink(2) of the lock file, while holding it, if the path still names the locked file.
  // Errors: EACCES, EPERM.
  [[nodiscard]] Result<void> remove();

  // Whether acquire() created the file (rather than finding one).
  [[nodiscard]] bool created() const noexcept { return created_; }

  // The lock is released when the PathLock is destroyed (its descriptor closed).

 private:
  PathLock(Fd fd, std::string path, bool created)
      : fd_(std::move(fd)), path_(std::move(path)), created_(created) {}

  Fd fd_;
  std::string path_;
  bool created_;
};

// "pid 4242 (flock) uid 65534": who holds a flock(2) on the file (dev, ino), from
// /proc/locks; empty when it cannot tell (no /proc, or a holder outside this pid namespace).
[[nodiscard]] std::string describe_flock_holder(dev_t dev, ino_t ino);

}  // namespace ipckit::uds::detail
