// Receiver::peek_ahead / release_through / rewind: several messages held in place, a prefix
// released, the rest read again after a rewind or by the next Receiver.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "channel_test_support.hpp"

namespace ipckit::test {
namespace {

using channel::ChannelOptions;
using channel::Consumers;
using channel::ReceiveMode;
using channel::Receiver;

ChannelOptions small_ring() {
  ChannelOptions o;
  o.capacity = 4096;
  return o;
}

TEST(ReadAhead, MessagesStayInTheRingUntilReleasedThrough) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto tx = ch->sender();
  auto rx = ch->receiver();
  ASSERT_TRUE(tx && rx);
  for (const char* m : {"one", "two", "three"})
    ASSERT_TRUE(tx->send(std::string_view(m)));

  auto a = rx->peek_ahead(std::chrono::seconds(5));
  auto b = rx->peek_ahead(std::chrono::seconds(5));
  auto c = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(string_of(a->message), "one");
  EXPECT_EQ(string_of(b->message), "two");
  EXPECT_EQ(string_of(c->message), "three");
  EXPECT_EQ(a->start, 0u);
  EXPECT_EQ(a->end, b->start);
  EXPECT_EQ(b->end, c->start);
  EXPECT_LT(c->start, c->end);
  // Nothing released: the channel still holds all three.
  EXPECT_EQ(ch->info().head, 0u);
  EXPECT_EQ(rx->released_position(), 0u);

  ASSERT_TRUE(rx->release_through(b->end));
  EXPECT_EQ(ch->info().head, b->end);
  EXPECT_EQ(rx->released_position(), b->end);
  // The third is still read ahead: the ring is empty beyond it.
  auto none = rx->try_peek_ahead();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(rx->release_through(c->end));
  EXPECT_EQ(ch->info().head, ch->info().tail);
}

TEST(ReadAhead, RewindReadsTheUnreleasedMessagesAgainAtTheSamePositions) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto tx = ch->sender();
  auto rx = ch->receiver();
  ASSERT_TRUE(tx && rx);
  for (const char* m : {"a", "bb", "ccc"})
    ASSERT_TRUE(tx->send(std::string_view(m)));
  auto a = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_TRUE(a);
  ASSERT_TRUE(rx->release_through(a->end));
  auto b = rx->peek_ahead(std::chrono::seconds(5));
  auto c = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_TRUE(b && c);
  rx->rewind();
  auto b2 = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_TRUE(b2);
  EXPECT_EQ(string_of(b2->message), "bb");
  EXPECT_EQ(b2->start, b->start);
  EXPECT_EQ(b2->end, b->end);
  auto c2 = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->start, c->start);
}

TEST(ReadAhead, ANewReceiverReadsWhatADeadOneLeftUnreleased) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto tx = ch->sender();
  ASSERT_TRUE(tx);
  for (const char* m : {"x1", "x2", "x3"})
    ASSERT_TRUE(tx->send(std::string_view(m)));
  std::uint64_t second_start = 0;
  {
    auto rx = ch->receiver();
    ASSERT_TRUE(rx);
    auto a = rx->peek_ahead(std::chrono::seconds(5));
    auto b = rx->peek_ahead(std::chrono::seconds(5));
    auto c = rx->peek_ahead(std::chrono::seconds(5));
    ASSERT_TRUE(a && b && c);
    second_start = b->start;
    ASSERT_TRUE(rx->release_through(a->end));
  }  // goes with x2 and x3 read ahead, unreleased
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A process that reads ahead and is SIGKILLed before releasing anything.
    auto opened = channel::Channel::open(ch.name());
    if (!opened) _exit(2);
    auto rx = opened->receiver();
    if (!rx) _exit(3);
    if (!rx->peek_ahead(std::chrono::seconds(5))) _exit(4);
    if (!rx->peek_ahead(std::chrono::seconds(5))) _exit(5);
    raise(SIGKILL);
    _exit(6);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exit " << WEXITSTATUS(status);
  auto rx = ch->receiver();
  ASSERT_TRUE(rx) << rx.error().message();
  auto b = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_TRUE(b);
  EXPECT_EQ(string_of(b->message), "x2");
  EXPECT_EQ(b->start, second_start);
}

TEST(ReadAhead, PaddingAtTheWrapIsSkippedAndReleasedWithTheMessagesAroundIt) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto tx = ch->sender();
  auto rx = ch->receiver();
  ASSERT_TRUE(tx && rx);
  // Messages of 700 bytes wrap a 4 KiB ring with padding; read ahead across many wraps.
  std::vector<std::byte> body(700);
  std::uint64_t expected = 0;
  std::uint64_t last_end = 0;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 3; ++i) {
      body[0] = std::byte(round);
      body[1] = std::byte(i);
      ASSERT_TRUE(tx->send(body, std::chrono::seconds(5)));
    }
    for (int i = 0; i < 3; ++i) {
      auto m = rx->peek_ahead(std::chrono::seconds(5));
      ASSERT_TRUE(m) << m.error().message();
      ASSERT_EQ(m->message.size(), 700u);
      EXPECT_EQ(m->message[0], std::byte(round));
      EXPECT_EQ(m->message[1], std::byte(i));
      EXPECT_GE(m->start, last_end);  // padding may lie between two messages
      last_end = m->end;
      ++expected;
    }
    ASSERT_TRUE(rx->release_through(last_end));
  }
  EXPECT_EQ(expected, 120u);
  EXPECT_EQ(ch->info().head, ch->info().tail);
}

