// ipckit::net TCP sockets: a listener and a client connection, both owned, close-on-exec.
//
// TcpListener::bind sets SO_REUSEADDR (a restarted daemon binds again while old connections sit
// in TIME_WAIT) and, on an IPv6 address, IPV6_V6ONLY (so "[::]:25" and "*:25" can be bound side
// by side, as systemd's BindIPv6Only=ipv6-only does). No SO_REUSEPORT: a second daemon on the same
// port is an error (EADDRINUSE), never a silent split of the traffic.
//
// Thread safety: accept() may be called from several threads at once; moves need exclusive access.
#pragma once

#include <memory>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/core/timeout.hpp"
#include "ipckit/net/inet_address.hpp"

namespace ipckit::net {

// One accepted connection.
struct TcpConnection {
  Fd socket;          // connected, close-on-exec, non-blocking when accept() was asked so
  InetAddress peer;   // getpeername: the client
  InetAddress local;  // getsockname: the address it connected to
};

class TcpListener {
 public:
  // socket + SO_REUSEADDR (+ IPV6_V6ONLY) + bind + listen(backlog), close-on-exec and
  // non-blocking (for an event loop). Returns: the listener.
  // Errors: EADDRINUSE (a listener is there), EADDRNOTAVAIL (not an address of this host),
  // EACCES (a port below 1024 without CAP_NET_BIND_SERVICE). Man: socket(2), bind(2), ip(7).
  [[nodiscard]] static Result<TcpListener> bind(const InetAddress& address, int backlog = 4096);

  // Takes ownership of a listening TCP socket made by someone else (systemd socket
  // activation). Sets it close-on-exec and non-blocking. Errors: ENOTSOCK, EAFNOSUPPORT (not
  // AF_INET/AF_INET6), EPROTOTYPE (not SOCK_STREAM), EINVAL (not listening); `fd` is closed on
  // error. Man: getsockopt(2) SO_DOMAIN, SO_TYPE, SO_ACCEPTCONN.
  [[nodiscard]] static Result<TcpListener> adopt(Fd fd);

  // accept4(2) with SOCK_CLOEXEC (and SOCK_NONBLOCK when `nonblocking`); the listener itself is
  // non-blocking, so with nothing pending this fails with EAGAIN at once.
  // Errors: EAGAIN, EMFILE, ENFILE, ECONNABORTED (the client reset before accept; try again).
  [[nodiscard]] Result<TcpConnection> accept(bool nonblocking = true) const;

  [[nodiscard]] FdView fd() const noexcept { return fd_.view(); }
  // getsockname: the bound address (port 0 resolved).
  [[nodiscard]] const InetAddress& local_address() const noexcept { return local_; }

 private:
  TcpListener(Fd fd, InetAddress local) : fd_(std::move(fd)), local_(local) {}
  Fd fd_;
  InetAddress local_;
};

// socket + connect(2), blocking, waiting at most `timeout` (ETIMEDOUT). Returns: the connected
// socket (blocking, close-on-exec). Errors: ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EHOSTUNREACH.
[[nodiscard]] Result<Fd> tcp_connect(const InetAddress& address, Timeout timeout = kForever);

}  // namespace ipckit::net
