// Internal: an exclusive flock(2) on a lock file beside a socket path ("<path>.lock"), used by
// UnixListener so that two starters cannot both decide a socket file is stale. Not installed.
#pragma once

#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::uds::detail {

class PathLock {
 public:
  // Opens (creating it 0644 if missing, never following a symlink) and flocks `lock_path`,
  // waiting for the holder. Retries until the locked file is the one at `lock_path`: a holder
  // that removes the file while others wait on it cannot give two processes "the" lock.
  // flock's EINTR is retried. Errors: ELOOP (a symlink), EEXIST (not a regular file), EACCES,
  // ENOENT (directory missing). Man: flock(2).
  [[nodiscard]] static Result<PathLock> acquire(std::string lock_path);

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

}  // namespace ipckit::uds::detail
