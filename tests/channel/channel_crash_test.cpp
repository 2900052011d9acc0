// Crash safety: processes killed with SIGKILL at random points never expose a partial message,
// never lose one, and never leave a peer hanging.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <thread>

#include "channel/channel_test_support.hpp"
#include "support/child.hpp"

namespace ipckit::test {
namespace {

using channel::Channel;
using channel::Producers;
using channel::ReceiveMode;
using namespace std::chrono_literals;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kKills = 60;  // each iteration forks an instrumented child: slower, fewer rounds
#else
constexpr int kKills = 300;
#endif

// A self-checking message: sequence number, length and a checksum over the payload.
std::vector<std::byte> make_message(std::uint32_t seq) {
  std::size_t size = 12 + (seq * 7919u) % 900;
  std::vector<std::byte> m(size);
  for (std::size_t i = 12; i < size; ++i)
    m[i] = static_cast<std::byte>(seq * 31 + i);
  std::uint32_t sum = 0;
  for (std::size_t i = 12; i < size; ++i)
    sum = sum * 16777619u ^ static_cast<std::uint8_t>(m[i]);
  auto len = static_cast<std::uint32_t>(size);
  std::memcpy(m.data(), &seq, 4);
  std::memcpy(m.data() + 4, &len, 4);
  std::memcpy(m.data() + 8, &sum, 4);
  return m;
}

// Returns the sequence number of a well-formed message, or -1.
std::int64_t check_message(std::span<const std::byte> m) {
  if (m.size() < 12) return -1;
  std::uint32_t seq, len, sum;
  std::memcpy(&seq, m.data(), 4);
  std::memcpy(&len, m.data() + 4, 4);
  std::memcpy(&sum, m.data() + 8, 4);
  if (len != m.size()) return -1;
  std::uint32_t actual = 0;
  for (std::size_t i = 12; i < m.size(); ++i)
    actual = actual * 16777619u ^ static_cast<std::uint8_t>(m[i]);
  return actual == sum && m.size() == make_message(seq).size() ? static_cast<std::int64_t>(seq)
                                                               : std::int64_t{-1};
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

// A producer sends numbered messages forever and is killed at a random moment, over and over.
// The consumer must only ever see whole, in-order messages, and a new producer takes over (each
// is a new stream: the consumer follows them).
TEST(ChannelCrash, ProducerKilledMidMessageNeverExposesAPartialMessage) {
  ScopedChannel c({.capacity = 1 << 13});
  auto rx = c->receiver({}, ReceiveMode::kFollow);
  ASSERT_TRUE(rx);
  std::mt19937 rng(12345);
  std::uint32_t expected = 0;
  for (int round = 0; round < kKills; ++round) {
    const std::uint32_t start = expected;
    pid_t child = ::fork();
    if (child == 0) {
      auto ch = Channel::open(c.name());
      auto tx = ch->sender();  // takes over the side the killed predecessor held
      if (!tx) ::_exit(2);
      for (std::uint32_t seq = start;; ++seq) {
        auto m = make_message(seq);
        if (!tx->send(m)) ::_exit(3);
      }
    }
    // Drain while the child runs until it has sent at least one message (however long a busy
    // machine takes to schedule it), then kill it at a random point (possibly mid-send).
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 3000);
    while (expected == start || std::chrono::steady_clock::now() < until) {
      ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "round " << round << ": no message";
      auto p = rx->try_peek();
      ASSERT_TRUE(p) << p.error().message();
      if (!*p) continue;
      ASSERT_EQ(check_message(**p), expected) << "round " << round;
      rx->release();
      ++expected;
    }
    kill_and_reap(child);
    // Whatever the dead producer published is whole; drain it.
    for (;;) {
      auto p = rx->try_peek();
      ASSERT_TRUE(p) << p.error().message();
      if (!*p) break;
      ASSERT_EQ(check_message(**p), expected) << "round " << round;
      rx->release();
      ++expected;
    }
  }
  EXPECT_GE(expected, static_cast<std::uint32_t>(kKills));  // at least one per round
  // The side of the last (dead) producer is taken over by a fresh sender in this process.
  auto tx = c->sender();
  ASSERT_TRUE(tx) << tx.error().message();
  ASSERT_TRUE(tx->send(make_message(expected)));
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got, 1s));
  EXPECT_EQ(check_message(got), expected);
}

