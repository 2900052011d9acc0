// `ipckit handoff worker --control ADDR (--echo | --smtp) [--name N] [--capacity N]`: one of the
// two example workers (examples/handoff/, linked, not copied) as a command. It registers with the
// daemon, prints "registered worker=W daemon_pid=P pid=PID" on stdout, and serves each client it
// is handed on a thread of its own, telling the daemon done() when the session ends.
//
// Ends (docs/handoff.md "Exit codes"):
//   - SIGTERM/SIGINT: stops taking clients, shuts down the sessions in progress (their clients
//     see the connection close), exit 0;
//   - the daemon goes away: one line on stderr, the sessions in progress are finished, exit 3
//     (kExitPeerGone: the process at the other end left), so a unit with Restart=on-failure
//     comes back and registers with the next daemon;
//   - it cannot register (no daemon, refused): one line, exit 1.
#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/signals.hpp"
#include "cli/values.hpp"
#include "handoff/echo_session.hpp"
#include "handoff/handoff_verbs.hpp"
#include "handoff/smtp_session.hpp"
#include "ipckit/handoff/worker.hpp"
#include "ipckit/unix/address.hpp"

namespace ipckit::cli::handoff {

namespace {

constexpr std::string_view kWorker = "handoff worker";

struct WorkerFlags {
  std::string control;
  bool echo = false;
  bool smtp = false;
  std::string name;
  std::uint32_t capacity = 64;
  std::vector<uid_t> daemon_uids;
};

// The sessions running on their threads: a duplicate of each client's descriptor (so a stop can
// shut the connection down without racing the session's own close), and a count to wait for.
class Sessions {
 public:
  void started(std::uint64_t id, Fd copy) {
    const std::lock_guard lock(mutex_);
    clients_.emplace(id, std::move(copy));
  }
  void finished(std::uint64_t id) {
    const std::lock_guard lock(mutex_);
    clients_.erase(id);  // closes the duplicate
    if (clients_.empty()) idle_.notify_all();
  }
  // Every session's client sees the connection close; their reads and writes fail, so they end.
  void shut_down_all() {
    const std::lock_guard lock(mutex_);
    for (const auto& [id, fd] : clients_)
      ::shutdown(fd.get(), SHUT_RDWR);
  }
  void wait_all() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return clients_.empty(); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::map<std::uint64_t, Fd> clients_;
};

// Waits until the control connection is readable (true) or a stop signal arrived (false).
Result<bool> wait_for_client(const ::ipckit::handoff::Worker& worker) {
  for (;;) {
    pollfd fds[2] = {{worker.fd().get(), POLLIN, 0}, {StopSignals::fd().get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll", "control connection");
    }
    if (fds[1].revents != 0 || StopSignals::caught() != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

int run_worker(const WorkerFlags& f) {
  auto control = control_address(kWorker, f.control);
  if (!control) return kExitDaemonUsage;
  if (auto r = StopSignals::install(); !r) return report(kWorker, r.error());
  const std::string name = !f.name.empty() ? f.name : f.smtp ? "smtp" : "echo";
  auto worker = ::ipckit::handoff::Worker::connect(
      *control,
      ::ipckit::handoff::WorkerOptions{
          .name = name, .capacity = f.capacity, .daemon_policy = daemon_policy(f.daemon_uids)});
  if (!worker) {
    // EINVAL is a name the protocol refuses: a bad command line.
    if (worker.error().code() == EINVAL) {
      warn("{}: --name: invalid value '{}' (1-64 printable characters)", kWorker,
           escape_controls(name));
      return kExitDaemonUsage;
    }
    (void)report(kWorker, worker.error());
    return kExitFailure;
  }
  out("registered worker={} daemon_pid={} pid={}\n", worker->worker_number(), worker->daemon_pid(),
      ::getpid());
  std::fflush(stdout);

  Sessions sessions;
  int status = kExitOk;
  for (;;) {
    auto ready = wait_for_client(*worker);
    if (!ready) {
      status = report(kWorker, ready.error());
      break;
    }
    if (!*ready) {  // SIGTERM/SIGINT
      sessions.shut_down_all();
      break;
    }
    auto client = worker->accept(std::chrono::seconds(10));
    if (!client) {
      if (client.error().code() == ETIMEDOUT) continue;
      if (client.error().code() == ECONNRESET) {
        warn("{}: the daemon went away ({}); finishing the sessions in progress", kWorker,
             client.error().message());
        status = kExitPeerGone;
      } else {
        status = report(kWorker, client.error());
      }
      break;
    }
    const std::uint64_t id = client->info.id;
    Fd copy(::fcntl(client->socket.get(), F_DUPFD_CLOEXEC, 0));
    sessions.started(id, std::move(copy));
    // The session thread starts with the stop signals blocked (a thread inherits its creator's
    // mask), so they always reach this thread's poll() and never interrupt a session's I/O.
    sigset_t stops;
    sigemptyset(&stops);
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
      sigaddset(&stops, sig);
    sigset_t previous;
    ::pthread_sigmask(SIG_BLOCK, &stops, &previous);
    std::thread([&worker, &sessions, smtp = f.smtp, id,
                 socket = std::move(client->socket)]() mutable {
      if (smtp) {
        handoff_example::run_smtp_session(std::move(socket));
      } else {
        handoff_example::run_echo_session(std::move(socket));
      }
      (void)worker->done(id);  // fails only when the daemon is gone: nothing to tell it
      sessions.finished(id);
    }).detach();
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  sessions.wait_all();
  return status;
}

}  // namespace

Verb add_worker(CLI::App& handoff) {
  auto f = std::make_shared<WorkerFlags>();
  auto* app = handoff.add_subcommand(
      "worker",
      "Run an example worker: register with a daemon and serve the clients it hands over");
  add_control_option(*app, f->control);
  auto* echo = app->add_flag("--echo", f->echo, "Echo each line back (\"PID\" answers the pid)");
  auto* smtp = app->add_flag("--smtp", f->smtp, "A minimal SMTP server that discards the mail");
  echo->excludes(smtp);
  app->add_option("--name", f->name, "The name in the daemon's stats (default: echo or smtp)")
      ->type_name("NAME");
  app->add_option("--capacity", f->capacity, "Clients served at once")
      ->check(unsigned_validator(1, 1'000'000))
      ->type_name("N");
  add_daemon_uid_option(*app, f->daemon_uids);
  return {app, [f] {
            if (!f->echo && !f->smtp) {
              (void)usage_error("ipckit handoff worker", "--echo or --smtp is required");
              return kExitDaemonUsage;
            }
            return run_worker(*f);
          }};
}

}  // namespace ipckit::cli::handoff
