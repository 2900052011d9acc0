// A forked child process owned by a test, and polling for a condition with a deadline.
#pragma once

#include <grp.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

namespace ipckit::test {

// The uid and gid a child drops to with `as_nobody` (nobody/nogroup on Debian).
inline constexpr uid_t kNobody = 65534;

// A forked child running `fn` (its return value is the exit code; 250 if it throws). With
// `as_nobody` the child first drops to uid/gid kNobody with no supplementary groups (exit 200
// if it cannot): root bypasses IPC permission checks. The destructor SIGKILLs and reaps a child
// still running, so a failed ASSERT never leaves a process behind.
class Child {
 public:
  explicit Child(const std::function<int()>& fn, bool as_nobody = false) {
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (as_nobody &&
          (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0)) {
        ::_exit(200);
      }
      int code = 250;
      try {
        code = fn();
      } catch (...) {
      }
      ::_exit(code);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      (void)wait(std::chrono::seconds(10));
    }
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // Exit code, 128 + signal, or -1 if it is still running after `timeout`.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      }
      if (r < 0 || std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Polls `pred` until it holds or `timeout` passes. The default is generous on purpose: it bounds
// a stuck test, and a loaded machine or a sanitizer build only makes the wait longer.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace ipckit::test
