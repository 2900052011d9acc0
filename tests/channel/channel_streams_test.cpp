// Streams: what a receiver does when its producers go and others come (docs/channel.md, "End of
// stream"). A pipeline receiver (ReceiveMode::kStream) ends with its stream whatever the timing
// of the next producer; a follow-mode one keeps receiving and reports each producer's end.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "channel/channel_test_support.hpp"
#include "support/child.hpp"

namespace ipckit::test {
namespace {

using channel::ReceiveMode;
using channel::Receiver;
using namespace std::chrono_literals;

// A producer process that sends `message` and then waits to be killed.
std::unique_ptr<Child> producer_that_waits(const std::string& name, const std::string& message) {
  return std::make_unique<Child>([name, message] {
    auto c = channel::Channel::open(name);
    if (!c) return 2;
    auto tx = c->sender();
    if (!tx || !tx->send(message)) return 3;
    ::pause();
    return 0;
  });
}

// A producer process that sends `message` and leaves cleanly.
int producer_that_leaves(const std::string& name, const std::string& message) {
  Child child([&] {
    auto c = channel::Channel::open(name);
    if (!c) return 2;
    auto tx = c->sender();
    return tx && tx->send(message) ? 0 : 3;
  });
  return child.wait();
}

void kill_and_wait(Child& child) {
  ::kill(child.pid(), SIGKILL);
  ASSERT_EQ(child.wait(), 128 + SIGKILL);
}

std::string recv_text(Receiver& rx) {
  std::vector<std::byte> got;
  auto r = rx.recv(got, 10s);
  if (!r) return "error: " + r.error().message();
  return string_of(got);
}

// A producer is killed while the ring is empty. Whether the receiver notices before the next
// producer attaches (first test) or after (second), its stream ends with ECONNRESET and it never
// gets the next producer's message.
TEST(ChannelStreams, ReceiverNoticingAProducerDeathFirstEndsWithEconnreset) {
  ScopedChannel c;
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  auto a = producer_that_waits(c.name(), "a1");
  ASSERT_EQ(recv_text(*rx), "a1");
  kill_and_wait(*a);
  std::vector<std::byte> got;
  EXPECT_EQ(code_of(rx->recv(got, 10s)), ECONNRESET);  // noticed by its liveness check
  ASSERT_EQ(producer_that_leaves(c.name(), "b1"), 0);
  EXPECT_EQ(code_of(rx->recv(got, 10s)), ECONNRESET);  // and it stays the end
  // The next producer's message waits for the next receiver.
  { auto done = std::move(*rx); }  // detaches: the single-consumer side is free again
  auto next = c->receiver();
  ASSERT_TRUE(next);
  EXPECT_EQ(recv_text(*next), "b1");
}

TEST(ChannelStreams, NextProducerAttachingBeforeTheReceiverNoticesStillEndsTheStream) {
  ScopedChannel c;
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  auto a = producer_that_waits(c.name(), "a1");
  ASSERT_EQ(recv_text(*rx), "a1");
  kill_and_wait(*a);
  // The receiver has not looked since: the next producer attaches and sends first.
  auto tx = c->sender();
  ASSERT_TRUE(tx) << tx.error().message();
  ASSERT_TRUE(tx->send("b1"));
  std::vector<std::byte> got;
  EXPECT_EQ(code_of(rx->recv(got, 10s)), ECONNRESET);
  EXPECT_EQ(code_of(rx->try_recv(got)), 0);
  EXPECT_EQ(code_of(rx->recv(got, 10s)), ECONNRESET);
  { auto done = std::move(*rx); }  // detaches: the single-consumer side is free again
  auto next = c->receiver();
  ASSERT_TRUE(next);
  EXPECT_EQ(recv_text(*next), "b1");
}

// The same with a clean end: the stream ends with EPIPE, before the next producer's message.
TEST(ChannelStreams, NextProducerAttachingBeforeTheReceiverLooksAfterACleanEndIsNotRead) {
  ScopedChannel c;
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  ASSERT_EQ(producer_that_leaves(c.name(), "a1"), 0);
  ASSERT_EQ(producer_that_leaves(c.name(), "b1"), 0);
  EXPECT_EQ(recv_text(*rx), "a1");
  std::vector<std::byte> got;
  EXPECT_EQ(code_of(rx->recv(got, 10s)), EPIPE);
}

// A receiver that attached after the last producer left waits for the next one and reads it.
TEST(ChannelStreams, ReceiverAttachedBetweenStreamsReadsTheNextOne) {
  ScopedChannel c;
  ASSERT_EQ(producer_that_leaves(c.name(), "a1"), 0);
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  ASSERT_EQ(producer_that_leaves(c.name(), "b1"), 0);
  EXPECT_EQ(recv_text(*rx), "a1");
  EXPECT_EQ(recv_text(*rx), "b1");
  std::vector<std::byte> got;
  EXPECT_EQ(code_of(rx->recv(got, 10s)), EPIPE);
}

// Follow mode: every producer's messages, and one report per producer end or death.
TEST(ChannelStreams, FollowReceiverKeepsReceivingAndReportsEachProducerEnd) {
  ScopedChannel c;
  auto rx = c->receiver({}, ReceiveMode::kFollow);
  ASSERT_TRUE(rx);
  auto a = producer_that_waits(c.name(), "a1");
  ASSERT_EQ(recv_text(*rx), "a1");
  const pid_t a_pid = a->pid();
  kill_and_wait(*a);
  {
    auto tx = c->sender();
    ASSERT_TRUE(tx) << tx.error().message();
    ASSERT_TRUE(tx->send("b1"));
    EXPECT_EQ(recv_text(*rx), "b1");
    std::vector<std::byte> got;
    auto died = rx->recv(got, 10s);
    ASSERT_FALSE(died);
    EXPECT_EQ(died.error().code(), ECONNRESET);
    EXPECT_EQ(died.error().detail(), "producer " + std::to_string(a_pid) + " died");
  }
  std::vector<std::byte> got;
  auto ended = rx->recv(got, 10s);
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code(), EPIPE);
  EXPECT_EQ(ended.error().detail(), "producer " + std::to_string(::getpid()) + " ended");
  ASSERT_EQ(producer_that_leaves(c.name(), "c1"), 0);
  EXPECT_EQ(recv_text(*rx), "c1");
  auto c_ended = rx->recv(got, 10s);
  ASSERT_FALSE(c_ended);
  EXPECT_EQ(c_ended.error().code(), EPIPE);
  // Nothing more to report: it waits.
  EXPECT_EQ(code_of(rx->recv(got, 100ms)), ETIMEDOUT);
}

// Follow mode notices a death by itself (no other producer comes) and goes on waiting.
TEST(ChannelStreams, FollowReceiverReportsADeathWhileTheRingIsEmptyAndGoesOn) {
  ScopedChannel c({.producers = channel::Producers::kMulti});
  auto rx = c->receiver({}, ReceiveMode::kFollow);
  ASSERT_TRUE(rx);
  auto a = producer_that_waits(c.name(), "a1");
  ASSERT_EQ(recv_text(*rx), "a1");
  kill_and_wait(*a);
  std::vector<std::byte> got;
  EXPECT_EQ(code_of(rx->recv(got, 10s)), ECONNRESET);
  EXPECT_EQ(code_of(rx->recv(got, 100ms)), ETIMEDOUT);
  ASSERT_EQ(producer_that_leaves(c.name(), "b1"), 0);
  EXPECT_EQ(recv_text(*rx), "b1");
}

}  // namespace
}  // namespace ipckit::test
