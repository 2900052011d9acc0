// Descriptor passing over Unix domain sockets: SCM_RIGHTS made hard to get wrong.
//
// These functions work on any connected AF_UNIX socket (SOCK_STREAM, SOCK_SEQPACKET or a
// connected SOCK_DGRAM), given as an FdView; they keep no state. Sending borrows descriptors:
// the caller still owns its copies and may close them as soon as send_fds() returns, because the
// kernel holds its own references while the message is in flight. Receiving yields owned Fd
// values, all close-on-exec (MSG_CMSG_CLOEXEC): a descriptor nobody claims is closed when its Fd
// goes away, and every failing receive closes whatever did arrive, so none can leak.
//
// The wire format is plain SCM_RIGHTS, so any peer interoperates (Python's socket.send_fds and
// socket.recv_fds, C's sendmsg/recvmsg): one message is the caller's payload bytes, sent as-is,
// with one SCM_RIGHTS control message of 1..253 descriptors (SCM_MAX_FD). docs/fd-passing.md
// spells it out, with the batched format for more than 253.
//
// Streams: a SOCK_STREAM socket has no message boundaries. The descriptors travel with the first
// byte of the payload they were sent with, a receive never returns descriptors of two sends, and
// the payload bytes returned with them may be preceded by bytes of earlier sends that carried no
// descriptors. A stream needs at least one payload byte per message (a zero-byte sendmsg drops
// the descriptors silently), so send_fds() refuses an empty payload there.
//
// Peer death: descriptors in flight to a receiver that exits, or closes its socket, are closed
// by the kernel. A sender that dies after send_fds() returned has delivered its descriptors.
//
// Thread safety: every function may be called from any thread. Two threads sending on one
// SOCK_STREAM socket at once may interleave their payloads (a long payload goes out in several
// pieces); datagrams and seqpackets are sent atomically.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::uds {

// The most descriptors one message may carry: the kernel's SCM_MAX_FD.
inline constexpr std::size_t kMaxFdsPerMessage = 253;

// What one receive_fds() returned.
struct ReceivedFds {
  std::size_t size = 0;  // payload bytes written to the front of the caller's buffer
  std::vector<Fd> fds;   // the descriptors that came with them (owned, close-on-exec)
  // The peer closed: no payload and no descriptors on a SOCK_STREAM or SOCK_SEQPACKET socket.
  // (A SOCK_SEQPACKET message of zero bytes and no descriptors reads the same way; a SOCK_DGRAM
  // socket has no end: an empty datagram gives size 0 and eof false.)
  bool eof = false;
};

// sendmsg(2) of `payload` with one SCM_RIGHTS control message holding `fds`, with MSG_NOSIGNAL
// (a closed peer gives EPIPE, never SIGPIPE). An empty `fds` sends the payload alone.
// On a stream, the whole payload is sent: after a short sendmsg the rest follows with send(2)
// without descriptors, waiting with poll(2) on a non-blocking socket (a message whose first
// byte has left cannot be taken back; SO_SNDTIMEO bounds the first sendmsg only). EINTR before
// any byte leaves is retried (nothing was sent).
// REQUIRES: `socket` is a connected AF_UNIX socket; fds.size() <= kMaxFdsPerMessage; every fd is
// open; payload not empty when fds is not empty and the socket is SOCK_STREAM.
// Returns: nothing once the payload and descriptors are queued for the peer.
// Errors: EINVAL (more than 253 descriptors, or an empty payload with descriptors on a stream),
// EBADF (a descriptor in `fds` is not open), EPERM (the receiver refuses descriptors with
// SO_PASSRIGHTS = 0), EPIPE or ECONNRESET (the peer closed), EAGAIN (non-blocking, nothing sent),
// EMSGSIZE (a datagram larger than the socket allows), ETOOMANYREFS (too many descriptors in
// flight for an unprivileged sender: RLIMIT_NOFILE), ENOTSOCK, ENOTCONN.
// Man pages: sendmsg(2), unix(7), cmsg(3).
[[nodiscard]] Result<void> send_fds(FdView socket, std::span<const std::byte> payload,
                                    std::span<const FdView> fds);
// The same, with the characters of `payload` (no terminating NUL) as the payload.
[[nodiscard]] Result<void> send_fds(FdView socket, std::string_view payload,
                                    std::span<const FdView> fds);

