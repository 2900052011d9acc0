// ipckit::uds::BoundDatagram: a datagram socket bound to a name for receiving, whose path is
// taken over and removed the way UnixListener does it.
//
// Binding a path takes the same exclusive flock(2) on "<path>.lock" as UnixListener, so datagram
// and stream/seqpacket starters on one path serialise: a stale socket file (a probe's connect
// gets ECONNREFUSED) is replaced, a live socket of any type fails with EADDRINUSE, anything
// else with EEXIST and is never unlinked. Of two starters racing for one stale path exactly one
// binds; the other fails with EADDRINUSE. The wait for the lock is bounded (lock_wait.hpp).
//
// Lifetime: close() or the destructor removes the socket file and the lock file, under the lock,
// if the file at the path is still the one bound (same device, inode and ctime), and only in the
// process that bound it (a fork child's copy just closes its descriptor). A crash leaves both
// files; the next bind finds the socket stale and replaces it. Abstract names and autobind need
// none of this: the kernel frees the name with the socket, and a taken name is EADDRINUSE.
//
// Ownership: owns its socket; move-only. Thread safety: the socket's calls may be made from any
// thread (see socket.hpp); close() and moves need exclusive access.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/lock_wait.hpp"
#include "ipckit/unix/socket.hpp"

namespace ipckit::uds {

struct DatagramOptions {
  Blocking blocking = Blocking::kYes;  // of the socket (receive's waiting)
  // Path sockets: the socket file's permission bits, set (not following symlinks) right after
  // bind, under the lock. Empty: 0777 & ~umask. A sender may get in under the umask's mode
  // between bind and chmod: make the directory private if that matters.
  std::optional<mode_t> mode{};
  // SO_PASSCRED: every message then carries its sender's credentials (credentials.hpp).
  bool pass_credentials = false;
  // Path sockets: how long bind() waits for "<path>.lock", and what cancels the wait; close()
  // waits at most the same timeout.
  LockWait lock_wait{};
};

class BoundDatagram {
 public:
  // socket(SOCK_DGRAM) + [SO_PASSCRED] + (lock, probe, unlink stale) + bind + chmod.
  // REQUIRES: address is a path or an abstract name (not unnamed); options.mode within 07777.
  // Returns: the bound socket. Errors: EADDRINUSE (a live socket of any type is there), EEXIST
  // (the path is not a socket), EINVAL (unnamed address, bad mode), ETIMEDOUT, EINTR, EACCES,
  // ELOOP, ENOENT as UnixListener::bind, and those of socket(2), bind(2), setsockopt(2).
  // Man: unix(7), bind(2), flock(2).
  [[nodiscard]] static Result<BoundDatagram> bind(const UnixAddress& address,
                                                  DatagramOptions options = {});

  BoundDatagram(BoundDatagram&& other) noexcept;
  BoundDatagram& operator=(BoundDatagram&& other) noexcept;
  BoundDatagram(const BoundDatagram&) = delete;
  BoundDatagram& operator=(const BoundDatagram&) = delete;
  // close(), ignoring its errors.
  ~BoundDatagram();

  // unlink(2) of the socket file and lock file (if still ours), then close(2). Idempotent.
  // Errors: as UnixListener::close().
  [[nodiscard]] Result<void> close();

  [[nodiscard]] const UnixSocket& socket() const noexcept { return socket_; }
  [[nodiscard]] FdView fd() const noexcept { return socket_.fd(); }
  [[nodiscard]] const UnixAddress& address() const noexcept { return address_; }
  // The absolute path of the socket file this object will remove; empty for abstract names.
  [[nodiscard]] const std::string& file_path() const noexcept;

 private:
  BoundDatagram(UnixSocket socket, UnixAddress address);

  UnixSocket socket_;
  UnixAddress address_;
  // The socket file to remove, as UnixListener's (src/unix/path_binding.hpp). Null: none.
  struct BoundFile;
  std::unique_ptr<BoundFile> file_;
};

}  // namespace ipckit::uds
