// Shared helpers for tour steps: scope guards, forked children that are always reaped, pipes
// that carry a child's findings back, and uniform reporting of failures.
#pragma once

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "cli/output.hpp"
#include "ipckit/core/error.hpp"
#include "tour/tour.hpp"

namespace ipckit::tour {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Runs `f` when the scope ends, whichever way it ends.
template <class F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ~ScopeExit() { f_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  F f_;
};

// Records a failed check naming the error, and returns false for the step to return.
inline bool failed(Tour& t, std::string_view what, const Error& e) {
  t.check(false, fmt::format("{}: {}", what, e.message()));
  return false;
}

// An observed value printed under a t.show() line, e.g. a row of an ipcs-like table.
inline void output(std::string_view line) {
  cli::out("      {}\n", line);
}

// A forked child process. The destructor kills and reaps it if it is still running, so no step
// leaves a process behind.
class Child {
 public:
  // fork(2): runs `fn` in the child, which exits with its return value (99 if it throws). Stdio
  // buffers are flushed first so that nothing is printed twice. Returns false if fork failed.
  template <class F>
  bool start(F fn) {
    std::fflush(stdout);
    std::fflush(stderr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int rc = 99;
      try {
        rc = fn();
      } catch (...) {
      }
      ::_exit(rc);  // no atexit handlers, no destructors of the parent's objects
    }
    return pid_ > 0;
  }

  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
  }
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }

  // waitpid(WNOHANG): true once the child has exited (its status is then in status()).
  bool exited() {
    if (pid_ <= 0) return true;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) {
      status_ = r == pid_ ? st : -1;
      pid_ = -1;
      return true;
    }
    return false;
  }

  // waitpid: blocks until the child has exited. Returns its exit code, or -1 if it was killed
  // by a signal (or could not be waited for).
  int wait() {
    while (pid_ > 0) {
      int st = 0;
      pid_t r = ::waitpid(pid_, &st, 0);
      if (r < 0 && errno == EINTR) continue;
      status_ = r == pid_ ? st : -1;
      pid_ = -1;
    }
    return exit_code();
  }

  // Kills the child if it has not exited within `limit`; then as wait().
  int wait_for(milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!exited() && Clock::now() < deadline)
      ::usleep(1000);
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    return wait();
  }

  [[nodiscard]] int exit_code() const {
    return status_ >= 0 && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// A pipe whose ends close when it goes away. Carries a child's findings back to the tour.
class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) fds_[0] = fds_[1] = -1;
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  [[nodiscard]] bool ok() const { return fds_[0] >= 0; }
  void close_read() { close_fd(fds_[0]); }
  void close_write() { close_fd(fds_[1]); }

  // Writes all of `text`; returns false on error.
  bool put(std::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::write(fds_[1], text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until end of file (every writer closed its end).
  std::string get_all() {
    std::string out;
    char buf[256];
    for (;;) {
      ssize_t n = ::read(fds_[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int fds_[2];
};

inline std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

}  // namespace ipckit::tour
