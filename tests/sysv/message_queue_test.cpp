#include "ipckit/sysv/message_queue.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/ipc_test_support.hpp"

namespace ipckit::sysv {
namespace {

using namespace std::chrono_literals;
using test::ScopeExit;

// Removes `q` when the scope ends, also when an assertion returns early.
auto removed_at_exit(MessageQueue q) {
  return ScopeExit([q] { (void)q.remove(); });
}

using test::code_of;

bool is_einval_or_eidrm(int code) {
  return code == EINVAL || code == EIDRM;
}

Result<MessageQueue> make_private() {
  return MessageQueue::create(Key::private_key());
}

std::size_t queued(const MessageQueue& q) {
  auto st = q.stat();
  return st ? st->messages : ~std::size_t{0};
}

constexpr ReceiveOptions kNoWait{.wait = Wait::kNoWait};

ReceiveOptions no_wait_type(long type, bool except = false) {
  return {.type = type, .except = except, .wait = Wait::kNoWait};
}

TEST(SysvMessageQueue, SendThenReceiveRoundTripsTypeAndBytes) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  const std::array<std::byte, 5> data{std::byte{1}, std::byte{0}, std::byte{0xff}, std::byte{0},
                                      std::byte{7}};
  ASSERT_TRUE(q->send(42, data));
  auto m = q->receive();
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type, 42);
  EXPECT_EQ(m->data, std::vector<std::byte>(data.begin(), data.end()));
}

TEST(SysvMessageQueue, SendTextAndEmptyMessagesRoundTrip) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->send(1, "hello"));
  ASSERT_TRUE(q->send(2, ""));
  auto hello = q->receive();
  auto empty = q->receive();
  ASSERT_TRUE(hello && empty);
  EXPECT_EQ(hello->text(), "hello");
  EXPECT_EQ(empty->type, 2);
  EXPECT_TRUE(empty->data.empty());
}

TEST(SysvMessageQueue, CreateExclusiveFailsWithEexistWhenKeyExists) {
  const Key key = test::unique_key();
  auto first = MessageQueue::create(key);
  ASSERT_TRUE(first) << first.error().message();
  auto guard = removed_at_exit(*first);
  auto second = MessageQueue::create(key);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EEXIST);
  EXPECT_EQ(second.error().message(), "msgget(" + key.describe() + "): File exists");
}

TEST(SysvMessageQueue, CreateNonExclusiveAndOpenFindTheExistingQueue) {
  const Key key = test::unique_key();
  auto first = MessageQueue::create(key);
  ASSERT_TRUE(first) << first.error().message();
  auto guard = removed_at_exit(*first);
  auto again = MessageQueue::create(key, 0600, Exclusive::kNo);
  auto opened = MessageQueue::open(key);
  ASSERT_TRUE(again) << again.error().message();
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(again->id(), first->id());
  EXPECT_EQ(opened->id(), first->id());
}

TEST(SysvMessageQueue, CreateWithBitsOutsidePermissionsFailsWithEinval) {
  auto q = MessageQueue::create(test::unique_key(), IPC_EXCL | 0600);
  if (q) (void)q->remove();
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code(), EINVAL);
}

TEST(SysvMessageQueue, OpenOfMissingKeyFailsWithEnoent) {
  const Key key = test::unique_key();
  auto q = MessageQueue::open(key);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code(), ENOENT);
  EXPECT_EQ(q.error().message(), "msgget(" + key.describe() + "): No such file or directory");
}

TEST(SysvMessageQueue, OpenOfPrivateKeyFailsWithEinvalInsteadOfCreating) {
  auto q = MessageQueue::open(Key::private_key());
  if (q) (void)q->remove();
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code(), EINVAL);
}

TEST(SysvMessageQueue, FromIdFindsALiveQueueAndRejectsARemovedOne) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  {
    auto guard = removed_at_exit(*q);
    auto found = MessageQueue::from_id(q->id());
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_EQ(*found, *q);
  }
  auto gone = MessageQueue::from_id(q->id());
  ASSERT_FALSE(gone);
  EXPECT_PRED1(is_einval_or_eidrm, gone.error().code());
  EXPECT_EQ(gone.error().operation(), "msgctl");
  EXPECT_EQ(gone.error().object(), q->id().describe());
}

