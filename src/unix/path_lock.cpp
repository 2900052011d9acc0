#include "unix/path_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/syscall.hpp"

namespace ipckit::uds::detail {

namespace {

// O_NONBLOCK: opening a FIFO planted at the lock path must not hang; it is then refused as not
// a regular file. Read-only suffices for flock, and lets other users lock a 0644 file.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
constexpr mode_t kLockMode = 0644;
constexpr int kMaxAttempts = 1000;

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

Result<PathLock> PathLock::acquire(std::string lock_path) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    bool created = false;
    // Opening an existing file first, and creating only with O_EXCL, keeps clear of
    // fs.protected_regular, which refuses O_CREAT on another user's file in a sticky /tmp.
    Fd fd(::open(lock_path.c_str(), kOpenFlags));
    if (!fd && errno == ENOENT) {
      fd.reset(::open(lock_path.c_str(), kOpenFlags | O_CREAT | O_EXCL, kLockMode));
      if (!fd && errno == EEXIST) continue;  // someone else created it just now
      created = fd.valid();
    }
    if (!fd) {
      if (errno == ELOOP) return fail(ELOOP, "open", lock_path, "lock file is a symbolic link");
      return fail_errno("open", lock_path);
    }
    struct stat held {};
    if (::fstat(fd.get(), &held) != 0) return fail_errno("fstat", lock_path);
    if (!S_ISREG(held.st_mode)) {
      return fail(EEXIST, "open", lock_path, "lock file exists and is not a regular file");
    }
    if (ipckit::detail::retry_eintr([&] { return ::flock(fd.get(), LOCK_EX); }) != 0) {
      return fail_errno("flock", lock_path);
    }
    struct stat now {};
    if (::lstat(lock_path.c_str(), &now) == 0 && same_file(held, now)) {
      return PathLock(std::move(fd), std::move(lock_path), created);
    }
    // The holder removed (or replaced) the file while we waited: lock the new one.
  }
  return fail(EAGAIN, "flock", lock_path, "lock file keeps being replaced");
}

Result<void> PathLock::remove() {
  struct stat held {};
  struct stat now {};
  if (::fstat(fd_.get(), &held) != 0) return fail_errno("fstat", path_);
  if (::lstat(path_.c_str(), &now) != 0) {
    if (errno == ENOENT) return {};
    return fail_errno("lstat", path_);
  }
  if (!same_file(held, now)) return {};
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) return fail_errno("unlink", path_);
  return {};
}

}  // namespace ipckit::uds::detail
