// Fifo: making, opening and removing named pipes. Reading and writing: fifo_io.cpp.
#include <fcntl.h>
#include <fmt/core.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "core/syscall.hpp"
#include "ipckit/fifo.hpp"

namespace ipckit {

static_assert(kPipeBuf == PIPE_BUF, "kPipeBuf must be the platform's PIPE_BUF");

namespace {

constexpr mode_t kPermissionBits = 0777;

const char* file_type(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "regular file";
    case S_IFDIR:
      return "directory";
    case S_IFLNK:
      return "symbolic link";
    case S_IFSOCK:
      return "socket";
    case S_IFCHR:
      return "character device";
    case S_IFBLK:
      return "block device";
    case S_IFIFO:
      return "FIFO";
    default:
      return "file of unknown type";
  }
}

std::unexpected<Error> not_a_fifo(const char* operation, const std::string& path, mode_t mode) {
  return fail(EINVAL, operation, path, fmt::format("not a FIFO but a {}", file_type(mode)));
}

// Sets the mode of the FIFO just made at `path` to exactly `mode`, never following a symlink.
Result<void> set_exact_mode(const std::string& path, mode_t mode) {
  Fd p(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!p) return fail_errno("open", path);
  struct stat st {};
  if (::fstat(p.get(), &st) != 0) return fail_errno("fstat", path);
  if (!S_ISFIFO(st.st_mode)) return not_a_fifo("mkfifo", path, st.st_mode);
  if ((st.st_mode & 07777) == mode) return {};
  // fchmod(2) refuses O_PATH descriptors; chmod of the /proc/self/fd link reaches the same inode.
  const std::string link = fmt::format("/proc/self/fd/{}", p.get());
  if (::chmod(link.c_str(), mode) != 0) return fail_errno("chmod", path);
  return {};
}

}  // namespace

Result<void> Fifo::make(std::string_view path, mode_t mode) {
  std::string p(path);
  if ((mode & ~kPermissionBits) != 0) {
    return fail(EINVAL, "mkfifo", p, fmt::format("mode {:#o} has bits outside 0777", mode));
  }
  if (::mkfifo(p.c_str(), mode) != 0) return fail_errno("mkfifo", p);
  auto exact = set_exact_mode(p, mode);
  if (!exact) {
    // Remove what this call made, if the name still is a FIFO (it was not swapped meanwhile).
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) ::unlink(p.c_str());
    return exact;
  }
  return {};
}

Result<Fifo> Fifo::open(std::string_view path, FifoEnd end, FifoBlocking blocking) {
  std::string p(path);
  // Refuse anything but a FIFO before open(2), which could have effects on a device.
  struct stat before {};
  if (::stat(p.c_str(), &before) != 0) return fail_errno("open", p);
  if (!S_ISFIFO(before.st_mode)) return not_a_fifo("open", p, before.st_mode);

  int flags = (end == FifoEnd::kRead ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NOCTTY;
  if (blocking == FifoBlocking::kNonBlock) flags |= O_NONBLOCK;
  // A FIFO open that a signal interrupts has had no effect: restart it.
  Fd fd(detail::retry_eintr([&] { return ::open(p.c_str(), flags); }));
  if (!fd) {
    if (errno == ENXIO) {
      return fail(ENXIO, "open", p,
                  "no process has the FIFO open for reading (a non-blocking writer needs one)");
    }
    return fail_errno("open", p);
  }
  struct stat after {};
  if (::fstat(fd.get(), &after) != 0) return fail_errno("fstat", p);
  if (!S_ISFIFO(after.st_mode)) return not_a_fifo("open", p, after.st_mode);
  return Fifo(std::move(fd), std::move(p), end);
}

Result<void> Fifo::remove(std::string_view path) {
  std::string p(path);
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return fail_errno("unlink", p);
  if (!S_ISFIFO(st.st_mode)) {
    return fail(EINVAL, "unlink", p,
                fmt::format("not a FIFO but a {}; refusing to remove it", file_type(st.st_mode)));
  }
  if (::unlink(p.c_str()) != 0) return fail_errno("unlink", p);
  return {};
}

Result<void> Fifo::set_nonblocking(bool nonblocking) const {
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags < 0) return fail_errno("fcntl", path_);
  const int wanted = nonblocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && ::fcntl(fd_.get(), F_SETFL, wanted) != 0) {
    return fail_errno("fcntl", path_);
  }
  return {};
}

}  // namespace ipckit