TEST(SysvMessageQueue, OperationsOnARemovedQueueFailWithEinvalOrEidrm) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  ASSERT_TRUE(q->remove());
  auto sent = q->send(1, "x");
  ASSERT_FALSE(sent);
  EXPECT_PRED1(is_einval_or_eidrm, sent.error().code());
  EXPECT_EQ(sent.error().operation(), "msgsnd");
  EXPECT_EQ(sent.error().object(), "id " + std::to_string(q->id().value));
  EXPECT_PRED1(is_einval_or_eidrm, code_of(q->receive()));
  EXPECT_PRED1(is_einval_or_eidrm, code_of(q->stat()));
  EXPECT_PRED1(is_einval_or_eidrm, code_of(q->remove()));
}

TEST(SysvMessageQueue, SendWithNonPositiveTypeFailsWithEinval) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  EXPECT_EQ(code_of(q->send(0, "x")), EINVAL);
  EXPECT_EQ(code_of(q->send(-1, "x")), EINVAL);
  EXPECT_EQ(queued(*q), 0u);
}

TEST(SysvMessageQueue, SendLargerThanMsgmaxFailsWithEinval) {
  std::size_t msgmax = 0;
  std::ifstream("/proc/sys/kernel/msgmax") >> msgmax;
  ASSERT_GT(msgmax, 0u);
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->set_max_bytes(msgmax * 2));
  const std::vector<std::byte> too_big(msgmax + 1);
  EXPECT_EQ(code_of(q->send(1, too_big, Wait::kNoWait)), EINVAL);
  const std::vector<std::byte> largest(msgmax);
  EXPECT_EQ(code_of(q->send(1, largest, Wait::kNoWait)), 0);
}

TEST(SysvMessageQueue, SendToAFullQueueWithNoWaitFailsWithEagain) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->set_max_bytes(16));
  ASSERT_TRUE(q->send(1, "0123456789abcdef", Wait::kNoWait));
  auto full = q->send(1, "x", Wait::kNoWait);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), EAGAIN);
  EXPECT_EQ(queued(*q), 1u);
}

TEST(SysvMessageQueue, MaxBytesAlsoCapsTheNumberOfMessages) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->set_max_bytes(2));
  ASSERT_TRUE(q->send(1, "", Wait::kNoWait));
  ASSERT_TRUE(q->send(1, "", Wait::kNoWait));
  EXPECT_EQ(code_of(q->send(1, "", Wait::kNoWait)), EAGAIN);
}

TEST(SysvMessageQueue, ReceiveWithNoWaitOnAnEmptyQueueFailsWithEnomsg) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  auto m = q->receive(kNoWait);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), ENOMSG);
  EXPECT_EQ(m.error().operation(), "msgrcv");
}

TEST(SysvMessageQueue, ReceiveTypeZeroTakesMessagesInSendOrder) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  for (long type : {3L, 1L, 2L})
    ASSERT_TRUE(q->send(type, std::to_string(type)));
  for (long type : {3L, 1L, 2L}) {
    auto m = q->receive(kNoWait);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->type, type);
    EXPECT_EQ(m->text(), std::to_string(type));
  }
}

TEST(SysvMessageQueue, ReceiveExactTypeSkipsOtherTypes) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->send(1, "one"));
  ASSERT_TRUE(q->send(2, "two"));
  ASSERT_TRUE(q->send(2, "two again"));
  auto m = q->receive(no_wait_type(2));
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->text(), "two");
  auto again = q->receive(no_wait_type(2));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->text(), "two again");
  EXPECT_EQ(code_of(q->receive(no_wait_type(2))), ENOMSG);
  EXPECT_EQ(queued(*q), 1u);
}

