#include "ipckit/unix/socket.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "unix/socket_io.hpp"

namespace ipckit::uds {

namespace detail {

bool has_timeout(int fd, Direction direction) noexcept {
  const int saved = errno;
  timeval tv{};
  socklen_t len = sizeof(tv);
  const int opt = direction == Direction::kReceive ? SO_RCVTIMEO : SO_SNDTIMEO;
  const bool set =
      ::getsockopt(fd, SOL_SOCKET, opt, &tv, &len) == 0 && (tv.tv_sec != 0 || tv.tv_usec != 0);
  errno = saved;
  return set;
}

std::string describe_fd(int fd) {
  return fmt::format("fd {}", fd);
}

std::unexpected<Error> fail_io(const char* operation, int fd, Direction direction) {
  const int code = errno;
  if (code == EAGAIN) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0) {
      return fail(ETIMEDOUT, operation, describe_fd(fd),
                  direction == Direction::kReceive ? "receive timeout (SO_RCVTIMEO) expired"
                                                   : "send timeout (SO_SNDTIMEO) expired");
    }
  }
  return std::unexpected(Error(code, operation, describe_fd(fd)));
}

}  // namespace detail

namespace {

using detail::call_blocking;
using detail::describe_fd;
using detail::Direction;
using detail::fail_io;

int type_flags(SocketType type, Blocking blocking) {
  int flags = static_cast<int>(type) | SOCK_CLOEXEC;
  if (blocking == Blocking::kNo) flags |= SOCK_NONBLOCK;
  return flags;
}

Result<void> set_timeout(int fd, int option, std::chrono::microseconds timeout) {
  const char* name = option == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO";
  if (timeout.count() < 0) {
    return fail(EINVAL, "setsockopt", describe_fd(fd),
                fmt::format("negative {} of {} us", name, timeout.count()));
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1'000'000);
  if (::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv)) != 0) {
    return fail_errno("setsockopt", describe_fd(fd));
  }
  return {};
}

Result<std::chrono::microseconds> get_timeout(int fd, int option) {
  timeval tv{};
  socklen_t len = sizeof(tv);
  if (::getsockopt(fd, SOL_SOCKET, option, &tv, &len) != 0) {
    return fail_errno("getsockopt", describe_fd(fd));
  }
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

Result<UnixAddress> decode(const SockAddr& addr, const char* operation, int fd) {
  auto decoded = UnixAddress::from_sockaddr(addr.storage, addr.length);
  if (!decoded) {
    return std::unexpected(
        Error(decoded.error().code(), operation, describe_fd(fd), decoded.error().detail()));
  }
  return decoded;
}

}  // namespace

std::string_view to_string(SocketType type) noexcept {
  switch (type) {
    case SocketType::kStream:
      return "stream";
    case SocketType::kDatagram:
      return "datagram";
    case SocketType::kSeqPacket:
      return "seqpacket";
  }
  return "unknown";
}

Result<UnixSocket> UnixSocket::create(SocketType type, Blocking blocking) {
  const int fd = ::socket(AF_UNIX, type_flags(type, blocking), 0);
  if (fd < 0) return fail_errno("socket", fmt::format("AF_UNIX {}", to_string(type)));
  return UnixSocket(Fd(fd), type);
}

Result<SocketPair> UnixSocket::pair(SocketType type, Blocking blocking) {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, type_flags(type, blocking), 0, fds) != 0) {
    return fail_errno("socketpair", fmt::format("AF_UNIX {}", to_string(type)));
  }
  return SocketPair(UnixSocket(Fd(fds[0]), type), UnixSocket(Fd(fds[1]), type));
}

Result<UnixSocket> UnixSocket::connect_to(const UnixAddress& address, SocketType type) {
  auto socket = create(type);
  if (!socket) return socket;
  if (auto r = socket->connect(address); !r) return std::unexpected(std::move(r.error()));
  return socket;
}

Result<UnixSocket> UnixSocket::adopt(Fd fd) {
  int domain = 0;
  int type = 0;
  socklen_t len = sizeof(domain);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
    return fail_errno("getsockopt", describe_fd(fd.get()));
  }
  if (domain != AF_UNIX) {
    return fail(EAFNOSUPPORT, "getsockopt", describe_fd(fd.get()),
                fmt::format("socket family {} is not AF_UNIX", domain));
  }
  len = sizeof(type);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    return fail_errno("getsockopt", describe_fd(fd.get()));
  }
  if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET) {
    return fail(EPROTOTYPE, "getsockopt", describe_fd(fd.get()),
                fmt::format("socket type {} is not stream, datagram or seqpacket", type));
  }
  return UnixSocket(std::move(fd), static_cast<SocketType>(type));
}

Result<void> UnixSocket::bind(const UnixAddress& address) const {
  const SockAddr addr = address.to_sockaddr();
  if (::bind(fd_.get(), addr.get(), addr.length) != 0) {
    return fail_errno("bind", address.describe());
  }
  return {};
}

Result<void> UnixSocket::listen(int backlog) const {
  if (::listen(fd_.get(), backlog) != 0) return fail_errno("listen", describe_fd(fd_.get()));
  return {};
}

Result<UnixSocket> UnixSocket::accept(Blocking blocking) const {
  int flags = SOCK_CLOEXEC;
  if (blocking == Blocking::kNo) flags |= SOCK_NONBLOCK;
  const int fd = call_blocking(fd_.get(), Direction::kReceive,
                               [&] { return ::accept4(fd_.get(), nullptr, nullptr, flags); });
  if (fd < 0) return fail_io("accept4", fd_.get(), Direction::kReceive);
  return UnixSocket(Fd(fd), type_);
}

