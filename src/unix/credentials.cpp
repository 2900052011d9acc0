#include "ipckit/unix/credentials.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "unix/socket_io.hpp"

// Debian 12's headers (glibc 2.36, Linux 6.1 uapi) predate SO_PEERPIDFD (Linux 6.5). Its value
// is 77 in asm-generic/socket.h, used by x86, arm, arm64, riscv and most other architectures;
// alpha, mips, parisc and sparc number it differently, so there it is treated as unknown.
#ifndef SO_PEERPIDFD
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__) || \
    defined(__riscv) || defined(__powerpc__) || defined(__s390__) || defined(__loongarch__)
#define SO_PEERPIDFD 77
#endif
#endif

namespace ipckit::uds {

namespace {

using detail::call_blocking;
using detail::describe_fd;
using detail::Direction;
using detail::fail_io;

// Room for one ucred and a generous number of stray SCM_RIGHTS descriptors, so that none is
// truncated away (MSG_CTRUNC) unclosed.
constexpr std::size_t kMaxStrayFds = 64;
constexpr std::size_t kControlSize =
    CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * kMaxStrayFds);

union ControlBuffer {
  cmsghdr align;
  std::array<char, kControlSize> bytes;
};

void close_stray_fds(const cmsghdr* cmsg) {
  const std::size_t payload = cmsg->cmsg_len - CMSG_LEN(0);
  const std::size_t count = payload / sizeof(int);
  for (std::size_t i = 0; i < count; ++i) {
    int fd = -1;
    // Safety: CMSG_DATA is not aligned for int in general; copy each descriptor out.
    std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
    ::close(fd);
  }
}

}  // namespace

PeerCredentials own_credentials() noexcept {
  return {.pid = ::getpid(), .uid = ::geteuid(), .gid = ::getegid()};
}

Result<std::optional<PeerCredentials>> peer_credentials(FdView socket) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return fail_errno("getsockopt(SO_PEERCRED)", describe_fd(socket.get()));
  }
  // The kernel fills in pid 0 and uid = gid = -1 when there are no peer credentials.
  if (cred.pid == 0 && cred.uid == static_cast<uid_t>(-1) && cred.gid == static_cast<gid_t>(-1)) {
    return std::optional<PeerCredentials>();
  }
  return PeerCredentials{.pid = cred.pid, .uid = cred.uid, .gid = cred.gid};
}

Result<void> set_pass_credentials(FdView socket, bool on) {
  const int value = on ? 1 : 0;
  if (::setsockopt(socket.get(), SOL_SOCKET, SO_PASSCRED, &value, sizeof(value)) != 0) {
    return fail_errno("setsockopt(SO_PASSCRED)", describe_fd(socket.get()));
  }
  return {};
}

Result<std::size_t> send_with_credentials(FdView socket, std::span<const std::byte> data,
                                          PeerCredentials credentials) {
  ControlBuffer control{};
  // Safety: iov_base is const-cast only because struct iovec is shared with recvmsg; sendmsg
  // does not write through it.
  iovec iov{.iov_base = const_cast<std::byte*>(data.data()), .iov_len = data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes.data();
  msg.msg_controllen = CMSG_SPACE(sizeof(ucred));
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_CREDENTIALS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(ucred));
  const ucred cred{.pid = credentials.pid, .uid = credentials.uid, .gid = credentials.gid};
  std::memcpy(CMSG_DATA(cmsg), &cred, sizeof(cred));
  const ssize_t n = call_blocking(socket.get(), Direction::kSend,
                                  [&] { return ::sendmsg(socket.get(), &msg, MSG_NOSIGNAL); });
  if (n < 0) return fail_io("sendmsg(SCM_CREDENTIALS)", socket.get(), Direction::kSend);
  return static_cast<std::size_t>(n);
}

Result<std::size_t> send_with_credentials(FdView socket, std::span<const std::byte> data) {
  return send_with_credentials(socket, data, own_credentials());
}

Result<CredentialMessage> receive_with_credentials(FdView socket, std::span<std::byte> buffer) {
  ControlBuffer control{};
  iovec iov{.iov_base = buffer.data(), .iov_len = buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes.data();
  msg.msg_controllen = control.bytes.size();
  const ssize_t n = call_blocking(socket.get(), Direction::kReceive,
                                  [&] { return ::recvmsg(socket.get(), &msg, MSG_CMSG_CLOEXEC); });
  if (n < 0) return fail_io("recvmsg", socket.get(), Direction::kReceive);
  CredentialMessage out{.size = static_cast<std::size_t>(n),
                        .truncated = (msg.msg_flags & MSG_TRUNC) != 0,
                        .credentials = std::nullopt};
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET) continue;
    if (cmsg->cmsg_type == SCM_CREDENTIALS && cmsg->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      ucred cred{};
      std::memcpy(&cred, CMSG_DATA(cmsg), sizeof(cred));
      out.credentials = PeerCredentials{.pid = cred.pid, .uid = cred.uid, .gid = cred.gid};
    } else if (cmsg->cmsg_type == SCM_RIGHTS) {
      close_stray_fds(cmsg);
    }
  }
  return out;
}

Result<Fd> peer_pidfd(FdView socket) {
#ifdef SO_PEERPIDFD
  int pidfd = -1;
  socklen_t len = sizeof(pidfd);
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) != 0) {
    const int code = errno;
    if (code == ENOPROTOOPT) {
      return fail(code, "getsockopt(SO_PEERPIDFD)", describe_fd(socket.get()),
                  "SO_PEERPIDFD is not supported by this kernel (needs Linux 6.5)");
    }
    if (code == ENODATA) {
      return fail(code, "getsockopt(SO_PEERPIDFD)", describe_fd(socket.get()),
                  "the socket has no peer");
    }
    return fail_errno("getsockopt(SO_PEERPIDFD)", describe_fd(socket.get()));
  }
  Fd owned(pidfd);
  // The kernel makes it close-on-exec; make sure, as every ipckit descriptor must be.
  const int flags = ::fcntl(owned.get(), F_GETFD);
  if (flags >= 0 && (flags & FD_CLOEXEC) == 0) (void)::fcntl(owned.get(), F_SETFD, FD_CLOEXEC);
  return owned;
#else
  return fail(ENOPROTOOPT, "getsockopt(SO_PEERPIDFD)", describe_fd(socket.get()),
              "SO_PEERPIDFD is not supported on this architecture's headers");
#endif
}

bool peer_pidfd_supported() noexcept {
#ifdef SO_PEERPIDFD
  // 0 unknown, 1 supported, 2 unsupported.
  static std::atomic<int> cached{0};
  int state = cached.load(std::memory_order_relaxed);
  if (state != 0) return state == 1;
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return false;
  int pidfd = -1;
  socklen_t len = sizeof(pidfd);
  const bool ok = ::getsockopt(fds[0], SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0;
  const int code = ok ? 0 : errno;
  if (ok) ::close(pidfd);
  ::close(fds[0]);
  ::close(fds[1]);
  // Only "unsupported" (ENOPROTOOPT) is cached as such; a transient failure is not cached.
  if (ok) {
    cached.store(1, std::memory_order_relaxed);
  } else if (code == ENOPROTOOPT) {
    cached.store(2, std::memory_order_relaxed);
  }
  return ok;
#else
  return false;
#endif
}

}  // namespace ipckit::uds
