// Helpers shared by the POSIX message queue tests.
#pragma once

#include <string>

#include "ipckit/posix/mqueue.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::posix::mqtest {

// "/ipckit-test-<pid>-<n>-<suffix>": a queue name no other test process uses.
inline std::string unique_queue(const std::string& suffix) {
  return "/" + test::unique_name(suffix);
}

// Unlinks `name` when the scope ends, also when an assertion returns early.
inline auto unlinked_at_exit(std::string name) {
  return test::ScopeExit([name] { (void)MessageQueue::unlink(name); });
}

// Small queues: every root test process shares root's RLIMIT_MSGQUEUE (819200 bytes), and the
// kernel defaults (10 x 8192) would let only ~9 queues exist at once across parallel tests.
inline constexpr MqLimits kSmall{.max_messages = 4, .message_size = 64};

inline MqCreateOptions small(mode_t mode = 0600) {
  return MqCreateOptions{.mode = mode, .limits = kSmall};
}

// The errno of a failed result, or 0 on success: the exit code of a test child.
template <class T>
int code_of(const Result<T>& r) {
  return r ? 0 : r.error().code();
}

}  // namespace ipckit::posix::mqtest
