// Helpers shared by the test suite: unique names and keys (tests run in parallel, as root, on a
// machine that may hold other IPC objects), cleanup guards, and running code in a child process
// as an unprivileged user (root bypasses IPC permission checks).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <utility>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::test {

// A System V key that names no existing shm, sem or msg object right now. Callers still create
// with Exclusive::kYes, so a race with another creator fails loudly instead of sharing.
sysv::Key unique_key();

// "ipckit-test-<pid>-<counter>-<suffix>": unique across parallel test processes.
std::string unique_name(const std::string& suffix);

// The errno of a failed result, or 0 on success: the exit code of a test child.
template <class T>
int code_of(const Result<T>& r) {
  return r ? 0 : r.error().code();
}

// Runs `fn` in a forked child and returns its exit status (0..255), or 128+signal if it died of
// a signal. `fn`'s return value is the child's exit code. Uses _exit, so the child runs no
// atexit handlers or gtest teardown.
int run_in_child(const std::function<int()>& fn);

// Like run_in_child, but the child first drops to uid/gid 65534 (nobody/nogroup) with no
// supplementary groups. Returns 200 if dropping privileges failed.
int run_as_nobody(const std::function<int()>& fn);

// Calls a function when the scope ends, also when an ASSERT_* returns early.
template <class F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ~ScopeExit() {
    if (armed_) f_();
  }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  void dismiss() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

// The full path of `program` (e.g. "python3") in a directory of $PATH (/usr/bin:/bin when
// unset) where it is executable, or "" when there is none: a test then skips with a reason.
std::string find_on_path(const std::string& program);

// Number of open descriptors in this process (entries of /proc/self/fd, minus the one used to
// read it). Tests compare it before and after to prove nothing leaks.
int count_open_fds();

}  // namespace ipckit::test
