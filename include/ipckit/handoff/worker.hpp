// ipckit::handoff::Worker: the worker side of a handoff daemon: connect to its control socket,
// register, and receive clients' connected TCP sockets with their metadata.
//
// Delivery: accept() receives a client's descriptor and acknowledges it to the daemon before it
// returns; from that moment the client is this worker's (docs/handoff.md "Delivery"). A worker
// that dies before acknowledging leaves the client to the daemon, which hands it to another
// worker. done(id) tells the daemon a client is finished, returning one unit of capacity; a
// worker that never calls done() stops receiving clients once `capacity` are outstanding.
//
// The daemon is checked before anything is sent: its SO_PEERCRED must satisfy
// WorkerOptions::daemon_policy (default: same user for an abstract name, which anyone could squat;
// anyone for a path, whose permissions already decide).
//
// Peer death: when the daemon exits, accept() fails with ECONNRESET; the clients already accepted
// stay open and are this process's to finish.
// Fork: a child that inherits a Worker shares its connection; use it from one process only.
// Thread safety: accept() from one thread at a time; done() may be called from any thread
// (each is one atomic seqpacket send).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/core/timeout.hpp"
#include "ipckit/handoff/client_info.hpp"
#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/socket.hpp"

namespace ipckit::handoff {

struct WorkerOptions {
  std::string name = "worker";  // 1-64 printable ASCII characters
  std::uint32_t capacity = 64;  // clients held at once; >= 1
  // Which daemon to trust. Empty: same_user() for abstract names, anyone() for paths.
  std::optional<uds::AccessPolicy> daemon_policy{};
  Timeout register_timeout = std::chrono::seconds(10);  // for the daemon's "registered" reply
};

// One client handed over.
struct HandedClient {
  Fd socket;  // the client's connected TCP socket (blocking, close-on-exec); caller owns it
  ClientInfo info;
};

class Worker {
 public:
  // connect_verified(SOCK_SEQPACKET) + register + wait for "registered".
  // Returns: a registered worker. Errors: those of connect_verified (ENOENT, ECONNREFUSED,
  // EACCES: the daemon is not allowed), EINVAL (bad name or capacity; nothing is connected),
  // EPERM (the daemon refused this worker; the detail is its reason, e.g. "uid 1000 is not
  // allowed"), ECONNRESET (the daemon closed the connection without a reply: a listener may close
  // a peer its policy refuses without saying why), ETIMEDOUT (no reply within register_timeout,
  // counted from the call), EPROTO (a reply other than "registered"/"refused").
  [[nodiscard]] static Result<Worker> connect(const uds::UnixAddress& control,
                                              WorkerOptions options = {});

  Worker(Worker&&) noexcept;
  Worker& operator=(Worker&&) noexcept;
  ~Worker();

  // Waits (up to `timeout`) for the next client, receives its descriptor, sends the ack, then
  // clears O_NONBLOCK on the descriptor (not before: the flag is shared with the daemon's copy
  // until the daemon reads the ack and closes it).
  // Returns: the client. Errors: ETIMEDOUT, ECONNRESET (the daemon closed or died, or sent
  // "refused": it closes next; also when the ack cannot be sent: the client stays the daemon's
  // and its descriptor is closed here), EPROTO (a malformed message, a "client" without exactly
  // one descriptor, another op; every descriptor received is closed and no ack is sent; the
  // connection is out of step: drop this Worker). EINTR is retried against the same deadline.
  [[nodiscard]] Result<HandedClient> accept(Timeout timeout = kForever);

  // Tells the daemon client `id` is finished. Errors: ECONNRESET (the daemon is gone: nothing to
  // tell), EAGAIN never (blocks until sent).
  [[nodiscard]] Result<void> done(std::uint64_t id);

  [[nodiscard]] std::uint32_t worker_number() const noexcept;
  [[nodiscard]] pid_t daemon_pid() const noexcept;
  // The control connection, for a caller's own poll(2) loop: readable means accept() will not
  // block for long (a message or the daemon's close is pending).
  [[nodiscard]] FdView fd() const noexcept;

 private:
  struct State;
  explicit Worker(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ipckit::handoff
