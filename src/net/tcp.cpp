#include "ipckit/net/tcp.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "core/deadline.hpp"

namespace ipckit::net {

using detail::Clock;

namespace {

std::string describe_fd(int fd) {
  return fmt::format("fd {}", fd);
}

int af_of(Family family) noexcept {
  return family == Family::kV4 ? AF_INET : AF_INET6;
}

Result<InetAddress> sock_name(int fd, bool peer) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  auto* addr = reinterpret_cast<sockaddr*>(&storage);
  const int r = peer ? ::getpeername(fd, addr, &length) : ::getsockname(fd, addr, &length);
  const char* operation = peer ? "getpeername" : "getsockname";
  if (r != 0) return fail_errno(operation, describe_fd(fd));
  auto decoded = InetAddress::from_sockaddr(addr, length);
  if (!decoded) {
    return std::unexpected(
        Error(decoded.error().code(), operation, describe_fd(fd), decoded.error().detail()));
  }
  return decoded;
}

Result<int> int_option(int fd, int level, int option, const char* name) {
  int value = 0;
  socklen_t length = sizeof(value);
  if (::getsockopt(fd, level, option, &value, &length) != 0) {
    return fail_errno(fmt::format("getsockopt {}", name), describe_fd(fd));
  }
  return value;
}

Result<void> set_flags(int fd, bool nonblocking) {
  const int fd_flags = ::fcntl(fd, F_GETFD);
  if (fd_flags < 0 || ::fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) != 0) {
    return fail_errno("fcntl F_SETFD", describe_fd(fd));
  }
  const int fl = ::fcntl(fd, F_GETFL);
  const int wanted = nonblocking ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (fl < 0 || ::fcntl(fd, F_SETFL, wanted) != 0)
    return fail_errno("fcntl F_SETFL", describe_fd(fd));
  return {};
}

}  // namespace

Result<TcpListener> TcpListener::bind(const InetAddress& address, int backlog) {
  const std::string object = address.to_string();
  Fd fd(::socket(af_of(address.family()), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_errno("socket", object);
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    return fail_errno("setsockopt SO_REUSEADDR", object);
  }
  if (address.family() == Family::kV6 &&
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) {
    return fail_errno("setsockopt IPV6_V6ONLY", object);
  }
  const InetSockAddr raw = address.to_sockaddr();
  if (::bind(fd.get(), raw.get(), raw.length) != 0) return fail_errno("bind", object);
  if (::listen(fd.get(), backlog) != 0) return fail_errno("listen", object);
  auto local = sock_name(fd.get(), false);
  if (!local) return std::unexpected(local.error());
  return TcpListener(std::move(fd), *local);
}

Result<TcpListener> TcpListener::adopt(Fd fd) {
  // `fd` is owned here: every error return closes it.
  const int raw = fd.get();
  auto domain = int_option(raw, SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN");
  if (!domain) return std::unexpected(domain.error());
  if (*domain != AF_INET && *domain != AF_INET6) {
    return fail(EAFNOSUPPORT, "adopt listener", describe_fd(raw),
                fmt::format("socket family {} is not AF_INET or AF_INET6", *domain));
  }
  auto type = int_option(raw, SOL_SOCKET, SO_TYPE, "SO_TYPE");
  if (!type) return std::unexpected(type.error());
  if (*type != SOCK_STREAM) {
    return fail(EPROTOTYPE, "adopt listener", describe_fd(raw),
                fmt::format("socket type {} is not SOCK_STREAM", *type));
  }
  auto listening = int_option(raw, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN");
  if (!listening) return std::unexpected(listening.error());
  if (*listening == 0) {
    return fail(EINVAL, "adopt listener", describe_fd(raw), "TCP socket is not listening");
  }
  if (auto r = set_flags(raw, true); !r) return std::unexpected(r.error());
  auto local = sock_name(raw, false);
  if (!local) return std::unexpected(local.error());
  return TcpListener(std::move(fd), *local);
}

Result<TcpConnection> TcpListener::accept(bool nonblocking) const {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  auto* addr = reinterpret_cast<sockaddr*>(&storage);
  const int flags = SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  Fd socket(::accept4(fd_.get(), addr, &length, flags));
  if (!socket) return fail_errno("accept4", local_.to_string());
  auto peer = InetAddress::from_sockaddr(addr, length);
  if (!peer) {
    return std::unexpected(
        Error(peer.error().code(), "accept4", local_.to_string(), peer.error().detail()));
  }
  auto local = sock_name(socket.get(), false);
  if (!local) return std::unexpected(local.error());
  return TcpConnection{std::move(socket), *peer, *local};
}

Result<Fd> tcp_connect(const InetAddress& address, Timeout timeout) {
  const std::string object = address.to_string();
  const auto deadline = detail::deadline_after(timeout);
  Fd fd(::socket(af_of(address.family()), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_errno("socket", object);
  const InetSockAddr raw = address.to_sockaddr();
  // Non-blocking, so the wait is ours and bounded; a connect interrupted by a signal goes on in
  // the background just the same (EINTR), so both are waited for with poll.
  if (::connect(fd.get(), raw.get(), raw.length) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) return fail_errno("connect", object);
    for (;;) {
      pollfd p{fd.get(), POLLOUT, 0};
      const int n = ::poll(&p, 1, detail::poll_timeout_ms(deadline));
      if (n > 0) break;
      if (n < 0 && errno != EINTR) return fail_errno("poll", object);
      if (n == 0 && Clock::now() >= deadline) {
        return fail(ETIMEDOUT, "connect", object,
                    "no answer before the timeout (connection not established)");
      }
    }
    auto error = int_option(fd.get(), SOL_SOCKET, SO_ERROR, "SO_ERROR");
    if (!error) return std::unexpected(error.error());
    if (*error != 0) return fail(*error, "connect", object);
  }
  if (auto r = set_flags(fd.get(), false); !r) return std::unexpected(r.error());
  return fd;
}

}  // namespace ipckit::net
