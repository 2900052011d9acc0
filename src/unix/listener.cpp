#include "ipckit/unix/listener.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <utility>

#include "unix/path_lock.hpp"

namespace ipckit::uds {

namespace {

using detail::PathLock;

constexpr mode_t kModeBits = 07777;

enum class Probe { kAbsent, kStale, kAlive };

// The absolute form of `path`, so that a later chdir cannot make close() remove the wrong file.
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

// Is a process listening on the socket file at `address`? A non-blocking connect never waits.
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
    case EAGAIN:              // the backlog is full: someone is listening
    case EPROTOTYPE:          // a live socket of another type is bound there
      return Probe::kAlive;
    default:
      return std::unexpected(r.error().with_detail(
          fmt::format("cannot probe the existing socket file: {}", r.error().message())));
  }
}

}  // namespace

UnixListener::UnixListener(UnixSocket socket, UnixAddress address, AccessPolicy policy,
                           RefusalSink sink)
    : socket_(std::move(socket)),
      address_(std::move(address)),
      policy_(std::move(policy)),
      on_refusal_(std::move(sink)) {}

UnixListener::UnixListener(UnixListener&& other) noexcept
    : socket_(std::move(other.socket_)),
      address_(std::move(other.address_)),
      policy_(std::move(other.policy_)),
      on_refusal_(std::move(other.on_refusal_)),
      file_path_(std::exchange(other.file_path_, {})),
      file_id_(other.file_id_),
      owner_pid_(other.owner_pid_) {}

UnixListener& UnixListener::operator=(UnixListener&& other) noexcept {
  if (this != &other) {
    (void)close();
    socket_ = std::move(other.socket_);
    address_ = std::move(other.address_);
    policy_ = std::move(other.policy_);
    on_refusal_ = std::move(other.on_refusal_);
    file_path_ = std::exchange(other.file_path_, {});
    file_id_ = other.file_id_;
    owner_pid_ = other.owner_pid_;
  }
  return *this;
}

UnixListener::~UnixListener() {
  (void)close();
}

