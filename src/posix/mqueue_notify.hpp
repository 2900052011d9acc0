// Internal: the thread behind MessageQueue::notify(). Not installed.
//
// glibc implements SIGEV_THREAD for mq_notify with a hidden helper thread created inside libc,
// which sanitizers cannot see (ThreadSanitizer crashes on it) and which nobody can join. ipckit
// speaks the kernel's protocol itself (mq_notify(2) with SIGEV_THREAD: sigev_signo is a netlink
// socket, sigev_value.sival_ptr a 32-byte cookie that the kernel sends to that socket, its last
// byte set to NOTIFY_WOKENUP when the notification fires or NOTIFY_REMOVED when the registration
// is dropped) and runs the callback on a thread of its own, one per registration.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::posix::detail {

struct MqNotifier {
  Fd netlink;                      // receives the kernel's cookie
  Fd wake;                         // eventfd: written to stop the thread
  std::function<void()> callback;  // moved out by the thread just before it runs
  pthread_t thread{};
  pid_t owner_pid = 0;  // the process that started the thread (a forked child has no thread)
  bool started = false;
  // Set by MessageQueue::notify() once the handle holds this notifier; the thread waits for it
  // before running the callback, so everything notify()'s caller did before notify() returned
  // happens-before the callback, also for ThreadSanitizer (which cannot see the ordering the
  // kernel gives through mq_send and the netlink socket), and a callback that re-arms finds
  // the handle complete.
  std::atomic<bool> armed{false};

  // True when called on this notifier's own thread (that is, from its callback).
  [[nodiscard]] bool on_this_thread() const noexcept;

  // Publishes the notifier to its thread. Call once, after storing it in the handle.
  void arm() noexcept {
    armed.store(true, std::memory_order_release);
    armed.notify_all();
  }

  MqNotifier() = default;
  MqNotifier(const MqNotifier&) = delete;
  MqNotifier& operator=(const MqNotifier&) = delete;
  // Wakes the thread and joins it (it may be running the callback: that is waited for); from
  // the thread itself (the callback dropped its own registration), detaches it instead.
  ~MqNotifier();
};

// mq_notify(2) with SIGEV_THREAD on `mqd` for a new notifier running `callback`; `name` is for
// errors. Returns the started notifier. Errors: as MessageQueue::notify().
[[nodiscard]] Result<std::unique_ptr<MqNotifier>> start_mq_notifier(int mqd,
                                                                    const std::string& name,
                                                                    std::function<void()> callback);

// The Error for a failed mq_notify registration (errno `code`), with EBUSY explained.
[[nodiscard]] Error mq_notify_error(int code, const std::string& name);

}  // namespace ipckit::posix::detail
