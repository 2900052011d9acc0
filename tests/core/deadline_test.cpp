#include "core/deadline.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace ipckit::detail {
namespace {

using namespace std::chrono_literals;

TEST(CoreDeadline, DeadlineAfterForeverNeverComes) {
  EXPECT_EQ(deadline_after(kForever), Clock::time_point::max());
  EXPECT_EQ(deadline_after(Timeout::max() - 1ns), Clock::time_point::max());  // no overflow
  const auto before = Clock::now();
  const auto deadline = deadline_after(10s);
  EXPECT_GE(deadline, before + 10s);
  EXPECT_LE(deadline, Clock::now() + 10s);
}

TEST(CoreDeadline, NegativeTimeoutCountsAsZero) {
  const auto before = Clock::now();
  const auto deadline = deadline_after(-5s);
  EXPECT_GE(deadline, before);
  EXPECT_LE(deadline, Clock::now());
  EXPECT_EQ(time_left(deadline), 0ns);
}

TEST(CoreDeadline, TimeLeftCountsDownAndNeverGoesNegative) {
  EXPECT_GT(time_left(deadline_after(30s)), 20s);
  EXPECT_EQ(time_left(Clock::now() - 1s), 0ns);
}

TEST(CoreDeadline, RelativeTimespecSplitsSecondsAndClampsNegative) {
  const timespec ts = relative_timespec(2s + 345ns);
  EXPECT_EQ(ts.tv_sec, 2);
  EXPECT_EQ(ts.tv_nsec, 345);
  const timespec zero = relative_timespec(-1s);
  EXPECT_EQ(zero.tv_sec, 0);
  EXPECT_EQ(zero.tv_nsec, 0);
}

}  // namespace
}  // namespace ipckit::detail
