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
// Thread safety: a plain value; allows() is const and may be called from any thread.
#pragma once

#include <sys/types.h>

#include <functional>
#include <initializer_list>
#include <set>
#include <string>

#include "ipckit/unix/address.hpp"
#include "ipckit/unix/credentials.hpp"

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

}  // namespace ipckit::uds