// recvmsg(2) with MSG_CMSG_CLOEXEC into `buffer`, accepting at most `max_fds` descriptors. Every
// control message is walked and every descriptor in each is taken into an Fd before anything is
// judged; on any error below, all of them are closed before returning. EINTR is retried (a
// recvmsg interrupted before data arrives consumed nothing), so a signal does not wake a blocked
// caller; with SO_RCVTIMEO each retry starts the timeout anew.
// REQUIRES: `socket` is an AF_UNIX socket; buffer not empty (a zero-byte read of a stream would
// look like end of stream); max_fds <= kMaxFdsPerMessage.
// Returns: the payload size, the descriptors, and whether the peer closed (see ReceivedFds).
// Errors: EINVAL (a violated REQUIRES), EMSGSIZE (more descriptors arrived than max_fds, the
// kernel truncated the control data (MSG_CTRUNC), or a datagram or seqpacket payload did not fit
// in `buffer` (MSG_TRUNC); the message is consumed), EPROTO (descriptors arrived but max_fds is
// 0, or an unexpected control message arrived: SCM_CREDENTIALS because SO_PASSCRED is on,
// SCM_PIDFD because SO_PASSPIDFD is on, SCM_SECURITY; the message is consumed), EAGAIN
// (non-blocking and nothing queued), ENOTSOCK, ENOTCONN.
// Man pages: recvmsg(2), unix(7), cmsg(3).
[[nodiscard]] Result<ReceivedFds> receive_fds(FdView socket, std::span<std::byte> buffer,
                                              std::size_t max_fds);

// Sends any number of descriptors as ceil(n / 253) messages (see docs/fd-passing.md): each
// carries 253 descriptors (the last one the rest) and a one-byte payload, 0x01 when more
// batches follow and 0x00 on the last. Each message is one send_fds().
// REQUIRES: as send_fds(), and fds not empty. Returns: nothing once every batch is queued.
// Errors: those of send_fds(), and EINVAL for an empty `fds`. A failure after the first batch
// leaves the peer with part of the sequence: close the connection.
// Man pages: sendmsg(2), unix(7).
[[nodiscard]] Result<void> send_fds_batched(FdView socket, std::span<const FdView> fds);

// Receives one send_fds_batched() sequence: reads one byte per message (so it never consumes
// bytes sent after the sequence) until the batch marked last, and returns every descriptor in
// order. On any error, every descriptor received so far is closed, and the rest of the
// sequence may still be queued: the connection is out of step, close it.
// REQUIRES: `socket` as receive_fds(); 1 <= max_fds (the most descriptors accepted in total).
// Returns: the descriptors, at least one.
// Errors: those of receive_fds(), EINVAL (max_fds is 0), EMSGSIZE (the sequence holds more than
// max_fds descriptors), EPROTO (a message without descriptors, a marker byte other than 0x00
// or 0x01, or the peer closed mid-sequence).
// Man pages: recvmsg(2), unix(7).
[[nodiscard]] Result<std::vector<Fd>> receive_fds_batched(FdView socket, std::size_t max_fds);

// setsockopt(2) SOL_SOCKET SO_PASSRIGHTS (Linux 6.16+): whether `socket` accepts descriptors.
// With pass = false the kernel refuses them at the sender: a sendmsg carrying SCM_RIGHTS to this
// socket fails with EPERM and delivers nothing, not even its payload; plain data still flows.
// Sockets accepted from a listener inherit the listener's setting.
// REQUIRES: `socket` is an AF_UNIX socket. Returns: nothing on success.
// Errors: ENOPROTOOPT (the kernel predates SO_PASSRIGHTS: unsupported here), EOPNOTSUPP (not an
// AF_UNIX socket), ENOTSOCK, EBADF. Man pages: setsockopt(2), unix(7).
[[nodiscard]] Result<void> set_pass_rights(FdView socket, bool pass);

// getsockopt(2) SOL_SOCKET SO_PASSRIGHTS. REQUIRES: as set_pass_rights().
// Returns: whether the socket accepts descriptors (true unless set_pass_rights(false)).
// Errors: as set_pass_rights(). Man pages: getsockopt(2), unix(7).
[[nodiscard]] Result<bool> pass_rights(FdView socket);

}  // namespace ipckit::uds