Result<void> UnixSocket::connect(const UnixAddress& address) const {
  const SockAddr addr = address.to_sockaddr();
  const int rc = call_blocking(fd_.get(), Direction::kSend,
                               [&] { return ::connect(fd_.get(), addr.get(), addr.length); });
  if (rc != 0) {
    auto failure = fail_io("connect", fd_.get(), Direction::kSend);
    return std::unexpected(
        Error(failure.error().code(), "connect", address.describe(), failure.error().detail()));
  }
  return {};
}

Result<std::size_t> UnixSocket::send(std::span<const std::byte> data) const {
  const ssize_t n = call_blocking(fd_.get(), Direction::kSend, [&] {
    return ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
  });
  if (n < 0) return fail_io("send", fd_.get(), Direction::kSend);
  return static_cast<std::size_t>(n);
}

Result<std::size_t> UnixSocket::send(std::string_view text) const {
  return send(std::as_bytes(std::span(text)));
}

Result<void> UnixSocket::send_all(std::span<const std::byte> data) const {
  while (!data.empty()) {
    auto n = send(data);
    if (!n) return std::unexpected(std::move(n.error()));
    data = data.subspan(*n);
  }
  return {};
}

Result<std::size_t> UnixSocket::receive(std::span<std::byte> buffer) const {
  const ssize_t n = call_blocking(fd_.get(), Direction::kReceive, [&] {
    return ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
  });
  if (n < 0) return fail_io("recv", fd_.get(), Direction::kReceive);
  return static_cast<std::size_t>(n);
}

Result<std::size_t> UnixSocket::send_to(std::span<const std::byte> data,
                                        const UnixAddress& to) const {
  const SockAddr addr = to.to_sockaddr();
  const ssize_t n = call_blocking(fd_.get(), Direction::kSend, [&] {
    return ::sendto(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL, addr.get(), addr.length);
  });
  if (n < 0) {
    auto failure = fail_io("sendto", fd_.get(), Direction::kSend);
    return std::unexpected(
        Error(failure.error().code(), "sendto", to.describe(), failure.error().detail()));
  }
  return static_cast<std::size_t>(n);
}

Result<Datagram> UnixSocket::receive_from(std::span<std::byte> buffer) const {
  SockAddr from;
  iovec iov{.iov_base = buffer.data(), .iov_len = buffer.size()};
  msghdr msg{};
  msg.msg_name = &from.storage;
  msg.msg_namelen = sizeof(from.storage);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const ssize_t n =
      call_blocking(fd_.get(), Direction::kReceive, [&] { return ::recvmsg(fd_.get(), &msg, 0); });
  if (n < 0) return fail_io("recvmsg", fd_.get(), Direction::kReceive);
  from.length = msg.msg_namelen;
  auto address = decode(from, "recvmsg", fd_.get());
  if (!address) return std::unexpected(std::move(address.error()));
  return Datagram{.size = static_cast<std::size_t>(n),
                  .truncated = (msg.msg_flags & MSG_TRUNC) != 0,
                  .from = std::move(*address)};
}

Result<void> UnixSocket::shutdown(Shutdown how) const {
  if (::shutdown(fd_.get(), static_cast<int>(how)) != 0) {
    return fail_errno("shutdown", describe_fd(fd_.get()));
  }
  return {};
}

Result<UnixAddress> UnixSocket::local_address() const {
  SockAddr addr;
  addr.length = sizeof(addr.storage);
  if (::getsockname(fd_.get(), addr.get(), &addr.length) != 0) {
    return fail_errno("getsockname", describe_fd(fd_.get()));
  }
  return decode(addr, "getsockname", fd_.get());
}

Result<UnixAddress> UnixSocket::peer_address() const {
  SockAddr addr;
  addr.length = sizeof(addr.storage);
  if (::getpeername(fd_.get(), addr.get(), &addr.length) != 0) {
    return fail_errno("getpeername", describe_fd(fd_.get()));
  }
  return decode(addr, "getpeername", fd_.get());
}

Result<void> UnixSocket::set_blocking(Blocking blocking) const {
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags < 0) return fail_errno("fcntl", describe_fd(fd_.get()));
  const int wanted = blocking == Blocking::kNo ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  if (wanted != flags && ::fcntl(fd_.get(), F_SETFL, wanted) != 0) {
    return fail_errno("fcntl", describe_fd(fd_.get()));
  }
  return {};
}

Result<Blocking> UnixSocket::blocking() const {
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags < 0) return fail_errno("fcntl", describe_fd(fd_.get()));
  return (flags & O_NONBLOCK) != 0 ? Blocking::kNo : Blocking::kYes;
}

Result<void> UnixSocket::set_receive_timeout(std::chrono::microseconds timeout) const {
  return set_timeout(fd_.get(), SO_RCVTIMEO, timeout);
}

Result<void> UnixSocket::set_send_timeout(std::chrono::microseconds timeout) const {
  return set_timeout(fd_.get(), SO_SNDTIMEO, timeout);
}

Result<std::chrono::microseconds> UnixSocket::receive_timeout() const {
  return get_timeout(fd_.get(), SO_RCVTIMEO);
}

Result<std::chrono::microseconds> UnixSocket::send_timeout() const {
  return get_timeout(fd_.get(), SO_SNDTIMEO);
}

}  // namespace ipckit::uds
