// Who is on the other end of a Unix socket: SO_PEERCRED, SCM_CREDENTIALS and SO_PEERPIDFD.
//
// Three sources, all filled in by the kernel, none forgeable by an unprivileged peer:
//   - peer_credentials(): the pid, euid and egid the peer had when it called connect() (or
//     listen(), seen from the client; or socketpair()). A snapshot: the peer may have exited,
//     and its pid been reused, since. Only the primary gid: no supplementary groups.
//   - per-message credentials (SCM_CREDENTIALS): with set_pass_credentials(true) on the
//     receiving socket, every message carries its sender's pid, uid and gid at send time. A
//     sender may claim other ids only with CAP_SYS_ADMIN (pid), CAP_SETUID (uid), CAP_SETGID.
//   - peer_pidfd() (SO_PEERPIDFD, Linux 6.5+): a pidfd for the peer's process as of connect(),
//     immune to pid reuse: it refers to that process or to nothing.
// Ids are reported in the caller's pid and user namespaces; a peer in a pid namespace that
// the caller cannot see has pid 0, an unmapped uid/gid shows as the overflow id (65534).
//
// Thread safety: free functions over borrowed descriptors; each is one or two syscalls.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <span>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::uds {

struct PeerCredentials {
  pid_t pid;  // 0 when the peer is in a pid namespace the caller cannot see
  uid_t uid;  // effective uid
  gid_t gid;  // effective gid

  friend bool operator==(const PeerCredentials&, const PeerCredentials&) = default;
};

// This process's getpid(), geteuid(), getegid(): what send_with_credentials() sends by default.
[[nodiscard]] PeerCredentials own_credentials() noexcept;

// getsockopt(SO_PEERCRED). REQUIRES: an AF_UNIX socket.
// Returns: the peer's credentials as of connect()/socketpair(); std::nullopt when the socket
// has no peer credentials (unconnected, or a connected datagram socket), which the kernel
// reports as pid 0 and uid/gid -1 — that is "none", not data.
// Errors: ENOTSOCK, EBADF. Man: unix(7), socket(7).
[[nodiscard]] Result<std::optional<PeerCredentials>> peer_credentials(FdView socket);

// setsockopt(SO_PASSCRED): whether messages received on `socket` carry SCM_CREDENTIALS. While
// it is on, the kernel attaches the sender's credentials to every message, whether or not the
// sender sent any. Errors: ENOTSOCK, EBADF. Man: unix(7).
[[nodiscard]] Result<void> set_pass_credentials(FdView socket, bool on);

// sendmsg(2) with MSG_NOSIGNAL and one SCM_CREDENTIALS control message holding `credentials`.
// Restarted on EINTR unless a send timeout is set (see socket.hpp).
// REQUIRES: a connected AF_UNIX socket. Returns: the bytes sent (fewer than data.size() only on
// a stream). Errors: EPERM (claiming ids the caller may not), EPIPE, ECONNREFUSED, EAGAIN,
// ETIMEDOUT, EINTR — as UnixSocket::send(). Man: unix(7), sendmsg(2).
[[nodiscard]] Result<std::size_t> send_with_credentials(FdView socket,
                                                        std::span<const std::byte> data,
                                                        PeerCredentials credentials);
[[nodiscard]] Result<std::size_t> send_with_credentials(FdView socket,
                                                        std::span<const std::byte> data);

// One message taken by receive_with_credentials().
struct CredentialMessage {
  std::size_t size;  // bytes stored in the buffer (0 at EOF on a stream)
  bool truncated;    // a datagram/seqpacket longer than the buffer: its tail is lost
  std::optional<PeerCredentials> credentials;  // none unless SO_PASSCRED is on
};

// recvmsg(2) with MSG_CMSG_CLOEXEC: one message and the sender's SCM_CREDENTIALS. Descriptors
// that arrive alongside (SCM_RIGHTS) are closed: use fd passing to receive those. Restarted on
// EINTR unless a receive timeout is set. Errors: as UnixSocket::receive(). Man: unix(7).
[[nodiscard]] Result<CredentialMessage> receive_with_credentials(FdView socket,
                                                                 std::span<std::byte> buffer);

// getsockopt(SO_PEERPIDFD): a pidfd (close-on-exec) for the peer process as of connect().
// Returns: the owned pidfd. Errors: ENOPROTOOPT (kernel older than 6.5: the detail says
// "not supported"), ENODATA (no peer: unconnected socket), ESRCH (the peer has exited and was
// reaped, on kernels that refuse such pidfds), ENOTSOCK, EBADF. Man: unix(7), pidfd_open(2).
[[nodiscard]] Result<Fd> peer_pidfd(FdView socket);

// Whether this kernel knows SO_PEERPIDFD (probed once on a socketpair; cached).
[[nodiscard]] bool peer_pidfd_supported() noexcept;

}  // namespace ipckit::uds
