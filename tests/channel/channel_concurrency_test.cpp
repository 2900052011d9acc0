// Multi-thread and multi-process delivery: order, exactly-once, and no lost wake-ups.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "channel/channel_test_support.hpp"

namespace ipckit::test {
namespace {

using channel::Channel;
using channel::Consumers;
using channel::Producers;
using channel::WaitMode;
using channel::WaitPolicy;
using namespace std::chrono_literals;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::uint32_t kScale = 10;  // sanitizer builds run ~10x slower: same coverage, fewer laps
#else
constexpr std::uint32_t kScale = 1;
#endif

struct Tagged {
  std::uint32_t producer;
  std::uint32_t seq;
};

std::span<const std::byte> as_bytes_of(const Tagged& t) {
  return std::as_bytes(std::span(&t, 1));
}

TEST(ChannelConcurrency, CrossProcessSpscDeliversEveryMessageInOrder) {
  ScopedChannel c({.capacity = 1 << 14});
  const std::uint32_t n = 200'000 / kScale;
  pid_t child = ::fork();
  if (child == 0) {
    auto ch = Channel::open(c.name());
    auto tx = ch->sender();
    if (!tx) ::_exit(2);
    std::vector<std::byte> msg;
    for (std::uint32_t i = 0; i < n; ++i) {
      msg.assign(i % 200, static_cast<std::byte>(i));
      if (msg.size() >= 4) std::memcpy(msg.data(), &i, 4);
      if (!tx->send(msg)) ::_exit(3);
    }
    ::_exit(0);
  }
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  std::vector<std::byte> got;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto r = rx->recv(got, 10s);
    ASSERT_TRUE(r) << "message " << i << ": " << r.error().message();
    ASSERT_EQ(got.size(), i % 200);
    if (got.size() >= 4) {
      std::uint32_t seq;
      std::memcpy(&seq, got.data(), 4);
      ASSERT_EQ(seq, i);
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(ChannelConcurrency, TwoProducersKeepPerProducerOrderAndLoseNothing) {
  ScopedChannel c({.capacity = 1 << 14, .producers = Producers::kMulti});
  const std::uint32_t n = 100'000 / kScale;
  // Every sender attaches before the consumer looks: one that finished before another attached
  // would otherwise be, correctly, the end of the stream.
  auto tx0 = c->sender();
  auto tx1 = c->sender();
  ASSERT_TRUE(tx0 && tx1);
  auto produce = [&](channel::Sender& tx, std::uint32_t id) {
    for (std::uint32_t i = 0; i < n; ++i)
      ASSERT_TRUE(tx.send(as_bytes_of({id, i})));
  };
  std::thread a(produce, std::ref(*tx0), 0), b(produce, std::ref(*tx1), 1);
  auto rx = c->receiver();
  std::uint32_t next[2] = {0, 0};
  Tagged t{};
  for (std::uint32_t i = 0; i < 2 * n; ++i) {
    auto r = rx->recv(std::as_writable_bytes(std::span(&t, 1)), 10s);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_LT(t.producer, 2u);
    ASSERT_EQ(t.seq, next[t.producer]) << "producer " << t.producer;
    ++next[t.producer];
  }
  a.join();
  b.join();
  EXPECT_EQ(next[0], n);
  EXPECT_EQ(next[1], n);
}

// Three producers on a ring that is always full: claims, publication in turn, and the room
// check race with each other and with the consumer at every message. No send may fail (a stale
// claim read against a newer head once looked like corruption) and nothing may be lost.
TEST(ChannelConcurrency, ThreeProducersOnAFullRingNeverFailAndLoseNothing) {
  ScopedChannel c({.capacity = 4096, .producers = Producers::kMulti});
  const std::uint32_t n = 60'000 / kScale;
  std::atomic<int> failures{0};
  std::vector<channel::Sender> senders;  // attached before the consumer looks (see above)
  for (int k = 0; k < 3; ++k) {
    auto tx = c->sender();
    ASSERT_TRUE(tx) << tx.error().message();
    senders.push_back(std::move(*tx));
  }
  auto produce = [&](std::uint32_t id) {
    auto& tx = senders[id];
    for (std::uint32_t i = 0; i < n; ++i) {
      if (auto r = tx.send(as_bytes_of({id, i}), 10s); !r) {
        ADD_FAILURE() << "producer " << id << " message " << i << ": " << r.error().message();
        ++failures;
        return;
      }
    }
  };
  std::thread a(produce, 0), b(produce, 1), d(produce, 2);
  auto rx = c->receiver();
  std::uint32_t next[3] = {0, 0, 0};
  Tagged t{};
  for (std::uint32_t i = 0; i < 3 * n && failures == 0; ++i) {
    auto r = rx->recv(std::as_writable_bytes(std::span(&t, 1)), 10s);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_LT(t.producer, 3u);
    ASSERT_EQ(t.seq, next[t.producer]) << "producer " << t.producer;
    ++next[t.producer];
  }
  a.join();
  b.join();
  d.join();
  EXPECT_EQ(failures, 0);
  for (std::uint32_t p = 0; p < 3; ++p)
    EXPECT_EQ(next[p], n) << "producer " << p;
}

TEST(ChannelConcurrency, TwoConsumersShareTheWorkExactlyOnce) {
  ScopedChannel c({.capacity = 1 << 14, .consumers = Consumers::kMulti});
  const std::uint32_t n = 100'000 / kScale;
  std::vector<std::uint32_t> seen[2];
  auto consume = [&](int id) {
    auto rx = c->receiver();
    ASSERT_TRUE(rx);
    Tagged t{};
    for (;;) {
      auto r = rx->recv(std::as_writable_bytes(std::span(&t, 1)), 10s);
      if (!r) {
        EXPECT_EQ(r.error().code(), EPIPE) << r.error().message();
        return;
      }
      seen[id].push_back(t.seq);
    }
  };
  std::thread a(consume, 0), b(consume, 1);
  {
    auto tx = c->sender();
    ASSERT_TRUE(tx);
    for (std::uint32_t i = 0; i < n; ++i)
      ASSERT_TRUE(tx->send(as_bytes_of({0, i})));
  }  // the sender leaves: consumers drain, then see end of stream
  a.join();
  b.join();
  std::vector<std::uint32_t> all(seen[0]);
  all.insert(all.end(), seen[1].begin(), seen[1].end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), n);
  for (std::uint32_t i = 0; i < n; ++i)
    ASSERT_EQ(all[i], i);
  // Each consumer's share is in ring order.
  for (auto& s : seen)
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
}

// Ping-pong with both sides sleeping in the kernel at every step: a single lost wake-up hangs
// one side, which the 5 s timeout turns into a failure.
TEST(ChannelConcurrency, BlockingPingPongNeverLosesAWakeUp) {
  ScopedChannel ping({.capacity = 4096}, "ping");
  ScopedChannel pong({.capacity = 4096}, "pong");
  const WaitPolicy block{.mode = WaitMode::kBlock, .spin = 0ns};
  const std::uint32_t rounds = 20'000 / kScale;
  pid_t child = ::fork();
  if (child == 0) {
    auto in = Channel::open(ping.name());
    auto out = Channel::open(pong.name());
    auto rx = in->receiver(block);
    auto tx = out->sender(block);
    if (!rx || !tx) ::_exit(2);
    std::uint32_t v = 0;
    for (std::uint32_t i = 0; i < rounds; ++i) {
      if (!rx->recv(std::as_writable_bytes(std::span(&v, 1)), 5s)) ::_exit(3);
      ++v;
      if (!tx->send(std::as_bytes(std::span(&v, 1)), 5s)) ::_exit(4);
    }
    ::_exit(0);
  }
  auto tx = ping->sender(block);
  auto rx = pong->receiver(block);
  ASSERT_TRUE(tx && rx);
  std::uint32_t v = 0;
  for (std::uint32_t i = 0; i < rounds; ++i) {
    ASSERT_TRUE(tx->send(std::as_bytes(std::span(&v, 1)), 5s));
    std::uint32_t back = 0;
    auto r = rx->recv(std::as_writable_bytes(std::span(&back, 1)), 5s);
    ASSERT_TRUE(r) << "round " << i << ": " << r.error().message();
    ASSERT_EQ(back, v + 1);
    v = back;
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace ipckit::test
