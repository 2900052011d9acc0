#include "unix/path_lock.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <sstream>
#include <utility>

#include "core/text_file.hpp"

namespace ipckit::uds::detail {

namespace {

// O_NONBLOCK: opening a FIFO planted at the lock path must not hang; it is then refused as not
// a regular file. Read-only suffices for flock.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
constexpr mode_t kLockMode = 0600;
constexpr int kMaxAttempts = 1000;
constexpr auto kFirstPoll = std::chrono::milliseconds(1);
constexpr auto kLongestPoll = std::chrono::milliseconds(50);

using Clock = std::chrono::steady_clock;

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Checks who owns the lock file we opened, and tightens a mode of ours that others could open.
Result<void> check_owner(int fd, const struct stat& st, const std::string& lock_path) {
  const uid_t me = ::geteuid();
  if (st.st_uid != me) {
    if (me == 0) return {};  // root: a leftover of any user's listener (see path_lock.hpp)
    return fail(EACCES, "open", lock_path,
                fmt::format("lock file is owned by uid {}, not by uid {}; refusing to use it",
                            st.st_uid, me));
  }
  if ((st.st_mode & 0077) != 0 && ::fchmod(fd, kLockMode) != 0) {
    return fail_errno("chmod", lock_path);
  }
  return {};
}

// The error for a lock file we could not open: EACCES names its owner when lstat can see it.
std::unexpected<Error> open_failed(const std::string& lock_path) {
  const int code = errno;
  if (code == ELOOP) return fail(ELOOP, "open", lock_path, "lock file is a symbolic link");
  struct stat st {};
  if (code == EACCES && ::lstat(lock_path.c_str(), &st) == 0 && st.st_uid != ::geteuid()) {
    return fail(EACCES, "open", lock_path,
                fmt::format("lock file is owned by uid {}, not by uid {}; refusing to use it",
                            st.st_uid, ::geteuid()));
  }
  return std::unexpected(Error(code, "open", lock_path));
}

std::string holder_suffix(const struct stat& st) {
  const std::string holder = describe_flock_holder(st.st_dev, st.st_ino);
  return holder.empty() ? std::string() : " by " + holder;
}

// flock(LOCK_EX) by `deadline`: tries without blocking, then polls `cancel` between tries.
Result<void> lock_until(int fd, const struct stat& st, const std::string& lock_path,
                        const LockWait& wait, Clock::time_point deadline) {
  auto step = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstPoll);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return {};
    if (errno != EWOULDBLOCK && errno != EINTR) return fail_errno("flock", lock_path);
    const auto now = Clock::now();
    if (now >= deadline) {
      return fail(ETIMEDOUT, "flock", lock_path,
                  fmt::format("lock file is held{}; gave up after {:g} s", holder_suffix(st),
                              std::chrono::duration<double>(wait.timeout).count()));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd cancel{wait.cancel.get(), POLLIN, 0};
    const int n = ::poll(&cancel, 1, static_cast<int>(std::min(step, left).count()) + 1);
    if (n > 0) {
      return fail(EINTR, "flock", lock_path,
                  fmt::format("interrupted while waiting for the lock held{}", holder_suffix(st)));
    }
    if (n < 0 && errno != EINTR) return fail_errno("poll", lock_path);
    step = std::min(step * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kLongestPoll));
  }
}

}  // namespace

Result<PathLock> PathLock::acquire(std::string lock_path, const LockWait& wait) {
  // One deadline for every attempt: a holder that keeps replacing the file cannot extend it.
  const auto deadline = Clock::now() + wait.timeout;
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
    if (!fd) return open_failed(lock_path);
    struct stat held {};
    if (::fstat(fd.get(), &held) != 0) return fail_errno("fstat", lock_path);
    if (!S_ISREG(held.st_mode)) {
      return fail(EEXIST, "open", lock_path, "lock file exists and is not a regular file");
    }
    // A creator that gave up removed the file between our open and fstat (it exists no more):
    // open the one there now, as when the holder removes it while we wait below.
    if (held.st_nlink == 0) continue;
    if (held.st_nlink != 1) {
      return fail(EEXIST, "open", lock_path,
                  fmt::format("lock file has {} hard links; refusing to use it", held.st_nlink));
    }
    if (auto r = check_owner(fd.get(), held, lock_path); !r) return std::unexpected(r.error());
    if (auto r = lock_until(fd.get(), held, lock_path, wait, deadline); !r) {
      return std::unexpected(r.error());
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

std::string describe_flock_holder(dev_t dev, ino_t ino) {
  // Lines look like "1: FLOCK  ADVISORY  WRITE 4242 00:2d:1234 0 EOF"; waiters have "->" after
  // the number. The device is "major:minor" in hex.
  // No /proc/locks (no /proc): nothing to tell.
  auto text = ipckit::detail::read_text_file("/proc/locks");
  std::istringstream locks(text ? std::move(*text) : std::string());
  const std::string file = fmt::format("{:02x}:{:02x}:{}", major(dev), minor(dev), ino);
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string number, kind, advisory, access, pid, id;
    fields >> number >> kind;
    if (kind != "FLOCK") continue;
    fields >> advisory >> access >> pid >> id;
    if (id != file) continue;
    if (pid.empty() || pid == "0") return "a process outside this pid namespace";
    std::string comm;
    if (auto name = ipckit::detail::read_text_file(fmt::format("/proc/{}/comm", pid)))
      std::istringstream(*name) >> comm;
    struct stat proc {};
    const std::string proc_dir = fmt::format("/proc/{}", pid);
    std::string who = fmt::format("pid {}", pid);
    if (!comm.empty()) who += fmt::format(" ({})", comm);
    if (::stat(proc_dir.c_str(), &proc) == 0) who += fmt::format(" uid {}", proc.st_uid);
    return who;
  }
  return {};
}

}  // namespace ipckit::uds::detail
