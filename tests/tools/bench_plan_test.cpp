// The plan of `ipckit bench` (tools/bench/bench_plan.hpp): the default matrix, --quick, --only,
// --sizes, marked cells, and rounds interleaved across cells.
#include "bench/bench_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tools/bench_fakes.hpp"

namespace ipckit::bench {
namespace {

using fakes::BenchTest;
using fakes::fake;

std::vector<Mechanism> machine() {
  return {fake("pipe"),
          fake("shm-spin"),
          fake("posix-shm-futex"),
          fake("sysv-msg"),
          fake("channel", {"busy-poll", "block"}, {BenchTest::kLatency, BenchTest::kThroughput}, 4),
          fake("memcpy", {"default"}, {BenchTest::kThroughput})};
}

std::size_t count(const std::vector<PlannedCell>& plan, auto pred) {
  return static_cast<std::size_t>(std::count_if(plan.begin(), plan.end(), pred));
}

TEST(BenchPlan, DefaultMatrixHasEverySizeOfEveryModeAndTheScalingRows) {
  const auto mechanisms = machine();
  const auto plan = make_plan(mechanisms, Settings{});
  // Latency: 5 mechanisms with latency, channel has 2 modes: 6 series x 5 sizes.
  EXPECT_EQ(count(plan,
                  [](const PlannedCell& p) {
                    return p.cell.test == BenchTest::kLatency && p.cell.load == Load::kIdle;
                  }),
            6U * 5U);
  // Throughput: 6 series (memcpy included) x 5 sizes, plus channel's 2 and 4 producers.
  EXPECT_EQ(count(plan,
                  [](const PlannedCell& p) {
                    return p.cell.test == BenchTest::kThroughput && p.cell.producers == 1;
                  }),
            7U * 5U);
  std::set<int> producers;
  for (const auto& p : plan) {
    if (p.cell.producers > 1) {
      EXPECT_EQ(p.cell.mechanism, "channel");
      EXPECT_EQ(p.cell.mode, "busy-poll");
      EXPECT_EQ(p.cell.size, 64U);
      producers.insert(p.cell.producers);
    }
  }
  EXPECT_EQ(producers, (std::set<int>{2, 4}));
  // Busy CPU: pipe, shm-spin, posix-shm-futex and both channel modes; never sysv-msg or memcpy.
  std::set<std::string> busy;
  for (const auto& p : plan) {
    if (p.cell.load == Load::kBusyCpu) {
      EXPECT_EQ(p.cell.test, BenchTest::kLatency);
      EXPECT_EQ(p.cell.size, 64U);
      busy.insert(p.cell.mechanism + ":" + p.cell.mode);
    }
  }
  EXPECT_EQ(busy,
            (std::set<std::string>{"pipe:default", "shm-spin:default", "posix-shm-futex:default",
                                   "channel:busy-poll", "channel:block"}));
  std::set<std::size_t> latency_sizes, throughput_sizes;
  for (const auto& p : plan)
    (p.cell.test == BenchTest::kLatency ? latency_sizes : throughput_sizes).insert(p.cell.size);
  EXPECT_EQ(latency_sizes, (std::set<std::size_t>{8, 64, 512, 4096, 65536}));
  EXPECT_EQ(throughput_sizes, (std::set<std::size_t>{64, 1024, 16384, 65536, 1048576}));
}

TEST(BenchPlan, ScalingProducersStopAtTheMechanismsMaximum) {
  std::vector<Mechanism> mechanisms{fake("channel", {"busy-poll"}, {BenchTest::kThroughput}, 2)};
  const auto plan = make_plan(mechanisms, Settings{});
  EXPECT_EQ(count(plan, [](const PlannedCell& p) { return p.cell.producers == 2; }), 1U);
  EXPECT_EQ(count(plan, [](const PlannedCell& p) { return p.cell.producers == 4; }), 0U);
}

TEST(BenchPlan, QuickIs64BytesOnlyWithoutScalingRows) {
  const auto mechanisms = machine();
  Settings s;
  s.quick = true;
  s.sizes = {64};
  const auto plan = make_plan(mechanisms, s);
  for (const auto& p : plan) {
    EXPECT_EQ(p.cell.size, 64U);
    EXPECT_EQ(p.cell.producers, 1);
    EXPECT_EQ(p.cell.load, Load::kIdle);
  }
  // 6 latency series + 7 throughput series.
  EXPECT_EQ(plan.size(), 13U);
}

TEST(BenchPlan, OnlySelectsMechanismsAndModes) {
  const auto mechanisms = machine();
  Settings s;
  s.only = {{"pipe", std::nullopt}, {"channel", std::string("block")}};
  s.sizes = {64, 4096};
  const auto plan = make_plan(mechanisms, s);
  std::set<std::string> series;
  for (const auto& p : plan)
    series.insert(p.cell.mechanism + ":" + p.cell.mode);
  EXPECT_EQ(series, (std::set<std::string>{"pipe:default", "channel:block"}));
  for (const auto& p : plan) {
    EXPECT_TRUE(p.cell.size == 64U || p.cell.size == 4096U) << p.cell.size;
    EXPECT_EQ(mechanisms[p.mechanism].name, p.cell.mechanism);
  }
}

TEST(BenchPlan, SizesWithout64HaveNoScalingRows) {
  const auto mechanisms = machine();
  Settings s;
  s.sizes = {4096};
  const auto plan = make_plan(mechanisms, s);
  EXPECT_EQ(count(plan,
                  [](const PlannedCell& p) {
                    return p.cell.producers > 1 || p.cell.load != Load::kIdle;
                  }),
            0U);
}

TEST(BenchPlan, CellsTheMechanismCannotRunAreMarkedWithItsReasonAndNotScheduled) {
  std::vector<Mechanism> mechanisms{fake("sysv-msg")};
  mechanisms[0].cannot = [](const Cell& c) -> std::optional<std::string> {
    if (c.size > 8192) return "message of " + std::to_string(c.size) + " B above msgmax 8192";
    return std::nullopt;
  };
  const auto plan = make_plan(mechanisms, Settings{});
  std::size_t marked = 0;
  for (const auto& p : plan) {
    if (p.cell.size > 8192) {
      EXPECT_EQ(p.cannot, "message of " + std::to_string(p.cell.size) + " B above msgmax 8192");
      ++marked;
    } else {
      EXPECT_TRUE(p.cannot.empty());
    }
  }
  EXPECT_EQ(marked, 4U);  // latency 64K; throughput 16K, 64K, 1M
  const auto steps = schedule(plan, 3);
  EXPECT_EQ(steps.size(), (plan.size() - marked) * 3);
  for (const auto& s : steps)
    EXPECT_TRUE(plan[s.cell].cannot.empty());
}

TEST(BenchPlan, RoundsAreInterleavedEveryCellOncePerRoundInPlanOrder) {
  const auto mechanisms = machine();
  Settings s;
  s.sizes = {64};
  const auto plan = make_plan(mechanisms, s);
  const auto steps = schedule(plan, 3);
  ASSERT_EQ(steps.size(), plan.size() * 3);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].round, static_cast<int>(i / plan.size()));
    EXPECT_EQ(steps[i].cell, i % plan.size());
  }
}

}  // namespace
}  // namespace ipckit::bench
