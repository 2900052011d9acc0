// ipckit::uds::UnixSocket: one AF_UNIX socket (stream, datagram or seqpacket), owned.
//
// Ownership: a UnixSocket owns its descriptor (an ipckit::Fd inside) and closes it exactly once,
// when destroyed or move-assigned over. It is move-only; moves are noexcept. fd() lends an
// FdView that is valid while the UnixSocket lives. Every descriptor made here is close-on-exec
// (SOCK_CLOEXEC on socket, socketpair and accept4).
//
// Peer death: the kernel closes a dead process's end. A stream/seqpacket reader then sees EOF
// (receive() returns 0) after the data already queued; a writer gets EPIPE, never SIGPIPE (every
// send uses MSG_NOSIGNAL). A datagram sent to a connected peer that is gone fails with
// ECONNREFUSED. A path-bound socket file outlives its socket: see UnixListener.
//
// EINTR: calls that cannot block (socket, socketpair, bind, listen, shutdown, get/setsockopt,
// getsockname/getpeername) never see it. Calls that can block (accept, connect, send, receive,
// send_to, receive_from) are restarted when no timeout is set, since an interrupted call moved
// no data (a send interrupted after moving some bytes returns that count, not EINTR). When
// SO_RCVTIMEO/SO_SNDTIMEO is set they return EINTR instead: a restart would re-arm the whole
// timeout and so stretch the caller's deadline.
//
// Timeouts: set_receive_timeout/set_send_timeout set SO_RCVTIMEO/SO_SNDTIMEO. The kernel reports
// an expired timeout as EAGAIN; ipckit reports ETIMEDOUT when the socket is in blocking mode, so
// a timeout can be told from a non-blocking refusal, which stays EAGAIN. The receive timeout
// also bounds accept(), the send timeout connect() (waiting for room in a full backlog).
//
// Thread safety: every member is const and one syscall (or two); the kernel serialises access.
// Concurrent senders on a stream socket may interleave bytes; datagrams and seqpackets never.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/unix/address.hpp"

namespace ipckit::uds {

enum class SocketType {
  kStream = SOCK_STREAM,        // a byte stream: no message boundaries
  kDatagram = SOCK_DGRAM,       // messages, connectionless; reliable and ordered on AF_UNIX
  kSeqPacket = SOCK_SEQPACKET,  // messages over a connection, boundaries kept
};

// "stream", "datagram" or "seqpacket".
[[nodiscard]] std::string_view to_string(SocketType type) noexcept;

// Whether a new descriptor starts in non-blocking mode (SOCK_NONBLOCK / O_NONBLOCK).
enum class Blocking {
  kYes,  // calls wait (up to the timeout, if any)
  kNo,   // calls that would wait fail with EAGAIN instead
};

// Which half of a connection shutdown() closes.
enum class Shutdown {
  kRead = SHUT_RD,
  kWrite = SHUT_WR,  // the peer's receive() then returns 0 (EOF) once it has read what was sent
  kBoth = SHUT_RDWR,
};

// One message taken by receive_from().
struct Datagram {
  std::size_t size;  // bytes stored in the caller's buffer
  bool truncated;    // the message was longer than the buffer; its tail is lost (MSG_TRUNC)
  UnixAddress from;  // the sender's address; unnamed when the sender is not bound
};

class UnixSocket;
using SocketPair = std::pair<UnixSocket, UnixSocket>;

class UnixSocket {
 public:
  // socket(AF_UNIX, type | SOCK_CLOEXEC [| SOCK_NONBLOCK], 0). Returns: an unbound, unconnected
  // socket. Errors: EMFILE, ENFILE, ENOBUFS, ENOMEM. Man: socket(2), unix(7).
  [[nodiscard]] static Result<UnixSocket> create(SocketType type,
                                                 Blocking blocking = Blocking::kYes);

