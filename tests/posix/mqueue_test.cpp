#include "ipckit/posix/mqueue.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "posix/mqueue_test_support.hpp"

namespace ipckit::posix {
namespace {

using namespace std::chrono_literals;
using mqtest::code_of;
using mqtest::kSmall;
using mqtest::small;
using mqtest::unique_queue;
using mqtest::unlinked_at_exit;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

TEST(PosixMqueue, CreateThenOpenSendsAndReceivesBytes) {
  const std::string name = unique_queue("roundtrip");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name.substr(1), small());  // "name" means "/name"
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_EQ(q->name(), name);
  EXPECT_TRUE(q->created());
  EXPECT_EQ(q->max_messages(), kSmall.max_messages);
  EXPECT_EQ(q->message_size(), kSmall.message_size);
  auto peer = MessageQueue::open(name, MqAccess::kReadOnly);
  ASSERT_TRUE(peer) << peer.error().message();
  EXPECT_FALSE(peer->created());
  ASSERT_TRUE(q->send("hello", 7));
  ASSERT_TRUE(q->send(""));
  auto m = peer->receive();
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->text(), "hello");
  EXPECT_EQ(m->priority, 7u);
  auto empty = peer->receive();
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->data.empty());
}

TEST(PosixMqueue, CreateExclusiveFailsWithEexistWhenNameExists) {
  const std::string name = unique_queue("eexist");
  auto guard = unlinked_at_exit(name);
  ASSERT_TRUE(MessageQueue::create(name, small()));
  auto again = MessageQueue::create(name, small());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), EEXIST);
  EXPECT_EQ(again.error().operation(), "mq_open");
  EXPECT_EQ(again.error().object(), name);
}

TEST(PosixMqueue, CreateNonExclusiveOpensTheExistingQueueWithItsLimits) {
  const std::string name = unique_queue("kno");
  auto guard = unlinked_at_exit(name);
  ASSERT_TRUE(MessageQueue::create(name, small()));
  auto opts = small();
  opts.exclusive = Exclusive::kNo;
  opts.limits = MqLimits{.max_messages = 2, .message_size = 16};
  auto q = MessageQueue::create(name, opts);
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_FALSE(q->created());
  EXPECT_EQ(q->max_messages(), kSmall.max_messages);
  EXPECT_EQ(q->message_size(), kSmall.message_size);
}

TEST(PosixMqueue, OpenFailsWithEnoentForAMissingQueue) {
  auto q = MessageQueue::open(unique_queue("missing"));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code(), ENOENT);
  auto u = MessageQueue::unlink(unique_queue("missing"));
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code(), ENOENT);
}

TEST(PosixMqueue, BadNamesFailWithEinvalOrEnametoolongBeforeAnySyscall) {
  for (const char* bad : {"", "/", "/a/b", "//a", ".", "/.."}) {
    auto q = MessageQueue::create(bad, small());
    ASSERT_FALSE(q) << "'" << bad << "'";
    EXPECT_EQ(q.error().code(), EINVAL) << "'" << bad << "'";
    EXPECT_EQ(q.error().operation(), "mq_open");
  }
  auto long_name = MessageQueue::open("/" + std::string(256, 'x'));
  ASSERT_FALSE(long_name);
  EXPECT_EQ(long_name.error().code(), ENAMETOOLONG);
  auto u = MessageQueue::unlink("/a/b");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code(), EINVAL);
}

TEST(PosixMqueue, CreateRejectsBadModeAndNonPositiveLimitsWithEinval) {
  const std::string name = unique_queue("badargs");
  auto guard = unlinked_at_exit(name);
  auto mode = MessageQueue::create(name, small(04600));
  ASSERT_FALSE(mode);
  EXPECT_EQ(mode.error().code(), EINVAL);
  auto opts = small();
  opts.limits = MqLimits{.max_messages = 0, .message_size = 64};
  auto limits = MessageQueue::create(name, opts);
  ASSERT_FALSE(limits);
  EXPECT_EQ(limits.error().code(), EINVAL);
  EXPECT_EQ(MessageQueue::open(name).error().code(), ENOENT);  // nothing was made
}

