// handoff_worker_example: a complete worker for `ipckit handoff serve`, built on the public
// library (ipckit/handoff/worker.hpp) and the example sessions of this folder. Copy it.
//
//   handoff_worker_example --control ADDR (--echo | --smtp) [--name NAME] [--capacity N]
//
// It registers with the daemon at ADDR (a path or @name), prints one line
// "registered worker=W daemon_pid=P pid=PID" on stdout, then serves each client it is handed
// on a thread of its own, and tells the daemon done() when the session ends. When the daemon
// goes away it finishes the sessions it holds and exits 0; on any other error it prints
// "handoff_worker_example: <error>" and exits 1 (2 for a bad command line).
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "handoff/echo_session.hpp"
#include "handoff/smtp_session.hpp"
#include "ipckit/handoff/worker.hpp"

namespace {

constexpr const char* kUsage =
    "usage: handoff_worker_example --control ADDR (--echo | --smtp) [--name NAME] "
    "[--capacity N]\n";

struct Args {
  std::string control;
  bool echo = false;
  bool smtp = false;
  std::string name;
  std::uint32_t capacity = 64;
};

bool parse_args(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--echo") {
      args.echo = true;
    } else if (arg == "--smtp") {
      args.smtp = true;
    } else if (arg == "--control" && has_value) {
      args.control = argv[++i];
    } else if (arg == "--name" && has_value) {
      args.name = argv[++i];
    } else if (arg == "--capacity" && has_value) {
      const std::string_view value = argv[++i];
      const auto [end, ec] =
          std::from_chars(value.data(), value.data() + value.size(), args.capacity);
      if (ec != std::errc() || end != value.data() + value.size() || args.capacity == 0)
        return false;
    } else {
      return false;
    }
  }
  if (args.name.empty()) args.name = args.smtp ? "smtp" : "echo";
  return !args.control.empty() && args.echo != args.smtp;
}

// Counts the sessions still running, so that main() outlives them (they use the Worker).
class Sessions {
 public:
  void started() {
    const std::lock_guard lock(mutex_);
    ++running_;
  }
  void finished() {
    const std::lock_guard lock(mutex_);
    if (--running_ == 0) idle_.notify_all();
  }
  void wait_all() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return running_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  unsigned running_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);  // the sessions use MSG_NOSIGNAL; this covers everything else

  auto control = ipckit::uds::UnixAddress::parse(args.control);
  if (!control) {
    std::fprintf(stderr, "handoff_worker_example: %s\n", control.error().message().c_str());
    return 2;
  }
  auto worker = ipckit::handoff::Worker::connect(
      *control, ipckit::handoff::WorkerOptions{.name = args.name, .capacity = args.capacity});
  if (!worker) {
    std::fprintf(stderr, "handoff_worker_example: %s\n", worker.error().message().c_str());
    return 1;
  }
  std::printf("registered worker=%u daemon_pid=%d pid=%d\n", worker->worker_number(),
              static_cast<int>(worker->daemon_pid()), static_cast<int>(::getpid()));
  std::fflush(stdout);

  Sessions sessions;
  int status = 0;
  for (;;) {
    auto client = worker->accept();
    if (!client) {
      if (client.error().code() != ECONNRESET) {
        std::fprintf(stderr, "handoff_worker_example: %s\n", client.error().message().c_str());
        status = 1;
      }
      break;
    }
    sessions.started();
    std::thread([&worker, &sessions, &args, handed = std::move(*client)]() mutable {
      const std::uint64_t id = handed.info.id;
      if (args.smtp)
        handoff_example::run_smtp_session(std::move(handed.socket));
      else
        handoff_example::run_echo_session(std::move(handed.socket));
      (void)worker->done(id);  // fails only if the daemon is gone: nothing to tell
      sessions.finished();
    }).detach();
  }
  sessions.wait_all();
  return status;
}