TEST(SysvMessageQueue, ReceiveNegativeTypeTakesTheLowestTypeUpToItsMagnitude) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  for (long type : {5L, 3L, 7L, 2L, 3L})
    ASSERT_TRUE(q->send(type, std::to_string(type)));
  std::vector<long> order;
  for (;;) {
    auto m = q->receive(no_wait_type(-4));
    if (!m) {
      EXPECT_EQ(m.error().code(), ENOMSG);
      break;
    }
    order.push_back(m->type);
  }
  EXPECT_EQ(order, (std::vector<long>{2, 3, 3}));
  EXPECT_EQ(queued(*q), 2u);  // types 5 and 7 are above 4
}

TEST(SysvMessageQueue, ReceiveExceptTakesTheFirstMessageOfAnotherType) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->send(1, "a"));
  ASSERT_TRUE(q->send(1, "b"));
  ASSERT_TRUE(q->send(4, "c"));
  auto m = q->receive(no_wait_type(1, /*except=*/true));
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type, 4);
  EXPECT_EQ(m->text(), "c");
  EXPECT_EQ(code_of(q->receive(no_wait_type(1, /*except=*/true))), ENOMSG);
}

TEST(SysvMessageQueue, ReceiveExceptWithoutAPositiveTypeFailsWithEinval) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->send(1, "a"));
  EXPECT_EQ(code_of(q->receive(no_wait_type(0, /*except=*/true))), EINVAL);
  EXPECT_EQ(code_of(q->receive(no_wait_type(-1, /*except=*/true))), EINVAL);
  EXPECT_EQ(queued(*q), 1u);
}

TEST(SysvMessageQueue, ReceiveOfALongerMessageFailsWithE2bigAndLeavesItQueued) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->send(1, "0123456789"));
  auto m = q->receive({.wait = Wait::kNoWait, .max_size = 4});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), E2BIG);
  EXPECT_EQ(queued(*q), 1u);
  auto exact = q->receive({.wait = Wait::kNoWait, .max_size = 10});
  ASSERT_TRUE(exact) << exact.error().message();
  EXPECT_EQ(exact->text(), "0123456789");
}

TEST(SysvMessageQueue, ReceiveWithTruncateCutsTheMessageToMaxSize) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->send(9, "0123456789"));
  auto m = q->receive({.wait = Wait::kNoWait, .max_size = 4, .truncate = true});
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type, 9);
  EXPECT_EQ(m->text(), "0123");
  EXPECT_EQ(queued(*q), 0u);  // the rest of the text is gone
}

TEST(SysvMessageQueue, StatReportsCountsPidsModeAndOwner) {
  const Key key = test::unique_key();
  auto q = MessageQueue::create(key, 0640);
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  auto empty = q->stat();
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(empty->key, key);
  EXPECT_EQ(empty->mode, 0640u);
  EXPECT_EQ(empty->uid, ::geteuid());
  EXPECT_EQ(empty->gid, ::getegid());
  EXPECT_EQ(empty->cuid, ::geteuid());
  EXPECT_EQ(empty->cgid, ::getegid());
  EXPECT_EQ(empty->messages, 0u);
  EXPECT_EQ(empty->bytes, 0u);
  EXPECT_EQ(empty->lspid, 0);
  EXPECT_EQ(empty->lrpid, 0);
  EXPECT_EQ(empty->stime, 0);
  EXPECT_NE(empty->ctime, 0);
  EXPECT_GT(empty->max_bytes, 0u);

  ASSERT_TRUE(q->send(1, "abc"));
  ASSERT_TRUE(q->send(2, "de"));
  auto full = q->stat();
  ASSERT_TRUE(full) << full.error().message();
  EXPECT_EQ(full->messages, 2u);
  EXPECT_EQ(full->bytes, 5u);
  EXPECT_EQ(full->lspid, ::getpid());
  EXPECT_NE(full->stime, 0);

  // A child receives one message; the queue remembers it as the last receiver.
  ASSERT_EQ(test::run_in_child([&] {
              if (!q->receive(kNoWait)) return 1;
              auto in_child = q->stat();
              return in_child && in_child->lrpid == ::getpid() ? 0 : 2;
            }),
            0);
  auto after = q->stat();
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->messages, 1u);
  EXPECT_EQ(after->bytes, 2u);
  EXPECT_NE(after->lrpid, 0);
  EXPECT_NE(after->lrpid, ::getpid());  // the child received
  EXPECT_NE(after->rtime, 0);
}

