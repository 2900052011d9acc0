#include "unix/path_binding.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "unix/path_lock.hpp"

namespace ipckit::uds::detail {

namespace {

enum class Probe { kAbsent, kStale, kAlive };

// The absolute form of `path`, so that a later chdir cannot make removal hit another file.
Result<std::string> absolute(const std::string& path) {
  if (path.front() == '/') return path;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return fail_errno("getcwd", path);
  return fmt::format("{}/{}", cwd, path);
}

const char* file_type(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a socket";
}

// Is a process bound (and, for stream and seqpacket, listening) on the socket file at `address`?
// A non-blocking connect of the binder's type never waits.
Result<Probe> probe(const UnixAddress& address, SocketType type) {
  auto probe_socket = UnixSocket::create(type, Blocking::kNo);
  if (!probe_socket) return std::unexpected(std::move(probe_socket.error()));
  auto r = probe_socket->connect(address);
  if (r) return Probe::kAlive;
  switch (r.error().code()) {
    case ECONNREFUSED:
      return Probe::kStale;
    case ENOENT:
      return Probe::kAbsent;  // removed since our lstat
    case EAGAIN:              // the backlog (or a datagram receive queue) is full: alive
    case EPROTOTYPE:          // a live socket of another type is bound there
      return Probe::kAlive;
    default:
      // One clean line: "connect(/x.sock): cannot probe the existing socket file: Permission
      // denied", not the connect message twice.
      return std::unexpected(r.error().with_detail(fmt::format(
          "cannot probe the existing socket file: {}", std::strerror(r.error().code()))));
  }
}

}  // namespace

Result<BoundFile> bind_path(const UnixSocket& socket, const UnixAddress& address,
                            std::optional<mode_t> mode, const LockWait& wait,
                            const std::function<Result<void>()>& ready) {
  auto path = absolute(address.name());
  if (!path) return std::unexpected(std::move(path.error()));
  auto lock = PathLock::acquire(*path + ".lock", wait);
  if (!lock) return std::unexpected(std::move(lock.error()));
  // A failure below removes the lock file only if this call created it; one found on disk may
  // belong to a live binder.
  auto give_up = [&](Error error) -> std::unexpected<Error> {
    if (lock->created()) (void)lock->remove();
    return std::unexpected(std::move(error));
  };
  const char* live = socket.type() == SocketType::kDatagram ? "bound to" : "listening on";

  struct stat existing {};
  if (::lstat(path->c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return give_up(Error(EEXIST, "bind", address.describe(),
                           fmt::format("{} exists and is {}; refusing to replace it", *path,
                                       file_type(existing.st_mode))));
    }
    auto state = probe(address, socket.type());
    if (!state) return give_up(std::move(state.error()));
    if (*state == Probe::kAlive) {
      return give_up(Error(EADDRINUSE, "bind", address.describe(),
                           fmt::format("a live process is {} {}", live, *path)));
    }
    if (*state == Probe::kStale && ::unlink(path->c_str()) != 0 && errno != ENOENT) {
      return give_up(Error::from_errno("unlink", *path));
    }
  } else if (errno != ENOENT) {
    return give_up(Error::from_errno("lstat", *path));
  }

  if (auto r = socket.bind(address); !r) return give_up(std::move(r.error()));
  // Until the binder exists, a failure removes the file just bound (still under the lock).
  auto unbind = [&](Error error) {
    (void)::unlink(path->c_str());
    return give_up(std::move(error));
  };
  if (mode && ::fchmodat(AT_FDCWD, path->c_str(), *mode, AT_SYMLINK_NOFOLLOW) != 0) {
    return unbind(Error::from_errno("chmod", *path));
  }
  // Identify the file after the chmod, which changes its ctime.
  struct stat bound {};
  if (::lstat(path->c_str(), &bound) != 0) return unbind(Error::from_errno("lstat", *path));
  if (auto r = ready(); !r) return unbind(std::move(r.error()));
  // The lock is released on return; the lock file stays until unbind_path().
  return BoundFile{.path = std::move(*path),
                   .id = FileId::of(bound),
                   .owner_pid = ::getpid(),
                   .lock_timeout = wait.timeout};
}

Result<void> unbind_path(const BoundFile& file) {
  if (file.path.empty() || file.owner_pid != ::getpid()) return {};
  Result<void> result;
  auto lock = PathLock::acquire(file.path + ".lock", LockWait{.timeout = file.lock_timeout});
  if (!lock) result = std::unexpected(std::move(lock.error()));
  // Without the lock the file is still removed if ours: it is live until our socket closes, so a
  // starter that holds the lock and probes it finds it alive and leaves it alone.
  struct stat now {};
  const bool present = ::lstat(file.path.c_str(), &now) == 0;
  const bool ours = present && FileId::of(now) == file.id && S_ISSOCK(now.st_mode);
  if (ours && ::unlink(file.path.c_str()) != 0 && errno != ENOENT && result) {
    result = std::unexpected(Error::from_errno("unlink", file.path));
  }
  // Someone else's file at the path may come with its own binder using the lock file.
  if (lock && (ours || !present)) {
    if (auto r = lock->remove(); !r && result) result = std::unexpected(std::move(r.error()));
  }
  return result;
}

}  // namespace ipckit::uds::detail