// Two producers on a multi-producer channel; one is killed at random points, possibly between
// claiming space and publishing it. The survivor keeps sending; every message seen is whole.
TEST(ChannelCrash, KilledProducerNeverBlocksTheOtherProducers) {
  ScopedChannel c({.capacity = 1 << 13, .producers = Producers::kMulti});
  auto rx = c->receiver({}, ReceiveMode::kFollow);
  ASSERT_TRUE(rx);
  std::mt19937 rng(777);
  // A victim killed holding an unpublished claim costs the survivor one liveness interval.
  for (int round = 0; round < kKills / 10; ++round) {
    pid_t victim = ::fork();
    if (victim == 0) {
      auto ch = Channel::open(c.name());
      auto tx = ch->sender();
      for (std::uint32_t seq = 0;; ++seq) {
        auto m = make_message(seq);
        if (!tx || !tx->send(m)) ::_exit(3);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
    kill_and_reap(victim);
    // This process now sends; its claim follows the victim's and must still be published.
    auto tx = c->sender();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(tx->send("survivor", 2s)) << "round " << round;
    bool found = false;
    for (;;) {
      auto p = rx->peek(1s);
      ASSERT_TRUE(p) << "round " << round << ": " << p.error().message();
      if (string_of(*p) == "survivor")
        found = true;
      else
        ASSERT_GE(check_message(*p), 0) << "round " << round;
      rx->release();
      if (found) break;
    }
  }
}

// A consumer is killed at a random point; every message is delivered at least once overall,
// and only the one in the dead consumer's hands may be delivered twice.
TEST(ChannelCrash, ConsumerKilledMidMessageRedeliversToTheNextReceiver) {
  ScopedChannel c({.capacity = 1 << 13});
  auto tx = c->sender();
  ASSERT_TRUE(tx);
  std::mt19937 rng(4242);
  std::uint32_t sent = 0;
  std::uint32_t expected = 0;  // next sequence the parent has not yet seen processed
  for (int round = 0; round < kKills / 3; ++round) {
    while (true) {
      auto r = tx->try_send(make_message(sent));
      ASSERT_TRUE(r);
      if (!*r) break;
      ++sent;
    }
    int report[2];
    ASSERT_EQ(::pipe(report), 0);
    pid_t child = ::fork();
    if (child == 0) {
      ::close(report[0]);
      auto ch = Channel::open(c.name());
      auto rx = ch->receiver();
      if (!rx) ::_exit(2);
      for (;;) {
        auto p = rx->peek();
        if (!p) ::_exit(3);
        std::int64_t seq = check_message(*p);
        if (seq < 0) ::_exit(4);
        rx->release();
        auto s = static_cast<std::uint32_t>(seq);
        if (::write(report[1], &s, 4) != 4) ::_exit(5);
      }
    }
    ::close(report[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 1500));
    kill_and_reap(child);
    std::uint32_t s;
    while (::read(report[0], &s, 4) == 4) {
      ASSERT_EQ(s, expected);
      ++expected;
    }
    ::close(report[0]);
    // The next receiver (this process) continues exactly where processing stopped, or one
    // earlier (the message released but not yet reported is then seen again).
    auto rx = c->receiver();
    ASSERT_TRUE(rx) << rx.error().message();
    auto p = rx->try_peek();
    ASSERT_TRUE(p);
    if (*p) {
      std::int64_t seq = check_message(**p);
      ASSERT_TRUE(seq == expected || seq == static_cast<std::int64_t>(expected) + 1)
          << "round " << round << " seq " << seq << " expected " << expected;
      expected = static_cast<std::uint32_t>(seq);
    }
  }
}

TEST(ChannelCrash, BlockedSenderIsToldWhenTheConsumerDies) {
  ScopedChannel c({.capacity = 4096});
  pid_t child = ::fork();
  if (child == 0) {
    auto ch = Channel::open(c.name());
    auto rx = ch->receiver();
    ::pause();
    ::_exit(0);
  }
  auto tx = c->sender();
  ASSERT_TRUE(tx);
  // Wait until the child's receiver is registered, then fill the ring.
  ASSERT_TRUE(eventually([&] { return c->info().participants.size() >= 3; }));
  std::vector<std::byte> msg(1000);
  while (*tx->try_send(msg)) {
  }
  std::thread killer([&] {
    std::this_thread::sleep_for(50ms);
    kill_and_reap(child);
  });
  auto start = std::chrono::steady_clock::now();
  auto r = tx->send(msg, 10s);
  killer.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPIPE) << r.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);  // told, not timed out
}

TEST(ChannelCrash, BlockedReceiverIsToldWhenTheProducerDies) {
  ScopedChannel c;
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  const std::size_t attached = c->info().participants.size();
  pid_t child = ::fork();
  if (child == 0) {
    auto ch = Channel::open(c.name());
    auto tx = ch->sender();
    ::pause();
    ::_exit(0);
  }
  // The child's sender is registered before it is killed (a busy machine may take a while).
  ASSERT_TRUE(eventually([&] { return c->info().participants.size() > attached; }));
  std::thread killer([&] {
    std::this_thread::sleep_for(50ms);
    kill_and_reap(child);
  });
  auto start = std::chrono::steady_clock::now();
  std::vector<std::byte> got;
  auto r = rx->recv(got, 10s);
  killer.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ECONNRESET) << r.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);  // told, not timed out
}

// A caller that waits in short slices (a poll loop; the Python binding waits 20 ms at a time to
// run signal handlers) is told of a dead peer too: the liveness interval runs across calls.
// Whether `pid` is registered in the channel as a producer (or a consumer).
bool registered_as(const Channel& c, pid_t pid, bool producer) {
  for (const auto& p : c.info().participants)
    if (p.pid == pid && (producer ? p.producer : p.consumer)) return true;
  return false;
}