  // socketpair(AF_UNIX, type | SOCK_CLOEXEC [| SOCK_NONBLOCK], 0). Returns: two connected
  // sockets; each one's peer_credentials() are this process's. Errors: EMFILE, ENFILE.
  // Man: socketpair(2).
  [[nodiscard]] static Result<SocketPair> pair(SocketType type, Blocking blocking = Blocking::kYes);

  // create() then connect(): a client socket connected to `address`. Errors: as create() and
  // connect(). Man: connect(2).
  [[nodiscard]] static Result<UnixSocket> connect_to(const UnixAddress& address,
                                                     SocketType type = SocketType::kStream);

  // getsockopt(SO_DOMAIN, SO_TYPE): takes ownership of `fd` (from fd passing, systemd, ...)
  // after checking that it is an AF_UNIX socket. Returns: the socket. Errors: ENOTSOCK (not a
  // socket), EAFNOSUPPORT (another family), EPROTOTYPE (a type other than the three), EBADF;
  // on error `fd` is closed. Man: getsockopt(2).
  [[nodiscard]] static Result<UnixSocket> adopt(Fd fd);

  UnixSocket(UnixSocket&&) noexcept = default;
  UnixSocket& operator=(UnixSocket&&) noexcept = default;
  ~UnixSocket() = default;

  [[nodiscard]] FdView fd() const noexcept { return fd_.view(); }
  operator FdView() const noexcept { return fd_.view(); }  // NOLINT: borrowing is always safe
  [[nodiscard]] SocketType type() const noexcept { return type_; }
  // Gives up the descriptor: the caller owns (and must close) it; this socket becomes empty.
  [[nodiscard]] Fd release() && noexcept { return std::move(fd_); }

  // bind(2). An unnamed address autobinds (length sizeof(sa_family_t)): the kernel picks a free
  // 5-hex-digit abstract name; read it with local_address(). A path is created as a socket file
  // (mode 0777 & ~umask) that stays after close: see UnixListener for safe handling.
  // Binding an already autobound socket to the unnamed address again is a no-op.
  // Errors: EADDRINUSE (path exists, abstract name taken), EINVAL (already bound), EACCES,
  // ENOENT (a directory of the path is missing), EROFS. Man: bind(2), unix(7).
  [[nodiscard]] Result<void> bind(const UnixAddress& address) const;

  // listen(2). REQUIRES: a stream or seqpacket socket. Errors: EOPNOTSUPP (datagram), EINVAL.
  // A backlog above /proc/sys/net/core/somaxconn is silently capped. Man: listen(2).
  [[nodiscard]] Result<void> listen(int backlog = SOMAXCONN) const;

  // accept4(2) with SOCK_CLOEXEC [| SOCK_NONBLOCK]. Waits for a connection (restarted on EINTR
  // unless a receive timeout is set). Returns: the connected socket, of this socket's type.
  // Errors: EAGAIN (non-blocking, none pending), ETIMEDOUT (receive timeout), EINVAL (not
  // listening), EINTR (timeout set), EMFILE, ENFILE. Man: accept(2).
  [[nodiscard]] Result<UnixSocket> accept(Blocking blocking = Blocking::kYes) const;

  // connect(2). A datagram socket only records the default destination. Restarted on EINTR
  // unless a send timeout is set (an interrupted AF_UNIX connect leaves the socket unconnected).
  // Errors: ENOENT (no file at the path), ECONNREFUSED (nobody listens: a stale socket file, or
  // an abstract name nobody of this type has bound), EACCES (no write permission on the socket
  // file), EPROTOTYPE (the socket file's socket is of another type; abstract names are looked
  // up by type, so there it is ECONNREFUSED), EAGAIN (non-blocking and the backlog is
  // full), ETIMEDOUT (backlog still full when the send timeout expires), EISCONN.
  // Man: connect(2), unix(7).
  [[nodiscard]] Result<void> connect(const UnixAddress& address) const;

