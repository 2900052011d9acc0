// ipckit::uds::UnixListener: a listening stream or seqpacket socket that binds its path safely,
// removes its socket file when it goes, and accepts only the peers its AccessPolicy allows.
//
// Binding a path (UnixListener::bind), under an exclusive flock(2) on "<path>.lock" so that two
// starters cannot race (BoundDatagram binds datagram sockets the same way, under the same lock,
// so starters of different types cannot race either). The lock file is made 0600 and must be
// owned by the binder (root excepted), so another user can neither hold it nor plant it; the
// wait for it is bounded and can be cancelled (lock_wait.hpp):
//   - nothing at the path: bind there;
//   - a socket file: probe it with a non-blocking connect. ECONNREFUSED means stale (its owner
//     died without unlinking it): unlink it and bind. A connection, a full backlog (EAGAIN) or a
//     socket of another type (EPROTOTYPE) means alive: fail with EADDRINUSE naming the path;
//   - anything else (regular file, directory, FIFO, symlink): fail with EEXIST and never unlink it.
// The probe's connection, if it gets one, is closed at once: a live server sees a client that
// connects and hangs up. A socket bound by a non-ipckit program that has not yet called listen()
// looks stale (ECONNREFUSED); ipckit's own listeners bind and listen under the lock.
//
// Lifetime: close() or the destructor removes the socket file and "<path>.lock", under the
// lock, and only if the file at the path is still the socket this listener bound (same st_dev,
// st_ino and st_ctime; tmpfs reuses inode numbers). A file that someone else put there since is
// left alone (with the lock file, which may serve its owner), and so is ours if someone
// chmod/chown/linked it since (the next bind finds it stale and replaces it). Only the process that
// bound the path removes the files: a fork child that destroys its copy of the listener just closes
// its descriptor. A crash leaves both files behind; the next bind finds the socket stale and
// replaces it. Relative paths are resolved against the working directory at bind time and removed
// by that absolute path.
//
// Abstract names (and autobind) need none of this: the kernel frees the name with the socket,
// and a taken name fails with EADDRINUSE. They get a same-user AccessPolicy by default (see
// access_policy.hpp): abstract sockets have no file permissions.
//
// Thread safety: accept() may be called from several threads at once (each connection goes to
// one of them); close() and moves need exclusive access.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/credentials.hpp"
#include "ipckit/unix/lock_wait.hpp"
#include "ipckit/unix/socket.hpp"

namespace ipckit::uds {

struct ListenerOptions {
  SocketType type = SocketType::kStream;  // kStream or kSeqPacket
  int backlog = SOMAXCONN;                // listen(2) backlog
  Blocking blocking = Blocking::kYes;     // of the listening socket (accept's waiting)
  // Path sockets: the socket file's permission bits, set (not following symlinks) after bind
  // and before listen, so nobody connects under the umask's mode. Empty: 0777 & ~umask.
  std::optional<mode_t> mode{};
  // Which peers accept() hands out. Empty: same_user() for abstract names and autobind,
  // anyone() for paths.
  std::optional<AccessPolicy> policy{};
  // Where refusals go. Empty: log_refusal_to_stderr.
  RefusalSink on_refusal{};
  // Path sockets: how long bind() waits for "<path>.lock", and what cancels the wait; close()
  // waits at most the same timeout (lock_wait.hpp).
  LockWait lock_wait{};
};

// One accepted, allowed peer.
struct Connection {
  UnixSocket socket;     // connected, close-on-exec, of the listener's type
  PeerCredentials peer;  // SO_PEERCRED: the peer as of its connect()
};

class UnixListener {
 public:
  // socket + (lock, probe, unlink stale) + bind + chmod + listen; see the top of this file.
  // REQUIRES: options.type is kStream or kSeqPacket; options.mode within 07777.
  // Returns: the listener; address() is the bound name (autobind resolved).
  // Errors: EADDRINUSE (a live socket is there; the message names the path or name), EEXIST
  // (the path exists and is not a socket; the lock file is not a regular file or is
  // hard-linked), EINVAL (datagram type, bad mode), ENAMETOOLONG, EACCES (no permission on the
  // directory or the socket to probe; a lock file owned by another user), ENOENT (the directory
  // is missing), ELOOP (the lock file is a symlink), ETIMEDOUT (the lock stayed held for
  // options.lock_wait.timeout; the message names the holder), EINTR (options.lock_wait.cancel
  // became readable), and those of socket(2), bind(2), listen(2). Man: unix(7), bind(2),
  // flock(2).
  [[nodiscard]] static Result<UnixListener> bind(const UnixAddress& address,
                                                 ListenerOptions options = {});

  UnixListener(UnixListener&& other) noexcept;
  UnixListener& operator=(UnixListener&& other) noexcept;
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  // close(), ignoring its errors.
  ~UnixListener();

  // accept4(2) (SOCK_CLOEXEC) + getsockopt(SO_PEERCRED), until a peer the policy allows comes:
  // each refused peer is closed, reported to the RefusalSink, and the wait goes on.
  // EINTR: restarted unless a receive timeout is set (see socket.hpp).
  // Returns: the connection and its credentials. Errors: EAGAIN (non-blocking listener and no
  // allowed peer pending), ETIMEDOUT (receive timeout), EBADF (closed), EMFILE, ENFILE, EINTR.
  // Man: accept(2), unix(7).
  [[nodiscard]] Result<Connection> accept(Blocking blocking = Blocking::kYes) const;

  // unlink(2) of the socket file and lock file (if still ours; see above), then close(2).
  // Waits for the lock at most the bind's lock_wait.timeout; if it stays held, the socket file
  // is still removed (if ours), the lock file is left, and ETIMEDOUT is returned.
  // Idempotent. Returns: nothing; the descriptor is closed even on error. Errors: EACCES,
  // EPERM (could not unlink), ETIMEDOUT.
  [[nodiscard]] Result<void> close();

  [[nodiscard]] const UnixAddress& address() const noexcept { return address_; }
  [[nodiscard]] const AccessPolicy& policy() const noexcept { return policy_; }
  [[nodiscard]] const UnixSocket& socket() const noexcept { return socket_; }
  [[nodiscard]] FdView fd() const noexcept { return socket_.fd(); }
  // The absolute path of the socket file this listener will remove; empty for abstract names.
  [[nodiscard]] const std::string& file_path() const noexcept;

 private:
  UnixListener(UnixSocket socket, UnixAddress address, AccessPolicy policy, RefusalSink sink);

  UnixSocket socket_;
  UnixAddress address_;
  AccessPolicy policy_;
  RefusalSink on_refusal_;
  // The socket file this listener made and close() removes: its path, identity, owner process
  // and close()'s wait for the lock (src/unix/path_binding.hpp). Null: nothing to remove.
  struct BoundFile;
  std::unique_ptr<BoundFile> file_;
};

}  // namespace ipckit::uds
