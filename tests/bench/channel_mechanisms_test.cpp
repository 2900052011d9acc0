// The channel and shared-state mechanisms of `ipckit bench` (bench/harness/mechanisms/): every
// mode runs a short verified round of each test; several producers; shared-state's snapshots;
// bad cells fail with a reason; nothing is left in /dev/shm. No speed is asserted.
#include <unistd.h>

#include <filesystem>
#include <string>

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "bench/verified_round.hpp"
#include "harness/mechanism.hpp"
#include "harness/mechanisms/channel_link.hpp"
#include "harness/runner.hpp"

namespace ipckit::bench {
namespace {

using namespace std::chrono_literals;
// Inside a TEST body, `Test` is gtest's fixture class.
using Kind = ::ipckit::bench::Test;

const Mechanism& find(std::string_view name) {
  static const std::vector<Mechanism> all = channel_mechanisms();
  for (const auto& m : all)
    if (m.name == name) return m;
  throw std::runtime_error("no mechanism " + std::string(name));
}

RoundOptions short_round() {
  RoundOptions o;
  o.duration = 200ms;  // long enough to complete round trips on a loaded machine
  o.cpus = default_cpus();
  o.deadline = 60s;
  return o;
}

// One round of `cell`. (The runner itself goes on until something was measured, however late a
// loaded machine schedules the round's processes.)
RoundResult run_round(const Mechanism& m, const Cell& cell) {
  return m.run(cell, short_round());
}

// Objects this process's rounds created and left behind in /dev/shm.
int leftovers() {
  const std::string prefix = fmt::format("ipckit-bench-{}-", ::getpid());
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/dev/shm"))
    n += e.path().filename().string().starts_with(prefix) ? 1 : 0;
  return n;
}

using testing::expect_verified_round;

TEST(BenchChannel, RegistryNamesTheModesAndFourProducers) {
  const Mechanism& ch = find("channel");
  EXPECT_EQ(ch.modes, (std::vector<std::string>{"busy-poll", "spin-then-block", "block",
                                                "busy-poll-peek", "busy-poll-zero-copy"}));
  EXPECT_EQ(ch.max_producers, 4);
  EXPECT_EQ(find("shared-state").max_producers, 1);
}

TEST(BenchChannel, EveryModeRunsAVerifiedRoundOfEachTest) {
  const Mechanism& ch = find("channel");
  for (const auto& mode : ch.modes) {
    for (Kind test : {Kind::kLatency, Kind::kThroughput}) {
      for (std::size_t size : {std::size_t{8}, std::size_t{65536}}) {
        Cell cell{.mechanism = "channel", .mode = mode, .test = test, .size = size};
        ASSERT_FALSE(ch.cannot(cell));
        expect_verified_round(run_round(ch, cell), cell);
      }
    }
  }
  EXPECT_EQ(leftovers(), 0);
}

TEST(BenchChannel, SeveralProducersShareOneChannel) {
  const Mechanism& ch = find("channel");
  for (int producers : {2, 4}) {
    for (const char* mode : {"busy-poll", "busy-poll-zero-copy"}) {
      Cell cell{.mechanism = "channel",
                .mode = mode,
                .test = Kind::kThroughput,
                .size = 64,
                .producers = producers};
      expect_verified_round(run_round(ch, cell), cell);
    }
  }
  EXPECT_EQ(leftovers(), 0);
}

TEST(BenchChannel, OneMebibyteMessagesGetARingLargeEnough) {
  const Mechanism& ch = find("channel");
  Cell cell{
      .mechanism = "channel", .mode = "busy-poll", .test = Kind::kThroughput, .size = 1 << 20};
  expect_verified_round(run_round(ch, cell), cell);
}

TEST(BenchChannel, BusyCpuLoadStillVerifies) {
  const Mechanism& ch = find("channel");
  Cell cell{.mechanism = "channel",
            .mode = "spin-then-block",
            .test = Kind::kLatency,
            .size = 64,
            .load = Load::kBusyCpu};
  expect_verified_round(run_round(ch, cell), cell);
}

TEST(BenchChannel, AnUnknownModeFailsWithEinvalAndCreatesNothing) {
  auto link = make_channel_link({.mechanism = "channel", .mode = "turbo"});
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().code(), EINVAL);
  EXPECT_NE(link.error().message().find("turbo"), std::string::npos) << link.error().message();
  RoundResult r = find("channel").run({.mechanism = "channel", .mode = "turbo"}, short_round());
  EXPECT_NE(r.error, "");
  EXPECT_FALSE(r.verified);
  EXPECT_EQ(leftovers(), 0);
}

TEST(BenchChannel, AMessageLargerThanTheLargestRingIsMarked) {
  const Mechanism& ch = find("channel");
  auto reason =
      ch.cannot({.mechanism = "channel", .mode = "busy-poll", .size = std::size_t{1} << 30});
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("bytes"), std::string::npos) << *reason;
}

TEST(BenchSharedState, SnapshotsWhileTheWriterRepublishesAreVerified) {
  const Mechanism& st = find("shared-state");
  for (Kind test : {Kind::kLatency, Kind::kThroughput}) {
    for (std::size_t size : {std::size_t{64}, std::size_t{65536}}) {
      Cell cell{.mechanism = "shared-state", .mode = "default", .test = test, .size = size};
      ASSERT_FALSE(st.cannot(cell));
      expect_verified_round(run_round(st, cell), cell);
    }
  }
  EXPECT_EQ(leftovers(), 0);
}

TEST(BenchSharedState, OneWriterOnlyAndSizesBelowEightFail) {
  const Mechanism& st = find("shared-state");
  EXPECT_TRUE(st.cannot({.mechanism = "shared-state", .mode = "default", .producers = 2}));
  RoundResult r =
      st.run({.mechanism = "shared-state", .mode = "default", .size = 4}, short_round());
  EXPECT_NE(r.error, "");
  EXPECT_FALSE(r.verified);
}

}  // namespace
}  // namespace ipckit::bench