Result<UnixListener> UnixListener::bind(const UnixAddress& address, ListenerOptions options) {
  if (options.type == SocketType::kDatagram) {
    return fail(EINVAL, "listen", address.describe(),
                "a listener needs a stream or seqpacket socket, not datagram");
  }
  if (options.mode && (*options.mode & ~kModeBits) != 0) {
    return fail(EINVAL, "chmod", address.describe(),
                fmt::format("mode {:#o} has bits outside 07777", *options.mode));
  }
  AccessPolicy policy = options.policy.value_or(address.is_path() ? AccessPolicy::anyone()
                                                                  : AccessPolicy::same_user());
  RefusalSink sink =
      options.on_refusal ? std::move(options.on_refusal) : RefusalSink(log_refusal_to_stderr);
  auto socket = UnixSocket::create(options.type, options.blocking);
  if (!socket) return std::unexpected(std::move(socket.error()));

  if (!address.is_path()) {
    if (auto r = socket->bind(address); !r) {
      if (r.error().code() == EADDRINUSE) {
        return std::unexpected(r.error().with_detail(
            fmt::format("abstract name {} is already bound by a live socket", address.describe())));
      }
      return std::unexpected(std::move(r.error()));
    }
    if (auto r = socket->listen(options.backlog); !r) return std::unexpected(std::move(r.error()));
    auto bound = socket->local_address();
    if (!bound) return std::unexpected(std::move(bound.error()));
    return UnixListener(std::move(*socket), std::move(*bound), std::move(policy), std::move(sink));
  }

  auto path = absolute(address.name());
  if (!path) return std::unexpected(std::move(path.error()));
  auto lock = PathLock::acquire(*path + ".lock");
  if (!lock) return std::unexpected(std::move(lock.error()));
  // A failure below removes the lock file only if this call created it; one found on disk may
  // belong to a live listener.
  auto give_up = [&](Error error) -> std::unexpected<Error> {
    if (lock->created()) (void)lock->remove();
    return std::unexpected(std::move(error));
  };

  struct stat existing {};
  if (::lstat(path->c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return give_up(Error(EEXIST, "bind", address.describe(),
                           fmt::format("{} exists and is {}; refusing to replace it", *path,
                                       file_type(existing.st_mode))));
    }
    auto state = probe(address, options.type);
    if (!state) return give_up(std::move(state.error()));
    if (*state == Probe::kAlive) {
      return give_up(Error(EADDRINUSE, "bind", address.describe(),
                           fmt::format("a live process is listening on {}", *path)));
    }
    if (*state == Probe::kStale && ::unlink(path->c_str()) != 0 && errno != ENOENT) {
      return give_up(Error::from_errno("unlink", *path));
    }
  } else if (errno != ENOENT) {
    return give_up(Error::from_errno("lstat", *path));
  }

  if (auto r = socket->bind(address); !r) return give_up(std::move(r.error()));
  // Until the listener exists, a failure removes the file just bound (still under the lock).
  auto unbind = [&](Error error) {
    (void)::unlink(path->c_str());
    return give_up(std::move(error));
  };
  if (options.mode &&
      ::fchmodat(AT_FDCWD, path->c_str(), *options.mode, AT_SYMLINK_NOFOLLOW) != 0) {
    return unbind(Error::from_errno("chmod", *path));
  }
  // Identify the file after the chmod, which changes its ctime.
  struct stat bound {};
  if (::lstat(path->c_str(), &bound) != 0) return unbind(Error::from_errno("lstat", *path));
  if (auto r = socket->listen(options.backlog); !r) return unbind(std::move(r.error()));
  UnixListener listener(std::move(*socket), address, std::move(policy), std::move(sink));
  listener.file_path_ = std::move(*path);
  listener.file_id_ = detail::FileId::of(bound);
  listener.owner_pid_ = ::getpid();
  return listener;  // the lock is released after this, the lock file stays until close()
}

Result<Connection> UnixListener::accept(Blocking blocking) const {
  for (;;) {
    auto socket = socket_.accept(blocking);
    if (!socket) return std::unexpected(std::move(socket.error()));
    auto creds = peer_credentials(socket->fd());
    if (!creds) return std::unexpected(std::move(creds.error()));
    const PeerCredentials peer = creds->value_or(
        PeerCredentials{.pid = 0, .uid = static_cast<uid_t>(-1), .gid = static_cast<gid_t>(-1)});
    if (creds->has_value() && policy_.allows(peer)) {
      return Connection{.socket = std::move(*socket), .peer = peer};
    }
    // Close before reporting, so the peer learns of the refusal even if the sink is slow.
    { auto refused = std::move(*socket); }
    on_refusal_(Refusal{.peer = peer, .listener = address_, .reason = "not allowed"});
  }
}

Result<void> UnixListener::close() {
  Result<void> result;
  // A fork child's copy only closes its descriptor: the files belong to the process that bound.
  if (!file_path_.empty() && owner_pid_ == ::getpid()) {
    const std::string path = std::exchange(file_path_, {});
    auto lock = PathLock::acquire(path + ".lock");
    if (!lock) result = std::unexpected(std::move(lock.error()));
    struct stat now {};
    const bool present = ::lstat(path.c_str(), &now) == 0;
    const bool ours = present && detail::FileId::of(now) == file_id_ && S_ISSOCK(now.st_mode);
    if (ours && ::unlink(path.c_str()) != 0 && errno != ENOENT && result) {
      result = std::unexpected(Error::from_errno("unlink", path));
    }
    // Someone else's file at the path may come with its own listener using the lock file.
    if (lock && (ours || !present)) {
      if (auto r = lock->remove(); !r && result) result = std::unexpected(std::move(r.error()));
    }
  }
  file_path_.clear();
  { auto closing = std::move(socket_); }
  return result;
}

}  // namespace ipckit::uds