TEST(ReadAhead, ABlockedSenderWakesWhenReadAheadMessagesAreReleased) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto rx = ch->receiver();
  ASSERT_TRUE(rx);
  std::vector<std::byte> body(1000);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto opened = channel::Channel::open(ch.name());
    if (!opened) _exit(2);
    auto tx = opened->sender();
    if (!tx) _exit(3);
    for (int i = 0; i < 20; ++i) {
      if (!tx->send(body, std::chrono::seconds(30))) _exit(4);
    }
    _exit(0);
  }
  int got = 0;
  while (got < 20) {
    auto m = rx->peek_ahead(std::chrono::seconds(30));
    ASSERT_TRUE(m) << m.error().message();
    ++got;
    // Release in pairs: the sender sleeps on a full ring until then.
    if (got % 2 == 0) {
      ASSERT_TRUE(rx->release_through(m->end));
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(ReadAhead, ReleaseThroughRejectsPositionsOutsideWhatWasReadAhead) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto tx = ch->sender();
  auto rx = ch->receiver();
  ASSERT_TRUE(tx && rx);
  ASSERT_TRUE(tx->send(std::string_view("m1")));
  ASSERT_TRUE(tx->send(std::string_view("m2")));
  auto a = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_TRUE(a);
  auto past = rx->release_through(a->end + 8);  // m2 is not read ahead yet
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code(), EINVAL);
  auto zero = rx->release_through(0);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code(), EINVAL);
  EXPECT_EQ(ch->info().head, 0u);  // nothing released by the refusals
  ASSERT_TRUE(rx->release_through(a->end));
  auto again = rx->release_through(a->end);  // already released
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), EINVAL);
}

TEST(ReadAhead, RecvAndPeekRefuseWhileMessagesAreReadAhead) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto tx = ch->sender();
  auto rx = ch->receiver();
  ASSERT_TRUE(tx && rx);
  ASSERT_TRUE(tx->send(std::string_view("m1")));
  ASSERT_TRUE(tx->send(std::string_view("m2")));
  ASSERT_TRUE(rx->peek_ahead(std::chrono::seconds(5)));
  std::vector<std::byte> buf;
  auto r = rx->recv(buf, std::chrono::seconds(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EBUSY);
  auto p = rx->try_peek();
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code(), EBUSY);
  rx->rewind();
  ASSERT_TRUE(rx->recv(buf, std::chrono::seconds(5)));
  EXPECT_EQ(string_of(buf), "m1");
  // And the other way round: a pending peek refuses read-ahead.
  ASSERT_TRUE(rx->peek(std::chrono::seconds(5)));
  auto ahead = rx->try_peek_ahead();
  ASSERT_FALSE(ahead);
  EXPECT_EQ(ahead.error().code(), EBUSY);
  rx->release();  // m2 consumed
  ASSERT_TRUE(tx->send(std::string_view("m3")));
  auto m3 = rx->try_peek_ahead();
  ASSERT_TRUE(m3);
  ASSERT_TRUE(m3->has_value());
  EXPECT_EQ(string_of((*m3)->message), "m3");
}

TEST(ReadAhead, AMultiConsumerChannelRefusesReadAheadWithEinval) {
  ChannelOptions o = small_ring();
  o.consumers = Consumers::kMulti;
  ScopedChannel ch(o);
  ASSERT_TRUE(ch.ok());
  auto rx = ch->receiver();
  ASSERT_TRUE(rx);
  auto r = rx->try_peek_ahead();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST(ReadAhead, FollowModeReportsAProducerEndAndGoesOnReadingAhead) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto rx = ch->receiver({}, ReceiveMode::kFollow);
  ASSERT_TRUE(rx);
  {
    auto tx = ch->sender();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(tx->send(std::string_view("first")));
  }
  auto a = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_TRUE(a);
  auto end = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code(), EPIPE);
  {
    auto tx = ch->sender();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(tx->send(std::string_view("second")));
  }
  auto b = rx->peek_ahead(std::chrono::seconds(5));
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(string_of(b->message), "second");
  ASSERT_TRUE(rx->release_through(b->end));
  EXPECT_EQ(ch->info().head, ch->info().tail);
}

TEST(ReadAhead, MovedFromReceiverFailsWithEbadf) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto rx = ch->receiver();
  ASSERT_TRUE(rx);
  Receiver other = std::move(*rx);
  auto r = rx->try_peek_ahead();  // NOLINT(bugprone-use-after-move): the contract under test
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EBADF);
  EXPECT_EQ(rx->release_through(8).error().code(), EBADF);
  EXPECT_EQ(rx->released_position(), 0u);
}

TEST(SenderPosition, IsThePublishedTailBetweenCallsOfASingleProducer) {
  ScopedChannel ch(small_ring());
  ASSERT_TRUE(ch.ok());
  auto tx = ch->sender();
  auto rx = ch->receiver();
  ASSERT_TRUE(tx && rx);
  EXPECT_EQ(tx->position(), ch->info().tail);
  std::vector<std::byte> body(900);
  for (int i = 0; i < 30; ++i) {  // across several wraps of the 4 KiB ring
    const std::uint64_t before = tx->position();
    ASSERT_TRUE(tx->send(body, std::chrono::seconds(5)));
    EXPECT_GT(ch->info().tail, before);
    EXPECT_EQ(tx->position(), ch->info().tail);
    auto m = rx->peek_ahead(std::chrono::seconds(5));
    ASSERT_TRUE(m);
    EXPECT_GE(m->start, before);  // at or after it (after padding at the wrap)
    ASSERT_TRUE(rx->release_through(m->end));
  }
  channel::Sender moved = std::move(*tx);
  EXPECT_EQ(tx->position(), 0u);  // NOLINT(bugprone-use-after-move): the contract under test
}

}  // namespace
}  // namespace ipckit::test
