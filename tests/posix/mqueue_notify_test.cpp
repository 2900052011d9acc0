// MessageQueue::notify (ipckit's own SIGEV_THREAD), notify_signal and cancel_notify.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ipckit/posix/mqueue.hpp"
#include "posix/mqueue_test_support.hpp"

namespace ipckit::posix {
namespace {

using namespace std::chrono_literals;
using mqtest::code_of;
using mqtest::small;
using mqtest::unique_queue;
using mqtest::unlinked_at_exit;

// Counts callback runs; lets the test wait for the n-th one.
class Calls {
 public:
  void add() {
    {
      std::lock_guard lock(m_);
      ++n_;
    }
    cv_.notify_all();
  }
  bool wait_for(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, timeout, [&] { return n_ >= n; });
  }
  int count() {
    std::lock_guard lock(m_);
    return n_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_ = 0;
};

TEST(PosixMqueueNotify, ThreadCallbackRunsOnceWhenAMessageArrivesOnTheEmptyQueue) {
  const std::string name = unique_queue("notify");
  auto guard = unlinked_at_exit(name);
  Calls calls;  // declared before the queue: it must outlive the callback thread
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->notify([&] { calls.add(); }));
  ASSERT_TRUE(q->send("one"));
  EXPECT_TRUE(calls.wait_for(1, 5s));
  ASSERT_TRUE(q->send("two"));  // the registration is spent: no second call
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.count(), 1);
}

TEST(PosixMqueueNotify, SecondRegistrationFailsWithEbusyFromThisAndAnotherProcess) {
  const std::string name = unique_queue("ebusy");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->notify([] {}));
  auto again = q->notify([] {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), EBUSY);
  EXPECT_EQ(again.error().operation(), "mq_notify");
  EXPECT_EQ(code_of(q->notify_signal(SIGUSR1)), EBUSY);
  const int rc = test::run_in_child([&] {
    auto other = MessageQueue::open(name, MqAccess::kReadOnly);
    if (!other) return 1;
    return code_of(other->notify_signal(SIGUSR2)) == EBUSY ? 0 : 2;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PosixMqueueNotify, CancelStopsTheCallbackAndFreesTheQueueForAnotherProcess) {
  const std::string name = unique_queue("cancel");
  auto guard = unlinked_at_exit(name);
  Calls calls;  // declared before the queue: it must outlive the callback thread
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->notify([&] { calls.add(); }));
  ASSERT_TRUE(q->cancel_notify());
  const int rc = test::run_in_child([&] {
    auto other = MessageQueue::open(name, MqAccess::kReadOnly);
    if (!other) return 1;
    // Registers, then drops it again by exiting (the descriptor closes).
    return code_of(other->notify_signal(SIGUSR2));
  });
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(q->send("nobody is told"));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.count(), 0);
}

TEST(PosixMqueueNotify, CallbackCanReArmFromInsideItself) {
  const std::string name = unique_queue("rearm");
  auto guard = unlinked_at_exit(name);
  Calls calls;  // declared before the queue: it must outlive the callback thread
  std::function<void()> on_message;
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  on_message = [&] {
    while (true) {  // drain, so the next message finds the queue empty again
      auto m = q->try_receive();
      if (!m || !m->has_value()) break;
    }
    if (calls.count() == 0) (void)q->notify(on_message);
    calls.add();
  };
  ASSERT_TRUE(q->notify(on_message));
  ASSERT_TRUE(q->send("first"));
  ASSERT_TRUE(calls.wait_for(1, 5s));
  ASSERT_TRUE(q->send("second"));
  EXPECT_TRUE(calls.wait_for(2, 5s));
  ASSERT_TRUE(q->cancel_notify());
}

TEST(PosixMqueueNotify, CancelReturnsOnlyAfterARunningCallbackHasFinished) {
  const std::string name = unique_queue("cancelwait");
  auto guard = unlinked_at_exit(name);
  Calls started;
  std::atomic<bool> finished{false};
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->notify([&] {
    started.add();
    std::this_thread::sleep_for(100ms);
    finished = true;
  }));
  ASSERT_TRUE(q->send("go"));
  ASSERT_TRUE(started.wait_for(1, 5s));
  ASSERT_TRUE(q->cancel_notify());
  EXPECT_TRUE(finished.load());
}

TEST(PosixMqueueNotify, DestroyingTheHandleStopsItsNotifierAndLeaksNoDescriptor) {
  const std::string name = unique_queue("notifyfds");
  auto guard = unlinked_at_exit(name);
  const int before = test::count_open_fds();
  {
    auto q = MessageQueue::create(name, small());
    ASSERT_TRUE(q);
    ASSERT_TRUE(q->notify([] {}));
    EXPECT_EQ(test::count_open_fds(), before + 3);  // queue, netlink socket, eventfd
  }
  EXPECT_EQ(test::count_open_fds(), before);
  // The registration ended with the descriptor: a new handle may register.
  auto q = MessageQueue::open(name);
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->notify_signal(SIGUSR1));
}

// Linux quirk (documented in the header): closing ANY descriptor of the queue in the process
// holding the registration drops it.
TEST(PosixMqueueNotify, ClosingAnotherDescriptorOfTheQueueDropsTheRegistration) {
  const std::string name = unique_queue("quirk");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->notify_signal(SIGUSR1));
  EXPECT_EQ(code_of(q->notify_signal(SIGUSR1)), EBUSY);
  {
    auto second = MessageQueue::open(name, MqAccess::kReadOnly);
    ASSERT_TRUE(second);
  }
  EXPECT_TRUE(q->notify_signal(SIGUSR1));
}

TEST(PosixMqueueNotify, SignalNotificationArrivesWithSiMesgqAndTheValue) {
  const std::string name = unique_queue("signal");
  auto guard = unlinked_at_exit(name);
  ASSERT_TRUE(MessageQueue::create(name, small()));
  // In a child: it is single-threaded, so the blocked signal can only be taken by sigtimedwait.
  const int rc = test::run_in_child([&] {
    sigset_t usr1{};
    ::sigemptyset(&usr1);
    ::sigaddset(&usr1, SIGUSR1);
    if (::sigprocmask(SIG_BLOCK, &usr1, nullptr) != 0) return 10;
    auto q = MessageQueue::open(name);
    if (!q) return 1;
    if (!q->notify_signal(SIGUSR1, 4242)) return 2;
    if (!q->send("ping")) return 3;
    siginfo_t info{};
    const timespec limit{5, 0};
    if (::sigtimedwait(&usr1, &info, &limit) != SIGUSR1) return 4;
    if (info.si_code != SI_MESGQ) return 5;
    if (info.si_value.sival_int != 4242) return 6;
    if (info.si_pid != ::getpid()) return 7;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PosixMqueueNotify, BadSignalNumberFailsWithEinval) {
  const std::string name = unique_queue("badsig");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  EXPECT_EQ(code_of(q->notify_signal(0)), EINVAL);
  EXPECT_EQ(code_of(q->notify_signal(SIGRTMAX + 1)), EINVAL);
}

}  // namespace
}  // namespace ipckit::posix