TEST(PosixMqueue, CreateAppliesTheModeExactlyWhateverTheUmask) {
  const std::string name = unique_queue("mode");
  auto guard = unlinked_at_exit(name);
  const mode_t old = ::umask(077);
  auto restore = test::ScopeExit([old] { ::umask(old); });
  auto q = MessageQueue::create(name, small(0646));
  ASSERT_TRUE(q) << q.error().message();
  struct stat st {};
  ASSERT_EQ(::fstat(q->fd().get(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0646u);
}

TEST(PosixMqueue, DescriptorIsCloseOnExec) {
  const std::string name = unique_queue("cloexec");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  auto r = MessageQueue::open(name, MqAccess::kReadOnly);
  ASSERT_TRUE(r);
  EXPECT_NE(::fcntl(q->fd().get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(r->fd().get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(PosixMqueue, DestroyingAndMovingHandlesLeaksNoDescriptor) {
  const std::string name = unique_queue("fds");
  auto guard = unlinked_at_exit(name);
  const int before = test::count_open_fds();
  {
    auto q = MessageQueue::create(name, small());
    ASSERT_TRUE(q);
    MessageQueue moved = std::move(*q);
    auto other = MessageQueue::open(name);
    ASSERT_TRUE(other);
    moved = std::move(*other);  // closes the first descriptor
    EXPECT_EQ(test::count_open_fds(), before + 1);
    EXPECT_TRUE(moved.send("still usable"));
  }
  EXPECT_EQ(test::count_open_fds(), before);
}

TEST(PosixMqueue, NobodyCannotOpenA0600QueueOfRootEacces) {
  const std::string name = unique_queue("perm");
  auto guard = unlinked_at_exit(name);
  ASSERT_TRUE(MessageQueue::create(name, small(0600)));
  const int rc = test::run_as_nobody([&] {
    return code_of(MessageQueue::open(name, MqAccess::kReadOnly)) == EACCES &&
                   code_of(MessageQueue::open(name, MqAccess::kWriteOnly)) == EACCES &&
                   code_of(MessageQueue::unlink(name)) == EACCES
               ? 0
               : 1;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PosixMqueue, ReadOnlyHandleCannotSendAndWriteOnlyCannotReceiveEbadf) {
  const std::string name = unique_queue("ebadf");
  auto guard = unlinked_at_exit(name);
  ASSERT_TRUE(MessageQueue::create(name, small()));
  auto r = MessageQueue::open(name, MqAccess::kReadOnly);
  auto w = MessageQueue::open(name, MqAccess::kWriteOnly);
  ASSERT_TRUE(r && w);
  EXPECT_EQ(code_of(r->send("x")), EBADF);
  EXPECT_EQ(code_of(w->try_receive()), EBADF);
}

TEST(PosixMqueue, UnlinkRemovesTheNameButOpenHandlesKeepWorking) {
  const std::string name = unique_queue("unlink");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  ASSERT_TRUE(MessageQueue::unlink(name));
  EXPECT_EQ(code_of(MessageQueue::open(name)), ENOENT);
  ASSERT_TRUE(q->send("after unlink"));
  auto m = q->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text(), "after unlink");
}

TEST(PosixMqueue, ReceivesTheHighestPriorityFirstAndInOrderWithinAPriority) {
  const std::string name = unique_queue("prio");
  auto guard = unlinked_at_exit(name);
  auto opts = small();
  opts.limits = MqLimits{.max_messages = 8, .message_size = 16};
  auto q = MessageQueue::create(name, opts);
  ASSERT_TRUE(q);
  const std::pair<const char*, unsigned> sent[] = {
      {"low", 1}, {"high-a", 5}, {"mid", 3}, {"high-b", 5}, {"zero", 0}, {"max", kMqPriorityMax}};
  for (const auto& [text, prio] : sent)
    ASSERT_TRUE(q->send(text, prio));
  for (const char* want : {"max", "high-a", "high-b", "mid", "low", "zero"}) {
    auto m = q->receive();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text(), want);
  }
}

TEST(PosixMqueue, PriorityAboveTheMaximumFailsWithEinval) {
  const std::string name = unique_queue("badprio");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  auto r = q->send("x", kMqPriorityMax + 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_NE(r.error().message().find("priority 32768"), std::string::npos);
}

TEST(PosixMqueue, SendForOnAFullQueueFailsWithEtimedoutAfterTheTimeout) {
  const std::string name = unique_queue("sendfor");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  for (long i = 0; i < kSmall.max_messages; ++i)
    ASSERT_TRUE(q->send("fill"));
  const auto start = std::chrono::steady_clock::now();
  auto r = q->send_for(bytes("late"), 0, 80ms);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_EQ(r.error().operation(), "mq_timedsend");
  EXPECT_GE(waited, 80ms);
  EXPECT_LT(waited, 5s);
  EXPECT_EQ(code_of(q->send_for(bytes("now"), 0, 0ms)), ETIMEDOUT);
  EXPECT_EQ(code_of(q->send_until(bytes("past"), 0, std::chrono::system_clock::now() - 1s)),
            ETIMEDOUT);
}

TEST(PosixMqueue, ReceiveForOnAnEmptyQueueFailsWithEtimedoutAfterTheTimeout) {
  const std::string name = unique_queue("rcvfor");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  const auto start = std::chrono::steady_clock::now();
  auto r = q->receive_for(60ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 60ms);
  ASSERT_TRUE(q->send("here", 2));
  auto m = q->receive_for(-5s);  // a message is there: even a negative timeout gets it
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->text(), "here");
  EXPECT_EQ(code_of(q->receive_until(std::chrono::system_clock::now() + 20ms)), ETIMEDOUT);
}

TEST(PosixMqueue, TrySendReportsFullAndTryReceiveReportsEmptyWithoutAnError) {
  const std::string name = unique_queue("try");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());  // a blocking handle
  ASSERT_TRUE(q);
  auto none = q->try_receive();
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_FALSE(none->has_value());
  for (long i = 0; i < kSmall.max_messages; ++i) {
    auto s = q->try_send(bytes("m"));
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, MqSendResult::kSent);
  }
  auto full = q->try_send(bytes("one too many"));
  ASSERT_TRUE(full) << full.error().message();
  EXPECT_EQ(*full, MqSendResult::kFull);
  auto some = q->try_receive();
  ASSERT_TRUE(some && some->has_value());
  EXPECT_EQ((*some)->text(), "m");
}

TEST(PosixMqueue, NonBlockingHandleFailsWithEagainWhenEmptyOrFull) {
  const std::string name = unique_queue("nonblock");
  auto guard = unlinked_at_exit(name);
  auto opts = small();
  opts.blocking = MqBlocking::kNonBlock;
  auto q = MessageQueue::create(name, opts);
  ASSERT_TRUE(q);
  auto attrs = q->attributes();
  ASSERT_TRUE(attrs);
  EXPECT_TRUE(attrs->nonblocking);
  EXPECT_EQ(code_of(q->receive()), EAGAIN);
  for (long i = 0; i < kSmall.max_messages; ++i)
    ASSERT_TRUE(q->send("m"));
  EXPECT_EQ(code_of(q->send("m")), EAGAIN);
  auto full = q->try_send(bytes("m"));
  ASSERT_TRUE(full);
  EXPECT_EQ(*full, MqSendResult::kFull);
  EXPECT_EQ(code_of(q->send_for(bytes("m"), 0, 1s)), EAGAIN);  // returns at once
}

TEST(PosixMqueue, SetNonblockingChangesWhatAttributesReport) {
  const std::string name = unique_queue("setattr");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->send("a"));
  auto a = q->attributes();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->max_messages, kSmall.max_messages);
  EXPECT_EQ(a->message_size, kSmall.message_size);
  EXPECT_EQ(a->messages, 1);
  EXPECT_FALSE(a->nonblocking);
  ASSERT_TRUE(q->set_nonblocking(true));
  EXPECT_TRUE(q->attributes()->nonblocking);
  ASSERT_TRUE(q->receive());
  EXPECT_EQ(code_of(q->receive()), EAGAIN);
  ASSERT_TRUE(q->set_nonblocking(false));
  EXPECT_FALSE(q->attributes()->nonblocking);
}

TEST(PosixMqueue, PollReportsPollinWhileAMessageIsQueuedAndPolloutWhileThereIsRoom) {
  const std::string name = unique_queue("poll");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  pollfd p{q->fd().get(), POLLIN | POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLOUT);
  ASSERT_TRUE(q->send("ready"));
  ASSERT_EQ(::poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLIN | POLLOUT);
  for (long i = 1; i < kSmall.max_messages; ++i)
    ASSERT_TRUE(q->send("fill"));
  ASSERT_EQ(::poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLIN);
}

TEST(PosixMqueue, EpollWaitReportsTheQueueReadableWhenAMessageArrives) {
  const std::string name = unique_queue("epoll");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  ASSERT_TRUE(ep.valid());
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = q->fd().get();
  ASSERT_EQ(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, q->fd().get(), &ev), 0);
  epoll_event out{};
  EXPECT_EQ(::epoll_wait(ep.get(), &out, 1, 0), 0);
  std::thread sender([&] {
    std::this_thread::sleep_for(20ms);
    (void)q->send("wake");
  });
  const int n = ::epoll_wait(ep.get(), &out, 1, 5000);
  sender.join();
  ASSERT_EQ(n, 1);
  EXPECT_EQ(out.data.fd, q->fd().get());
  EXPECT_NE(out.events & EPOLLIN, 0u);
}

TEST(PosixMqueue, BlockedReceiveReturnsWhenAnotherProcessSends) {
  const std::string name = unique_queue("xproc");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::this_thread::sleep_for(30ms);
    auto w = MessageQueue::open(name, MqAccess::kWriteOnly);
    ::_exit(w && w->send("from the child", 9) ? 0 : 1);
  }
  auto m = q->receive();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->text(), "from the child");
  EXPECT_EQ(m->priority, 9u);
}

}  // namespace
}  // namespace ipckit::posix