TEST(SysvMessageQueue, SetMaxBytesAndSetModeUpdateTheQueue) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->set_max_bytes(100));
  ASSERT_TRUE(q->set_mode(0604));
  auto st = q->stat();
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->max_bytes, 100u);
  EXPECT_EQ(st->mode, 0604u);
  EXPECT_EQ(code_of(q->set_mode(04000)), EINVAL);
}

TEST(SysvMessageQueue, NobodyCannotUseAnOwnerOnlyQueue) {
  const Key key = test::unique_key();
  auto q = MessageQueue::create(key, 0600);
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->send(1, "secret"));
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(q->send(1, "x", Wait::kNoWait)); }), EACCES);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(q->receive(kNoWait)); }), EACCES);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(q->stat()); }), EACCES);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(q->set_max_bytes(10)); }), EACCES);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(q->remove()); }), EPERM);
  // msgget with flags 0 asks for no permission, so the lookup itself succeeds.
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(MessageQueue::open(key)); }), 0);
  EXPECT_EQ(queued(*q), 1u);
}

TEST(SysvMessageQueue, NobodyMaySendToAWorldWritableQueue) {
  auto q = MessageQueue::create(Key::private_key(), 0622);
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(q->send(1, "x", Wait::kNoWait)); }), 0);
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(q->receive(kNoWait)); }), EACCES);
  EXPECT_EQ(queued(*q), 1u);
}

TEST(SysvMessageQueue, MessagesOutliveTheProcessThatSentThem) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_EQ(test::run_in_child([&] { return code_of(q->send(7, "from a dead child")); }), 0);
  auto m = q->receive(kNoWait);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type, 7);
  EXPECT_EQ(m->text(), "from a dead child");
}

TEST(SysvMessageQueue, BlockingReceiveWaitsForASender) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  std::thread sender([q = *q] {
    std::this_thread::sleep_for(50ms);
    (void)q.send(3, "late");
  });
  auto m = q->receive({.type = 3});
  sender.join();
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->text(), "late");
}

TEST(SysvMessageQueue, BlockingSendWaitsForRoom) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  ASSERT_TRUE(q->set_max_bytes(4));
  ASSERT_TRUE(q->send(1, "full"));
  std::thread receiver([q = *q] {
    std::this_thread::sleep_for(50ms);
    (void)q.receive();
  });
  auto sent = q->send(2, "next");
  receiver.join();
  ASSERT_TRUE(sent) << sent.error().message();
  auto m = q->receive(kNoWait);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->text(), "next");
}

TEST(SysvMessageQueue, BlockingReceiveFailsWithEidrmWhenTheQueueIsRemoved) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  std::thread remover([q = *q] {
    std::this_thread::sleep_for(50ms);
    (void)q.remove();
  });
  auto m = q->receive();
  remover.join();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), EIDRM);
}

void ignore_signal(int) {}

TEST(SysvMessageQueue, BlockingReceiveIsRestartedAfterASignalHandlerRuns) {
  auto q = make_private();
  ASSERT_TRUE(q) << q.error().message();
  auto guard = removed_at_exit(*q);
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = ignore_signal;  // no SA_RESTART: msgrcv would fail with EINTR
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  ScopeExit restore([&] { ::sigaction(SIGUSR1, &previous, nullptr); });
  const pthread_t receiver = ::pthread_self();
  std::thread interrupter([q = *q, receiver] {
    std::this_thread::sleep_for(50ms);
    ::pthread_kill(receiver, SIGUSR1);
    std::this_thread::sleep_for(50ms);
    (void)q.send(1, "after the signal");
  });
  auto m = q->receive();
  interrupter.join();
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->text(), "after the signal");
}

}  // namespace
}  // namespace ipckit::sysv
