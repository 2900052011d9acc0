// MessageQueue against the kernel's limits: message size, msg_max, msgsize_max, the hard
// ceilings, queues_max and RLIMIT_MSGQUEUE. Each limit error must name what was hit and its value.
#include <fmt/core.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <string>

#include "ipckit/posix/mqueue.hpp"
#include "posix/mqueue_test_support.hpp"

namespace ipckit::posix {
namespace {

using mqtest::kSmall;
using mqtest::small;
using mqtest::unique_queue;
using mqtest::unlinked_at_exit;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

TEST(PosixMqueueLimits, SendLargerThanTheMessageSizeFailsWithEmsgsize) {
  const std::string name = unique_queue("emsgsize");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  const std::string big(static_cast<std::size_t>(kSmall.message_size) + 1, 'x');
  auto r = q->send(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EMSGSIZE);
  EXPECT_NE(r.error().message().find("message size of 64 bytes"), std::string::npos);
  auto t = q->try_send(bytes(big));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), EMSGSIZE);
}

TEST(PosixMqueueLimits, ReceiveIntoABufferSmallerThanTheMessageSizeFailsWithEmsgsize) {
  const std::string name = unique_queue("rcvbuf");
  auto guard = unlinked_at_exit(name);
  auto q = MessageQueue::create(name, small());
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->send("x"));
  std::array<std::byte, 63> too_small{};
  auto r = q->receive_into(too_small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EMSGSIZE);
  std::array<std::byte, 64> enough{};
  auto ok = q->receive_into(enough);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->size, 1u);
  EXPECT_EQ(enough[0], std::byte{'x'});
}

// Root has CAP_SYS_RESOURCE, which lifts msg_max and msgsize_max: ask as uid 65534.
TEST(PosixMqueueLimits, AboveMsgMaxOrMsgsizeMaxFailsWithEinvalNamingTheProcFileAsNobody) {
  auto sys = mqueue_system_limits();
  ASSERT_TRUE(sys) << sys.error().message();
  const std::string name = unique_queue("msgmax");
  auto guard = unlinked_at_exit(name);
  const int rc = test::run_as_nobody([&] {
    auto opts = small();
    opts.limits = MqLimits{.max_messages = sys->msg_max + 1, .message_size = 8};
    auto q = MessageQueue::create(name, opts);
    if (q) return 1;
    if (q.error().code() != EINVAL) return 2;
    const std::string want = fmt::format("/proc/sys/fs/mqueue/msg_max ({})", sys->msg_max);
    if (q.error().message().find(want) == std::string::npos) return 3;
    opts.limits = MqLimits{.max_messages = 1, .message_size = sys->msgsize_max + 1};
    q = MessageQueue::create(name, opts);
    if (q) return 4;
    if (q.error().code() != EINVAL) return 5;
    const std::string want2 = fmt::format("/proc/sys/fs/mqueue/msgsize_max ({})", sys->msgsize_max);
    if (q.error().message().find(want2) == std::string::npos) return 6;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PosixMqueueLimits, AboveTheHardCeilingFailsWithEinvalEvenForRoot) {
  const std::string name = unique_queue("hard");
  auto guard = unlinked_at_exit(name);
  auto opts = small();
  opts.limits = MqLimits{.max_messages = 65537, .message_size = 1};
  auto q = MessageQueue::create(name, opts);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code(), EINVAL);
  EXPECT_NE(q.error().message().find("HARD_MSGMAX"), std::string::npos) << q.error().message();
}

// RLIMIT_MSGQUEUE binds root too. The child lowers its own limit below one small queue.
TEST(PosixMqueueLimits, ExceedingRlimitMsgqueueFailsWithEmfileNamingTheLimit) {
  const std::string name = unique_queue("rlimit");
  auto guard = unlinked_at_exit(name);
  const int rc = test::run_in_child([&] {
    const rlimit tiny{1024, 1024};
    if (::setrlimit(RLIMIT_MSGQUEUE, &tiny) != 0) return 10;
    auto opts = small();
    opts.limits = MqLimits{.max_messages = 10, .message_size = 1024};
    auto q = MessageQueue::create(name, opts);
    if (q) return 1;
    if (q.error().code() != EMFILE) return 2;
    if (q.error().message().find("RLIMIT_MSGQUEUE (1024 bytes") == std::string::npos) return 3;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

// queues_max is per IPC namespace: the child makes its own, lowers the limit to 1 there, and
// drops to uid 65534 (root's CAP_SYS_RESOURCE would lift it). The namespace, and any queue in
// it, disappears with the child.
TEST(PosixMqueueLimits, ReachingQueuesMaxFailsWithEnospcNamingTheProcFile) {
  const int rc = test::run_in_child([] {
    if (::unshare(CLONE_NEWIPC) != 0) return 10;
    { std::ofstream("/proc/sys/fs/mqueue/queues_max") << 1; }
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
      return 11;
    }
    const std::string first = unique_queue("qmax1");
    const std::string second = unique_queue("qmax2");
    auto a = MessageQueue::create(first, small());
    if (!a) return 1;
    auto b = MessageQueue::create(second, small());
    (void)MessageQueue::unlink(first);
    if (b) {
      (void)MessageQueue::unlink(second);
      return 2;
    }
    if (b.error().code() != ENOSPC) return 3;
    if (b.error().message().find("/proc/sys/fs/mqueue/queues_max (1)") == std::string::npos) {
      return 4;
    }
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace ipckit::posix