TEST(ChannelCrash, ReceiverPollingInShortSlicesIsToldWhenTheProducerDies) {
  ScopedChannel c;
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  pid_t child = ::fork();
  if (child == 0) {
    auto ch = Channel::open(c.name());
    auto tx = ch->sender();
    ::pause();
    ::_exit(0);
  }
  // The child's Sender, not only its Channel handle, is registered before it is killed.
  ASSERT_TRUE(eventually([&] { return registered_as(*c, child, /*producer=*/true); }));
  kill_and_reap(child);
  std::vector<std::byte> got;
  Result<void> r;
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  do {
    r = rx->recv(got, 5ms);
  } while (!r && r.error().code() == ETIMEDOUT && std::chrono::steady_clock::now() < give_up);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ECONNRESET) << r.error().message();
}

TEST(ChannelCrash, SenderPollingInShortSlicesIsToldWhenTheConsumerDies) {
  ScopedChannel c({.capacity = 4096});
  pid_t child = ::fork();
  if (child == 0) {
    auto ch = Channel::open(c.name());
    auto rx = ch->receiver();
    ::pause();
    ::_exit(0);
  }
  auto tx = c->sender();
  ASSERT_TRUE(tx);
  ASSERT_TRUE(eventually([&] { return registered_as(*c, child, /*producer=*/false); }));
  std::vector<std::byte> msg(1000);
  while (*tx->try_send(msg)) {
  }
  kill_and_reap(child);
  Result<void> r;
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  do {
    r = tx->send(msg, 5ms);
  } while (!r && r.error().code() == ETIMEDOUT && std::chrono::steady_clock::now() < give_up);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPIPE) << r.error().message();
}

// A producer of a multi-producer channel that reserves space and dies before committing leaves
// an unpublished claim at the tail. The next producer claims behind it and must not wait
// forever: it skips the dead claim, publishes, and the consumer sees only the live message.
pid_t reserve_and_wait_to_be_killed(const std::string& name, std::size_t size) {
  int ready[2];
  if (::pipe(ready) != 0) return -1;
  pid_t child = ::fork();
  if (child == 0) {
    ::close(ready[0]);
    auto ch = Channel::open(name);
    if (!ch) ::_exit(2);
    auto tx = ch->sender();
    if (!tx) ::_exit(3);
    auto res = tx->reserve(size);
    if (!res) ::_exit(4);
    std::memset(res->data().data(), 0x5a, size);
    if (::write(ready[1], "r", 1) != 1) ::_exit(5);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  bool reserved = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  if (!reserved) {
    kill_and_reap(child);
    return -1;
  }
  return child;
}

TEST(ChannelCrash, ClaimOfADeadProducerIsSkippedByTheNextProducer) {
  ScopedChannel c({.capacity = 1 << 13, .producers = Producers::kMulti});
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  pid_t victim = reserve_and_wait_to_be_killed(c.name(), 300);
  ASSERT_GT(victim, 0);
  kill_and_reap(victim);
  auto tx = c->sender();
  ASSERT_TRUE(tx);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(tx->send("after the dead claim", 2s));
  std::vector<std::byte> got;
  auto r = rx->recv(got, 2s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(got.data()), got.size()),
            "after the dead claim");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);  // one liveness interval, not more
  auto more = rx->try_peek();
  ASSERT_TRUE(more);
  EXPECT_FALSE(*more) << "the dead producer's bytes must never be delivered";
  // The ring keeps working across the skipped space, including wrapping past it.
  for (std::uint32_t seq = 0; seq < 200; ++seq) {
    ASSERT_TRUE(tx->send(make_message(seq), 1s));
    ASSERT_TRUE(rx->recv(got, 1s));
    ASSERT_EQ(check_message(got), seq);
  }
}

// The same, with no producer left behind the dead claim: the waiting consumer skips the claim
// itself, reports the death, and a new producer can send afterwards.
TEST(ChannelCrash, ClaimOfADeadProducerIsSkippedByTheWaitingConsumer) {
  ScopedChannel c({.capacity = 1 << 13, .producers = Producers::kMulti});
  auto rx = c->receiver({}, ReceiveMode::kFollow);
  ASSERT_TRUE(rx);
  pid_t victim = reserve_and_wait_to_be_killed(c.name(), 2000);
  ASSERT_GT(victim, 0);
  kill_and_reap(victim);
  std::vector<std::byte> got;
  auto start = std::chrono::steady_clock::now();
  auto r = rx->recv(got, 5s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ECONNRESET) << r.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);  // told, not timed out
  auto info = Channel::inspect(c.name());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->used(), 0u) << "the dead claim was consumed as padding";
  auto tx = c->sender();
  ASSERT_TRUE(tx);
  for (std::uint32_t seq = 0; seq < 50; ++seq) {
    ASSERT_TRUE(tx->send(make_message(seq), 1s));
    ASSERT_TRUE(rx->recv(got, 1s)) << seq;
    ASSERT_EQ(check_message(got), seq);
  }
}

}  // namespace
}  // namespace ipckit::test
