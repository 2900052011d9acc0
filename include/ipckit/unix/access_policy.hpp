// ipckit::uds::AccessPolicy: which peers a UnixListener accepts, judged by SO_PEERCRED.
//
// A policy is a set of allowed uids and gids, or "anyone". A peer is allowed when its effective
// uid is in the uid set or its effective (primary) gid is in the gid set; SO_PEERCRED carries no
// supplementary groups, so those are never consulted. Root gets no exemption: list uid 0 to
// allow it.
//
// Defaults (UnixListener picks one when ListenerOptions::policy is empty):
//   - abstract names and autobound listeners: same_user() — the listener's effective uid only.
//     Abstract sockets have no file and hence no permissions: any process in the network
//     namespace could connect.
//   - path sockets: anyone(). The socket file's mode and its directories' permissions already
//     decide who may connect (connect needs write permission on the file); set
//     ListenerOptions::mode, or pass a policy to check credentials as well.
//
// A refused peer is closed at once (it sees EOF or ECONNRESET) and reported through a
// RefusalSink; accept() then waits for the next peer.
//
// Clients check the server the same way: connect_verified() (or verify_peer() on a socket
// connected some other way) reads SO_PEERCRED right after connect(2), before anything is sent,
// and fails with EACCES if the policy does not allow the process that is listening. Use it for
// abstract names, which anyone in the network namespace can bind first ("squat"). SO_PEERCRED
// on a stream or seqpacket client names the process that called listen(2); a datagram socket has
// no peer credentials (the kernel records them for connected stream/seqpacket sockets and
// socketpairs only), so a datagram sender cannot check its receiver: verify_peer() refuses it
// with EINVAL unless the policy is anyone().
//
// Thread safety: a plain value; allows() is const and may be called from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/credentials.hpp"
#include "ipckit/unix/socket.hpp"

namespace ipckit::uds {

class AccessPolicy {
 public:
  // Everyone is allowed.
  [[nodiscard]] static AccessPolicy anyone();
  // Only peers whose euid equals this process's geteuid() at the time of the call.
  [[nodiscard]] static AccessPolicy same_user();
  // Only the listed uids and gids (either list may be empty; both empty allows nobody).
  [[nodiscard]] static AccessPolicy only(std::initializer_list<uid_t> uids,
                                         std::initializer_list<gid_t> gids = {});

  // Adds a uid or gid to the allowed sets. No effect on anyone().
  AccessPolicy& allow_user(uid_t uid);
  AccessPolicy& allow_group(gid_t gid);

  [[nodiscard]] bool allows(const PeerCredentials& peer) const;
  [[nodiscard]] bool allows_anyone() const noexcept { return anyone_; }
  [[nodiscard]] const std::set<uid_t>& users() const noexcept { return uids_; }
  [[nodiscard]] const std::set<gid_t>& groups() const noexcept { return gids_; }

  // "anyone", or "uids {0, 1000} gids {100}".
  [[nodiscard]] std::string describe() const;

  friend bool operator==(const AccessPolicy&, const AccessPolicy&) = default;

 private:
  bool anyone_ = false;
  std::set<uid_t> uids_;
  std::set<gid_t> gids_;
};

// One refused connection, as given to a RefusalSink.
struct Refusal {
  PeerCredentials peer;  // from SO_PEERCRED on the accepted (then closed) socket
  UnixAddress listener;  // the listener's address
  std::string reason;    // "not allowed"

  // "ipckit: refused connection from pid P uid U on @name: not allowed" (no newline).
  [[nodiscard]] std::string message() const;
};

// Called once per refused peer, on the thread that called accept() (so from several threads at
// once if several threads accept on one listener). Must not throw.
using RefusalSink = std::function<void(const Refusal&)>;

// The default sink: writes Refusal::message() and a newline to stderr in one write(2).
void log_refusal_to_stderr(const Refusal& refusal) noexcept;

// A uid or gid written in decimal, as on a command line: "0", "65534". Returns: the id.
// Errors: EINVAL for anything else: empty, signs, spaces, non-digits, and 4294967295 ((uid_t)-1,
// which the kernel uses for "no id"); ERANGE past it. Never reads "" as 0.
[[nodiscard]] Result<std::uint32_t> parse_id(std::string_view text);

// getsockopt(SO_PEERCRED) on a connected stream or seqpacket socket, then policy.allows().
// `address` names the peer in messages. Returns: the peer's credentials (as of its listen(2) or
// connect(2)). Errors: EACCES ("peer pid P uid U gid G is not allowed ..."), EINVAL (a datagram
// socket and a policy other than anyone(); no peer credentials), ENOTCONN. Man: unix(7).
[[nodiscard]] Result<PeerCredentials> verify_peer(const UnixSocket& socket,
                                                  const AccessPolicy& policy,
                                                  const UnixAddress& address);

// UnixSocket::connect_to(address, type), then verify_peer(): nothing has been sent when it
// returns, and a refused peer's connection is closed. Errors: those of connect_to() and
// verify_peer().
[[nodiscard]] Result<UnixSocket> connect_verified(const UnixAddress& address, SocketType type,
                                                  const AccessPolicy& policy);

}  // namespace ipckit::uds
