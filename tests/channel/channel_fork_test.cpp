// Handles inherited across fork(): the child's copies neither act for the parent nor unregister
// it when they are destroyed (returning from main, exit() with a static handle).
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "channel/channel_test_support.hpp"
#include "support/child.hpp"

namespace ipckit::test {
namespace {

using channel::Channel;
using channel::Receiver;
using channel::Sender;
using namespace std::chrono_literals;

// The parent sends `n` numbered messages and its receiver gets every one, in order.
void expect_parent_stream_intact(Sender& tx, Receiver& rx, int n) {
  std::vector<std::byte> got;
  for (int i = 0; i < n; ++i) {
    const std::string m = "message " + std::to_string(i);
    ASSERT_TRUE(tx.send(m, 10s)) << i;
    auto r = rx.recv(got, 10s);
    ASSERT_TRUE(r) << "message " << i << ": " << r.error().message();
    ASSERT_EQ(string_of(got), m);
  }
}

TEST(ChannelFork, ChildThatDestroysInheritedHandlesLeavesTheParentAttached) {
  ScopedChannel c;
  std::optional<Sender> tx(*c->sender());
  std::optional<Receiver> rx(*c->receiver());
  auto extra = Channel::open(c.name());
  ASSERT_TRUE(extra);
  ASSERT_EQ(c->info().participants.size(), 4u);
  // What returning from main does in the child: every inherited handle is destroyed.
  Child child([&] {
    tx.reset();
    rx.reset();
    { auto gone = std::move(*extra); }
    return 0;
  });
  ASSERT_EQ(child.wait(), 0);

  EXPECT_EQ(c->info().participants.size(), 4u);
  // No false end of stream: the parent's sender is still attached.
  std::vector<std::byte> got;
  EXPECT_EQ(code_of(rx->recv(got, 100ms)), ETIMEDOUT);
  // The sides are still the parent's.
  EXPECT_EQ(code_of(c->sender()), EBUSY);
  EXPECT_EQ(code_of(c->receiver()), EBUSY);
  expect_parent_stream_intact(*tx, *rx, 100);
  // The real end of stream still comes when the parent's sender goes.
  tx.reset();
  EXPECT_EQ(code_of(rx->recv(got, 10s)), EPIPE);
}

std::optional<Sender> static_sender;  // destroyed by exit() in the child

TEST(ChannelFork, ChildThatExitsWithAStaticSenderLeavesTheParentSending) {
  ScopedChannel c;
  static_sender.emplace(*c->sender());
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  Child child([] {
    std::exit(0);  // runs static destructors: static_sender's among them
    return 1;
  });
  ASSERT_EQ(child.wait(), 0);

  std::vector<std::byte> got;
  EXPECT_EQ(code_of(rx->recv(got, 100ms)), ETIMEDOUT);
  expect_parent_stream_intact(*static_sender, *rx, 100);
  static_sender.reset();
  EXPECT_EQ(code_of(rx->recv(got, 10s)), EPIPE);
}

TEST(ChannelFork, InheritedHandlesFailWithEbusyInTheChildAndTouchNothing) {
  ScopedChannel c;
  auto tx = c->sender();
  auto rx = c->receiver();
  ASSERT_TRUE(tx && rx);
  ASSERT_TRUE(tx->send("before the fork"));
  auto open = tx->reserve(16);  // open in the parent while the child tries it
  ASSERT_TRUE(open);
  std::memcpy(open->data().data(), "reserved by par.", 16);
  Child child([&] {
    std::vector<std::byte> got;
    std::array<std::byte, 64> buffer{};
    const std::vector<int> codes = {
        code_of(open->commit(16)),
        code_of(tx->send("from the child")),
        code_of(tx->try_send(bytes_of("from the child"))),
        code_of(tx->reserve(8)),
        code_of(rx->recv(got, 1s)),
        code_of(rx->try_recv(buffer)),
        code_of(rx->peek(1s)),
        code_of(rx->try_peek()),
        code_of(c->sender()),
        code_of(c->receiver()),
    };
    rx->release();
    for (std::size_t i = 0; i < codes.size(); ++i) {
      if (codes[i] != EBUSY) return static_cast<int>(10 + i);
    }
    return 0;
  });
  ASSERT_EQ(child.wait(), 0);

  // Nothing was published, consumed or given up by the child.
  ASSERT_TRUE(open->commit(16));
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got, 10s));
  EXPECT_EQ(string_of(got), "before the fork");
  ASSERT_TRUE(rx->recv(got, 10s));
  EXPECT_EQ(string_of(got), "reserved by par.");
  EXPECT_EQ(code_of(rx->recv(got, 100ms)), ETIMEDOUT);
}

}  // namespace
}  // namespace ipckit::test
