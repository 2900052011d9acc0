#include "ipckit/unix/fd_passing.hpp"

#include <fmt/core.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "core/syscall.hpp"

// Newer than Debian 12's glibc headers; the values are the kernel's asm-generic/socket.h.
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83  // Linux 6.16
#endif
#ifndef SCM_SECURITY
#define SCM_SECURITY 0x03  // Linux 2.6.17, sent when the receiver set SO_PASSSEC
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04  // Linux 6.5, sent when the receiver set SO_PASSPIDFD
#endif

namespace ipckit::uds {

namespace {

// The kernel's CMSG_ALIGN, CMSG_SPACE and CMSG_LEN as constant expressions (the glibc macros
// are C casts).
constexpr std::size_t cmsg_align(std::size_t n) {
  return (n + sizeof(std::size_t) - 1) & ~(sizeof(std::size_t) - 1);
}
constexpr std::size_t cmsg_space(std::size_t n) {
  return cmsg_align(sizeof(cmsghdr)) + cmsg_align(n);
}
constexpr std::size_t cmsg_len(std::size_t n) {
  return cmsg_align(sizeof(cmsghdr)) + n;
}

// Room beyond the asked-for descriptors, so that an unexpected control message (credentials, a
// pidfd, a short security label) or a few extra descriptors arrive whole and can be named and
// closed instead of showing up only as MSG_CTRUNC.
constexpr std::size_t kControlSlack =
    cmsg_space(sizeof(ucred)) + cmsg_space(sizeof(int)) + cmsg_space(64);
constexpr std::size_t kMaxControl = cmsg_space(kMaxFdsPerMessage * sizeof(int)) + kControlSlack;
// No control buffer of kMaxControl bytes can carry more descriptors than this.
constexpr std::size_t kMaxArrived = kMaxControl / sizeof(int);

struct alignas(cmsghdr) ControlBuffer {
  std::array<std::byte, kMaxControl> bytes;
};

std::string describe(FdView socket) {
  return fmt::format("socket {}", socket.get());
}

// Descriptors that arrived in one recvmsg, held without allocating until they are handed out:
// the destructor closes every one not taken, so no return and no throw can leak one.
class Arrived {
 public:
  Arrived() = default;
  Arrived(const Arrived&) = delete;
  Arrived& operator=(const Arrived&) = delete;
  ~Arrived() {
    for (std::size_t i = 0; i < n_; ++i)
      ::close(fds_[i]);
  }

  // The control buffer's size bounds the count; past the bound (which a kernel never reaches)
  // a descriptor is closed at once rather than written out of bounds.
  void add(int fd) noexcept {
    if (n_ < fds_.size()) {
      fds_[n_++] = fd;
    } else {
      ::close(fd);
    }
  }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }

  // Moves every descriptor into Fd values. If the allocation throws, the destructor closes them.
  void take_into(std::vector<Fd>& out) {
    out.reserve(out.size() + n_);
    for (std::size_t i = 0; i < n_; ++i)
      out.emplace_back(fds_[i]);
    n_ = 0;
  }

 private:
  std::array<int, kMaxArrived> fds_;  // [0, n_) are set
  std::size_t n_ = 0;
};

const char* control_name(const cmsghdr& c) {
  if (c.cmsg_level != SOL_SOCKET) return nullptr;
  switch (c.cmsg_type) {
    case SCM_CREDENTIALS:
      return "SCM_CREDENTIALS (SO_PASSCRED is on)";
    case SCM_PIDFD:
      return "SCM_PIDFD (SO_PASSPIDFD is on)";
    case SCM_SECURITY:
      return "SCM_SECURITY (SO_PASSSEC is on)";
    default:
      return nullptr;
  }
}

Result<int> socket_type(FdView socket) {
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    return fail_errno("getsockopt", describe(socket));
  }
  return type;
}

// Sends payload[sent..] on a stream whose first bytes (and descriptors) already left: the rest
// of one message, which cannot be abandoned half-way, so EAGAIN waits for room.
Result<void> send_rest(FdView socket, std::span<const std::byte> payload, std::size_t sent) {
  while (sent < payload.size()) {
    const ssize_t n =
        ::send(socket.get(), payload.data() + sent, payload.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN) {
      pollfd p{.fd = socket.get(), .events = POLLOUT, .revents = 0};
      if (detail::retry_eintr([&] { return ::poll(&p, 1, -1); }) < 0) {
        return fail_errno("poll", describe(socket));
      }
    } else if (errno != EINTR) {
      return fail_errno("send", describe(socket));
    }
  }
  return {};
}

}  // namespace

