// Multi-thread and multi-process delivery: order, exactly-once, and no lost wake-ups.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>
#include <thread>

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
  auto produce = [&](std::uint32_t id) {
    auto tx = c->sender();
    ASSERT_TRUE(tx);
    for (std::uint32_t i = 0; i < n; ++i)
      ASSERT_TRUE(tx->send(as_bytes_of({id, i})));
  };
  std::thread a(produce, 0), b(produce, 1);
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
