#include "cli/signals.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <utility>

namespace ipckit::cli {

namespace {

constexpr std::array kStopSignals{SIGINT, SIGTERM, SIGHUP};
// Written by the handler on whichever thread the signal lands on, read by any thread (the
// bridge's watcher polls it beside the engine): a lock-free atomic, which is async-signal-safe
// and, unlike volatile sig_atomic_t, ordered across threads.
std::atomic<int> g_caught{0};
static_assert(std::atomic<int>::is_always_lock_free);
int g_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int signo) {
  const int saved = errno;
  int none = 0;
  (void)g_caught.compare_exchange_strong(none, signo);
  const char byte = 1;
  (void)!::write(g_pipe[1], &byte, 1);  // non-blocking: a full pipe is awake enough
  errno = saved;
}

}  // namespace

Result<void> StopSignals::install() {
  if (g_pipe[0] >= 0) return {};
  if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return fail_errno("pipe2", "stop signals");
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked write(2) returns EINTR and sees the stop
  for (int signo : kStopSignals) {
    if (::sigaction(signo, &action, nullptr) != 0) {
      return fail_errno("sigaction", ::strsignal(signo));
    }
  }
  return {};
}

FdView StopSignals::fd() noexcept {
  return FdView(g_pipe[0]);
}

int StopSignals::caught() noexcept {
  return g_caught.load();
}

Error StopSignals::stopped(std::string operation, std::string object) {
  return Error(EINTR, std::move(operation), std::move(object),
               fmt::format("stopped by SIG{}", sigabbrev_np(caught())));
}

void StopSignals::reraise_if_caught() {
  const int signo = caught();
  if (signo == 0) return;
  std::fflush(stdout);
  std::signal(signo, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  (void)::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  (void)::raise(signo);
}

}  // namespace ipckit::cli