Result<void> send_fds(FdView socket, std::span<const std::byte> payload,
                      std::span<const FdView> fds) {
  if (fds.size() > kMaxFdsPerMessage) {
    return fail(EINVAL, "sendmsg", describe(socket),
                fmt::format("{} descriptors exceed the limit of {} per message (SCM_MAX_FD); "
                            "use send_fds_batched",
                            fds.size(), kMaxFdsPerMessage));
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (!fds[i].valid()) {
      return fail(EBADF, "sendmsg", describe(socket),
                  fmt::format("descriptor #{} to send is {}", i, fds[i].get()));
    }
  }
  if (payload.empty() && !fds.empty()) {
    auto type = socket_type(socket);
    if (!type) return std::unexpected(std::move(type.error()));
    if (*type == SOCK_STREAM) {
      return fail(EINVAL, "sendmsg", describe(socket),
                  "descriptors need at least one payload byte on a stream socket");
    }
  }

  iovec iov{.iov_base = const_cast<std::byte*>(payload.data()), .iov_len = payload.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ControlBuffer control;
  if (!fds.empty()) {
    msg.msg_control = control.bytes.data();
    msg.msg_controllen = cmsg_space(fds.size() * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = cmsg_len(fds.size() * sizeof(int));
    auto* data = CMSG_DATA(c);
    for (std::size_t i = 0; i < fds.size(); ++i) {
      const int fd = fds[i].get();
      std::memcpy(data + i * sizeof(int), &fd, sizeof(int));
    }
  }
  // EINTR means nothing was sent (a stream with bytes out reports the short count instead).
  const ssize_t n =
      detail::retry_eintr([&] { return ::sendmsg(socket.get(), &msg, MSG_NOSIGNAL); });
  if (n < 0) return fail_errno("sendmsg", describe(socket));
  // Only a stream sends short; datagrams and seqpackets go whole or fail.
  return send_rest(socket, payload, static_cast<std::size_t>(n));
}

Result<void> send_fds(FdView socket, std::string_view payload, std::span<const FdView> fds) {
  return send_fds(socket, std::as_bytes(std::span(payload)), fds);
}

Result<ReceivedFds> receive_fds(FdView socket, std::span<std::byte> buffer, std::size_t max_fds) {
  if (buffer.empty()) {
    return fail(EINVAL, "recvmsg", describe(socket),
                "the payload buffer is empty (a zero-byte read would look like end of stream)");
  }
  if (max_fds > kMaxFdsPerMessage) {
    return fail(EINVAL, "recvmsg", describe(socket),
                fmt::format("max_fds {} exceeds the limit of {} per message (SCM_MAX_FD)", max_fds,
                            kMaxFdsPerMessage));
  }
  iovec iov{.iov_base = buffer.data(), .iov_len = buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ControlBuffer control;
  msg.msg_control = control.bytes.data();
  msg.msg_controllen = cmsg_space(max_fds * sizeof(int)) + kControlSlack;
  const ssize_t n =
      detail::retry_eintr([&] { return ::recvmsg(socket.get(), &msg, MSG_CMSG_CLOEXEC); });
  if (n < 0) return fail_errno("recvmsg", describe(socket));

  // Own every descriptor that arrived before judging anything.
  Arrived rights;
  Arrived strays;          // descriptors in other control messages (SCM_PIDFD): always closed
  std::string unexpected;  // the first control message other than SCM_RIGHTS
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    const bool rights_message = c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS;
    if (rights_message || (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_PIDFD)) {
      const std::size_t count = (c->cmsg_len - cmsg_len(0)) / sizeof(int);
      const auto* data = CMSG_DATA(c);
      for (std::size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, data + i * sizeof(int), sizeof(int));
        (rights_message ? rights : strays).add(fd);
      }
    }
    if (!rights_message && unexpected.empty()) {
      const char* name = control_name(*c);
      unexpected =
          name != nullptr ? name : fmt::format("level {} type {}", c->cmsg_level, c->cmsg_type);
    }
  }

  // Every return below closes the descriptors that arrived (the Arrived destructors).
  auto failure = [&](int code, std::string detail) {
    return fail(code, "recvmsg", describe(socket), std::move(detail));
  };
  if (!unexpected.empty()) {
    return failure(
        EPROTO, fmt::format("unexpected control message {}; the message was dropped", unexpected));
  }
  const bool ctrunc = (msg.msg_flags & MSG_CTRUNC) != 0;
  if (max_fds == 0 && (rights.size() > 0 || ctrunc)) {
    return failure(EPROTO,
                   "descriptors arrived but none were expected (max_fds is 0); they were closed");
  }
  if (rights.size() > max_fds) {
    return failure(EMSGSIZE,
                   fmt::format("{} descriptors arrived, more than max_fds ({}); they were closed",
                               rights.size(), max_fds));
  }
  if (ctrunc) {
    return failure(EMSGSIZE,
                   fmt::format("the kernel truncated the control data (MSG_CTRUNC): more "
                               "descriptors than max_fds ({}) were sent, or this process is out "
                               "of descriptors (RLIMIT_NOFILE); those that arrived were closed",
                               max_fds));
  }
  if ((msg.msg_flags & MSG_TRUNC) != 0) {
    return failure(EMSGSIZE, fmt::format("the message is longer than the {}-byte buffer; it was "
                                         "dropped and its descriptors closed",
                                         buffer.size()));
  }

  ReceivedFds out;
  out.size = static_cast<std::size_t>(n);
  rights.take_into(out.fds);
  if (n == 0 && out.fds.empty()) {
    // Zero bytes is the end of a stream or seqpacket connection, but only an empty datagram.
    auto type = socket_type(socket);
    if (!type) return std::unexpected(std::move(type.error()));
    out.eof = *type != SOCK_DGRAM;
  }
  return out;
}

Result<void> send_fds_batched(FdView socket, std::span<const FdView> fds) {
  if (fds.empty()) {
    return fail(EINVAL, "sendmsg", describe(socket), "no descriptors to send");
  }
  while (!fds.empty()) {
    const std::size_t n = std::min(fds.size(), kMaxFdsPerMessage);
    const std::byte marker{n < fds.size() ? std::uint8_t{1} : std::uint8_t{0}};
    if (auto r = send_fds(socket, std::span(&marker, 1), fds.first(n)); !r) return r;
    fds = fds.subspan(n);
  }
  return {};
}

Result<std::vector<Fd>> receive_fds_batched(FdView socket, std::size_t max_fds) {
  if (max_fds == 0) {
    return fail(EINVAL, "recvmsg", describe(socket), "max_fds is 0: a sequence holds at least 1");
  }
  std::vector<Fd> all;
  for (;;) {
    std::byte marker{};
    auto r = receive_fds(socket, std::span(&marker, 1), kMaxFdsPerMessage);
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->eof) {
      return fail(
          EPROTO, "recvmsg", describe(socket),
          fmt::format("the peer closed after {} descriptors of a batched sequence", all.size()));
    }
    if (r->fds.empty()) {
      return fail(EPROTO, "recvmsg", describe(socket),
                  "a message of a batched sequence carried no descriptors");
    }
    if (marker != std::byte{0} && marker != std::byte{1}) {
      return fail(EPROTO, "recvmsg", describe(socket),
                  fmt::format("batch marker byte {:#04x} is neither 0x00 nor 0x01",
                              static_cast<unsigned>(marker)));
    }
    if (all.size() + r->fds.size() > max_fds) {
      return fail(EMSGSIZE, "recvmsg", describe(socket),
                  fmt::format("the batched sequence holds more than max_fds ({}) descriptors; "
                              "they were closed",
                              max_fds));
    }
    for (auto& fd : r->fds)
      all.push_back(std::move(fd));
    if (marker == std::byte{0}) return all;
  }
}

Result<void> set_pass_rights(FdView socket, bool pass) {
  const int value = pass ? 1 : 0;
  if (::setsockopt(socket.get(), SOL_SOCKET, SO_PASSRIGHTS, &value, sizeof value) != 0) {
    if (errno == ENOPROTOOPT) {
      return fail(ENOPROTOOPT, "setsockopt", describe(socket),
                  "SO_PASSRIGHTS is not supported by this kernel (Linux 6.16 or later)");
    }
    return fail_errno("setsockopt", describe(socket));
  }
  return {};
}

Result<bool> pass_rights(FdView socket) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_PASSRIGHTS, &value, &len) != 0) {
    if (errno == ENOPROTOOPT) {
      return fail(ENOPROTOOPT, "getsockopt", describe(socket),
                  "SO_PASSRIGHTS is not supported by this kernel (Linux 6.16 or later)");
    }
    return fail_errno("getsockopt", describe(socket));
  }
  return value != 0;
}

}  // namespace ipckit::uds
