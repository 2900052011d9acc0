// Unit tests of the handoff engine's dispatcher and deadline heap.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "handoff/dispatcher.hpp"
#include "handoff/event_loop_deadlines.hpp"

namespace ipckit::handoff::detail {
namespace {

using std::chrono::milliseconds;

const auto kSelf = [](const WorkerLoad& w) -> const WorkerLoad& { return w; };

TEST(HandoffDispatcher, EligibleNeedsRoomInFlightAndInCapacity) {
  EXPECT_TRUE(eligible({.number = 1, .capacity = 2, .in_flight = 0, .active = 1}, 16));
  EXPECT_FALSE(eligible({.number = 1, .capacity = 2, .in_flight = 1, .active = 1}, 16));
  EXPECT_FALSE(eligible({.number = 1, .capacity = 64, .in_flight = 2, .active = 0}, 2));
  EXPECT_FALSE(eligible({.number = 1, .capacity = 64, .open = false}, 16));
}

TEST(HandoffDispatcher, LeastBusyPicksTheSmallestShareThenTheLowestNumber) {
  Dispatcher d;
  d.configure(DispatchPolicy::kLeastBusy, 16);
  std::vector<WorkerLoad> w = {{.number = 1, .capacity = 10, .in_flight = 1, .active = 4},
                               {.number = 2, .capacity = 4, .in_flight = 0, .active = 1},
                               {.number = 3, .capacity = 8, .in_flight = 0, .active = 2}};
  EXPECT_EQ(d.pick(w, kSelf), 1u);  // 1/4 = 2/8 < 5/10: the tie goes to worker 2
  w[1].active = 3;
  EXPECT_EQ(d.pick(w, kSelf), 2u);  // 2/8 < 5/10 < 3/4
}

TEST(HandoffDispatcher, LeastBusySkipsIneligibleWorkers) {
  Dispatcher d;
  d.configure(DispatchPolicy::kLeastBusy, 1);
  std::vector<WorkerLoad> w = {{.number = 1, .capacity = 10, .in_flight = 1},
                               {.number = 2, .capacity = 10, .active = 9}};
  EXPECT_EQ(d.pick(w, kSelf), 1u);
  w[1].active = 10;
  EXPECT_EQ(d.pick(w, kSelf), std::nullopt);
}

TEST(HandoffDispatcher, RoundRobinTakesTheNextEligibleAndWraps) {
  Dispatcher d;
  d.configure(DispatchPolicy::kRoundRobin, 16);
  std::vector<WorkerLoad> w = {
      {.number = 2, .capacity = 5}, {.number = 5, .capacity = 5}, {.number = 7, .capacity = 5}};
  EXPECT_EQ(d.pick(w, kSelf), 0u);
  EXPECT_EQ(d.pick(w, kSelf), 1u);
  EXPECT_EQ(d.pick(w, kSelf), 2u);
  EXPECT_EQ(d.pick(w, kSelf), 0u);
  w[1].open = false;
  EXPECT_EQ(d.pick(w, kSelf), 2u);
  w.erase(w.begin() + 2);  // worker 7 gone: the one after 7 is the lowest again
  EXPECT_EQ(d.pick(w, kSelf), 0u);
}

TEST(HandoffDispatcher, NoWorkersNoPick) {
  Dispatcher d;
  std::vector<WorkerLoad> none;
  EXPECT_EQ(d.pick(none, kSelf), std::nullopt);
  d.configure(DispatchPolicy::kRoundRobin, 16);
  EXPECT_EQ(d.pick(none, kSelf), std::nullopt);
}

TEST(HandoffDeadlineHeap, PopsDueDeadlinesEarliestFirst) {
  DeadlineHeap heap;
  const TimePoint t0{};
  heap.push(t0 + milliseconds(30), 3);
  heap.push(t0 + milliseconds(10), 1);
  heap.push(t0 + milliseconds(20), 2);
  Deadline d;
  EXPECT_FALSE(heap.pop_due(t0 + milliseconds(5), d));
  EXPECT_EQ(heap.wait_ms(t0 + milliseconds(5)), 5);
  ASSERT_TRUE(heap.pop_due(t0 + milliseconds(25), d));
  EXPECT_EQ(d.token, 1u);
  ASSERT_TRUE(heap.pop_due(t0 + milliseconds(25), d));
  EXPECT_EQ(d.token, 2u);
  EXPECT_FALSE(heap.pop_due(t0 + milliseconds(25), d));
  EXPECT_EQ(heap.size(), 1u);
}

TEST(HandoffDeadlineHeap, WaitRoundsUpAndCaps) {
  DeadlineHeap heap;
  const TimePoint t0{};
  EXPECT_EQ(heap.wait_ms(t0), -1);
  EXPECT_EQ(heap.wait_ms(t0, 500), 500);
  heap.push(t0 + std::chrono::microseconds(1500), 1);
  EXPECT_EQ(heap.wait_ms(t0), 2);
  EXPECT_EQ(heap.wait_ms(t0 + milliseconds(2)), 0);
  heap.push(t0 + std::chrono::hours(100), 2);
  Deadline d;
  ASSERT_TRUE(heap.pop_due(t0 + milliseconds(2), d));
  EXPECT_EQ(heap.wait_ms(t0, 1000), 1000);
}

}  // namespace
}  // namespace ipckit::handoff::detail