  // send(2) with MSG_NOSIGNAL. Returns: bytes sent: all of `data` for a datagram or seqpacket
  // (or an error), possibly fewer for a stream (call again with the rest, or use send_all).
  // Errors: EPIPE (peer closed or shut down; never SIGPIPE), ECONNREFUSED (datagram peer gone),
  // EAGAIN (non-blocking and no room), ETIMEDOUT (send timeout), EMSGSIZE (message larger than
  // the send buffer), ENOTCONN, EINTR (timeout set). Man: send(2).
  [[nodiscard]] Result<std::size_t> send(std::span<const std::byte> data) const;
  [[nodiscard]] Result<std::size_t> send(std::string_view text) const;

  // send(2) in a loop until every byte is sent. REQUIRES: a stream socket (a message socket
  // sends whole messages anyway). On error some prefix of `data` may have been sent: the
  // stream is then mid-message and should be closed. Errors: as send().
  [[nodiscard]] Result<void> send_all(std::span<const std::byte> data) const;

  // recv(2). Waits for data (restarted on EINTR unless a receive timeout is set). Returns: the
  // bytes stored, 0 at EOF on a stream or seqpacket (also an empty message: message sockets can
  // carry 0-byte messages). A message longer than `buffer` is cut; use receive_from() to learn.
  // Errors: EAGAIN (non-blocking, nothing queued), ETIMEDOUT (receive timeout), ECONNRESET
  // (peer closed with unread data of ours), ENOTCONN, EINTR (timeout set). Man: recv(2).
  [[nodiscard]] Result<std::size_t> receive(std::span<std::byte> buffer) const;

  // sendto(2) with MSG_NOSIGNAL: one datagram to `to`. Errors: as send(), and ECONNREFUSED or
  // ENOENT (nobody is bound at `to`), EISCONN (connected stream). Man: sendto(2).
  [[nodiscard]] Result<std::size_t> send_to(std::span<const std::byte> data,
                                            const UnixAddress& to) const;

  // recvmsg(2): one message and its sender's address. Errors: as receive(). Man: recvmsg(2).
  [[nodiscard]] Result<Datagram> receive_from(std::span<std::byte> buffer) const;

  // shutdown(2). On AF_UNIX it succeeds on an unconnected socket too (and does nothing for a
  // peer that does not exist). Errors: EBADF, ENOTSOCK. Man: shutdown(2).
  [[nodiscard]] Result<void> shutdown(Shutdown how) const;

  // getsockname(2): this socket's address (unnamed if unbound; the picked name if autobound).
  [[nodiscard]] Result<UnixAddress> local_address() const;
  // getpeername(2): the peer's address (unnamed if the peer is unbound). Errors: ENOTCONN.
  [[nodiscard]] Result<UnixAddress> peer_address() const;

  // fcntl(2) F_GETFL/F_SETFL O_NONBLOCK. Errors: EBADF.
  [[nodiscard]] Result<void> set_blocking(Blocking blocking) const;
  [[nodiscard]] Result<Blocking> blocking() const;

  // setsockopt(2) SO_RCVTIMEO / SO_SNDTIMEO, microsecond resolution; zero means wait forever.
  // Errors: EINVAL (negative). Man: socket(7).
  [[nodiscard]] Result<void> set_receive_timeout(std::chrono::microseconds timeout) const;
  [[nodiscard]] Result<void> set_send_timeout(std::chrono::microseconds timeout) const;
  // getsockopt(2) SO_RCVTIMEO / SO_SNDTIMEO; zero when none is set. The kernel keeps timeouts
  // in scheduler ticks, so the value read back is rounded up (50 ms may read as 52 ms).
  [[nodiscard]] Result<std::chrono::microseconds> receive_timeout() const;
  [[nodiscard]] Result<std::chrono::microseconds> send_timeout() const;

 private:
  UnixSocket(Fd fd, SocketType type) noexcept : fd_(std::move(fd)), type_(type) {}

  Fd fd_;
  SocketType type_;
};

}  // namespace ipckit::uds
