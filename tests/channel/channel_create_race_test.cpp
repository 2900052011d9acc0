// docs/channel.md, "create and open, and no open_or_create": two processes that both run
// "create; on EEXIST open" at the same moment end up with one channel, made by exactly one of
// them, and the other never sees it half-built.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string>

#include "channel/channel_test_support.hpp"
#include "ipckit/channel.hpp"
#include "support/child.hpp"

namespace ipckit::test {
namespace {

using channel::Channel;

constexpr int kCreated = 10;
constexpr int kOpened = 11;
constexpr int kWrongGeometry = 12;

// The idiom of the docs, in a child: its exit code says which way it went, or the errno.
int create_or_open(const std::string& name, const std::array<int, 2>& start) {
  ::close(start[1]);
  char go = 0;
  (void)::read(start[0], &go, 1);  // returns at EOF: the parent closed the write end too
  const channel::ChannelOptions options{.capacity = 8192};
  bool created = true;
  auto chan = Channel::create(name, options);
  if (!chan && chan.error().code() == EEXIST) {
    created = false;
    chan = Channel::open(name);
  }
  if (!chan) return chan.error().code();
  if (chan->capacity() != options.capacity) return kWrongGeometry;
  return created ? kCreated : kOpened;
}

TEST(Channel, TwoProcessesCreatingOrOpeningAtOnceShareOneChannel) {
  for (int round = 0; round < 20; ++round) {
    const std::string name = unique_name("race");
    ScopeExit unlink([&] { (void)Channel::unlink(name); });
    std::array<int, 2> start{};
    ASSERT_EQ(::pipe(start.data()), 0);
    Child first([&] { return create_or_open(name, start); });
    Child second([&] { return create_or_open(name, start); });
    ::close(start[0]);
    ::close(start[1]);  // both children go
    std::array<int, 2> codes{first.wait(std::chrono::seconds(30)),
                             second.wait(std::chrono::seconds(30))};
    std::sort(codes.begin(), codes.end());
    EXPECT_EQ(codes[0], kCreated) << "round " << round << ": exit codes " << codes[0] << ", "
                                  << codes[1];
    EXPECT_EQ(codes[1], kOpened) << "round " << round;
  }
}

}  // namespace
}  // namespace ipckit::test
