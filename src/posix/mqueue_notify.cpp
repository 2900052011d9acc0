#include "posix/mqueue_notify.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
// <linux/netlink.h> only for the protocol number; <linux/mqueue.h> would clash with <mqueue.h>.
#include <linux/netlink.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "ipckit/posix/mqueue.hpp"

namespace ipckit::posix {

namespace detail {

namespace {

// From <linux/mqueue.h>: the cookie's length and the values of its last byte.
constexpr std::size_t kCookieLen = 32;
constexpr unsigned char kNotifyWokenUp = 1;

void* notifier_main(void* arg) {
  auto* self = static_cast<MqNotifier*>(arg);
  std::array<pollfd, 2> fds{{{self->netlink.get(), POLLIN, 0}, {self->wake.get(), POLLIN, 0}}};
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return nullptr;
    }
    // A stop request wins over a notification that has not started its callback.
    if (fds[1].revents != 0) return nullptr;
    if ((fds[0].revents & POLLIN) != 0) {
      std::array<unsigned char, kCookieLen> cookie{};
      const ssize_t got = ::recv(self->netlink.get(), cookie.data(), cookie.size(), MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got != static_cast<ssize_t>(kCookieLen)) return nullptr;
      // NOTIFY_REMOVED: the registration was dropped (cancel, or a close in this process).
      if (cookie[kCookieLen - 1] != kNotifyWokenUp) return nullptr;
      self->armed.wait(false, std::memory_order_acquire);  // notify() has finished
      // The callback may re-arm, cancel or destroy the queue, which can free `self`: run a
      // moved-out copy and touch nothing of `self` afterwards.
      auto callback = std::move(self->callback);
      if (callback) callback();
      return nullptr;
    }
    if (fds[0].revents != 0) return nullptr;  // POLLERR/POLLHUP: the socket is unusable
  }
}

}  // namespace

bool MqNotifier::on_this_thread() const noexcept {
  return started && owner_pid == ::getpid() && ::pthread_equal(thread, ::pthread_self()) != 0;
}

MqNotifier::~MqNotifier() {
  if (!started || owner_pid != ::getpid()) return;  // no thread, or a forked child's copy
  if (on_this_thread()) {  // MessageQueue avoids this; the callback destroyed its own queue
    ::pthread_detach(thread);
    return;
  }
  const std::uint64_t one = 1;
  // An eventfd write of 1 cannot block or fail short; nothing useful to do if it failed.
  (void)!::write(wake.get(), &one, sizeof one);
  ::pthread_join(thread, nullptr);
}

Error mq_notify_error(int code, const std::string& name) {
  std::string why;
  if (code == EBUSY) {
    why =
        "the queue already has a notification registration (one per queue, from any process): "
        "cancel it, or wait for it to fire, first";
  }
  return Error(code, "mq_notify", name, std::move(why));
}

Result<std::unique_ptr<MqNotifier>> start_mq_notifier(int mqd, const std::string& name,
                                                      std::function<void()> callback) {
  auto n = std::make_unique<MqNotifier>();
  n->callback = std::move(callback);
  n->netlink.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!n->netlink) return fail_errno("socket(AF_NETLINK)", name);
  n->wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!n->wake) return fail_errno("eventfd", name);

  // The raw system call: glibc's mq_notify would take SIGEV_THREAD over with its own thread.
  std::array<unsigned char, kCookieLen> cookie{};  // copied by the kernel during the call
  sigevent ev{};
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_signo = n->netlink.get();
  ev.sigev_value.sival_ptr = cookie.data();
  if (::syscall(SYS_mq_notify, mqd, &ev) != 0) return std::unexpected(mq_notify_error(errno, name));

  // The thread starts with every signal blocked, so none is ever delivered to it.
  sigset_t all{};
  sigset_t old{};
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const int rc = ::pthread_create(&n->thread, nullptr, notifier_main, n.get());
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    ::syscall(SYS_mq_notify, mqd, nullptr);  // drop the registration nobody would serve
    return fail(rc, "pthread_create", name);
  }
  n->started = true;
  n->owner_pid = ::getpid();
  return n;
}

}  // namespace detail

}  // namespace ipckit::posix
