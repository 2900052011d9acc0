// ipckit::handoff::Server: the handoff daemon's engine (`ipckit handoff serve` is a thin shell
// over it). It accepts TCP clients, screens them (config.hpp Screening), and hands each one that
// passes to a registered worker over the control socket (protocol.hpp), keeping its own copy of
// the descriptor until the worker acknowledges it (docs/handoff.md "Delivery").
//
// One thread, one epoll loop: every socket is non-blocking, so one slow or stuck worker or client
// never blocks the others. Every send uses MSG_NOSIGNAL and run() ignores SIGPIPE for the process
// (a daemon must not die of a closed log pipe either).
//
// Faults: a worker whose control connection closes, fails, sends a malformed message or leaves a
// descriptor unacknowledged for WorkerRules::ack_timeout is dropped; the clients it had not
// acknowledged go to other workers (redispatched), the ones it had acknowledged are its own. A
// client that hangs up while screened or waiting is closed and counted (client_gone).
//
// Workers: the control socket lets every peer connect and the engine judges it by SO_PEERCRED
// against the *running* WorkerRules::policy (a reload may widen or narrow it; registered workers
// it no longer allows are retired: no new clients, kept until they close). A peer outside the
// policy is answered {"op":"refused","reason":"uid U gid G is not allowed"} to its first message
// and closed (counted workers_refused); a peer that sends neither register nor stats within
// ack_timeout is refused the same way.
//
// Out of descriptors (EMFILE/ENFILE on accept): accepting pauses for 100 ms (logged) instead of
// spinning; the kernel's backlog holds the clients meanwhile.
//
// Descriptors: the daemon holds one descriptor per listener, one per control connection, one per
// client it has not yet seen acknowledged, plus epoll/timer/signal descriptors; nothing else.
//
// Fork: do not fork a process while run() is running in it (the child would share the epoll set).
// Thread safety: run() on one thread; request_stop() and request_reload() from any thread or from
// a signal handler (each writes an eventfd).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/handoff/config.hpp"
#include "ipckit/handoff/stats.hpp"
#include "ipckit/net/inet_address.hpp"
#include "ipckit/net/socket_activation.hpp"
#include "ipckit/unix/address.hpp"

namespace ipckit::handoff {

struct RunOptions {
  // Block SIGTERM, SIGINT and SIGHUP in the calling thread and take them through a signalfd:
  // SIGTERM/SIGINT stop (as request_stop), SIGHUP reloads (as request_reload). Off: only the
  // request_*() calls do (tests, embedding).
  bool handle_signals = true;
  // Called on each reload; returns the new configuration (its screening and workers parts are
  // applied; a changed listen or control address is logged and ignored). An error is logged and
  // the running configuration is kept. Empty: a reload re-applies nothing and is logged.
  std::function<Result<Config>()> reload;
  // Where the structured log goes: one line per event (Config::log_format, log_level;
  // docs/handoff.md "Logging"), each one write(2). The `listening` lines (one per listener,
  // then the control address) are written at the start of run() whatever the level. Invalid
  // (-1): no log. The descriptor must stay open while run() runs; a blocking one that stops
  // draining (a full pipe) stalls the daemon.
  FdView log = FdView(2);
  // Called once on the loop's thread when a stop begins (before the grace period), e.g. to send
  // systemd STOPPING=1. Must not throw. Empty: nothing.
  std::function<void()> on_stop;
};

class Server {
 public:
  // Binds config.listen (TCP) and config.control (SOCK_SEQPACKET UnixListener, mode
  // config.control_mode or 0600 for a path), or takes them from `activated`: a socket named
  // "control" becomes the control socket, every other one a TCP listener (then config.listen
  // must be empty). Nothing is accepted until run().
  // Errors: EINVAL (validate()), those of TcpListener::bind/adopt and UnixListener::bind
  // (EADDRINUSE names the address).
  [[nodiscard]] static Result<Server> start(Config config,
                                            std::vector<net::ActivatedSocket> activated = {});

  Server(Server&&) noexcept;
  Server& operator=(Server&&) noexcept;
  ~Server();  // closes every descriptor the server holds (clients included)

  // The event loop, until a stop is requested; then it stops accepting (closes the listeners),
  // lets clients being screened, waiting or in flight finish for Config::grace_period, closes
  // what is left (counted as rejected "shutdown"), closes the control connections and the
  // control socket (removing a path socket's file) and returns. Workers may still register
  // during the grace period and take the clients that are left.
  // REQUIRES: called once per Server (the sockets are closed when it returns).
  // Returns: nothing after a clean stop. Errors: only for a failure of the loop itself
  // (epoll_wait other than EINTR); the server is then unusable.
  [[nodiscard]] Result<void> run(RunOptions options = {});

  // Async-signal-safe; may be called before run() (run then stops at once).
  void request_stop() noexcept;
  void request_reload() noexcept;

  // The listeners' bound addresses (port 0 resolved), in config order then activation order.
  [[nodiscard]] const std::vector<net::InetAddress>& listening() const noexcept;
  [[nodiscard]] const uds::UnixAddress& control() const noexcept;
  // A snapshot of the counters. Only from the thread running run(), or when run() is not running.
  [[nodiscard]] Stats stats() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ipckit::handoff
