// Unit tests of the handoff engine's per-address screens: the pass cache, the rate limiter and
// the concurrency counts. Time is passed in, so nothing sleeps.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "handoff/address_counts.hpp"
#include "handoff/pass_cache.hpp"
#include "handoff/rate_limiter.hpp"

namespace ipckit::handoff::detail {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

AddressKey v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  AddressKey key;
  key.bytes = {a, b, c, d};
  return key;
}

AddressKey numbered(std::uint32_t n) {
  return v4(10, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
            static_cast<std::uint8_t>(n));
}

const TimePoint kStart = TimePoint(seconds(1000));

TEST(HandoffPassCache, RemembersAPassUntilItsTtlEnds) {
  PassCache cache;
  cache.configure(seconds(10), 100);
  EXPECT_FALSE(cache.hit(v4(192, 0, 2, 1), kStart));
  cache.insert(v4(192, 0, 2, 1), kStart);
  EXPECT_TRUE(cache.hit(v4(192, 0, 2, 1), kStart + seconds(9)));
  EXPECT_FALSE(cache.hit(v4(192, 0, 2, 2), kStart + seconds(9)));
  EXPECT_FALSE(cache.hit(v4(192, 0, 2, 1), kStart + seconds(10)));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(HandoffPassCache, EvictsTheOldestWhenFull) {
  PassCache cache;
  cache.configure(seconds(60), 3);
  for (std::uint32_t i = 0; i < 4; ++i)
    cache.insert(numbered(i), kStart + seconds(i));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.hit(numbered(0), kStart + seconds(5)));
  EXPECT_TRUE(cache.hit(numbered(1), kStart + seconds(5)));
  EXPECT_TRUE(cache.hit(numbered(3), kStart + seconds(5)));
}

TEST(HandoffPassCache, ARenewedPassIsNoLongerTheOldest) {
  PassCache cache;
  cache.configure(seconds(60), 2);
  cache.insert(numbered(1), kStart);
  cache.insert(numbered(2), kStart + seconds(1));
  cache.insert(numbered(1), kStart + seconds(2));  // renewed: 2 is now the oldest
  cache.insert(numbered(3), kStart + seconds(3));
  EXPECT_TRUE(cache.hit(numbered(1), kStart + seconds(4)));
  EXPECT_FALSE(cache.hit(numbered(2), kStart + seconds(4)));
  EXPECT_TRUE(cache.hit(numbered(1), kStart + seconds(61)));  // renewed at +2: until +62
  EXPECT_FALSE(cache.hit(numbered(1), kStart + seconds(62)));
}

TEST(HandoffPassCache, ZeroTtlTurnsItOffAndEmptiesIt) {
  PassCache cache;
  cache.configure(seconds(60), 10);
  cache.insert(numbered(1), kStart);
  cache.configure(seconds(0), 10);
  EXPECT_EQ(cache.size(), 0u);
  cache.insert(numbered(1), kStart);
  EXPECT_FALSE(cache.hit(numbered(1), kStart));
}

TEST(HandoffPassCache, TenThousandEntriesExpireTogether) {
  PassCache cache;
  cache.configure(seconds(30), 100'000);
  for (std::uint32_t i = 0; i < 10'000; ++i)
    cache.insert(numbered(i), kStart);
  EXPECT_EQ(cache.size(), 10'000u);
  EXPECT_TRUE(cache.hit(numbered(9'999), kStart + seconds(29)));
  cache.expire(kStart + seconds(30));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(HandoffRateLimiter, PassesABurstOfTheLimitThenRefuses) {
  RateLimiter rate;
  rate.configure(3, seconds(60));
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(rate.admit(v4(192, 0, 2, 1), kStart)) << i;
  EXPECT_FALSE(rate.admit(v4(192, 0, 2, 1), kStart));
  EXPECT_TRUE(rate.admit(v4(192, 0, 2, 2), kStart)) << "another address has its own budget";
}

TEST(HandoffRateLimiter, OneMorePassesEachPeriodOverTheLimit) {
  RateLimiter rate;
  rate.configure(3, seconds(60));
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(rate.admit(numbered(1), kStart));
  EXPECT_FALSE(rate.admit(numbered(1), kStart + seconds(19)));
  EXPECT_TRUE(rate.admit(numbered(1), kStart + seconds(20)));
  EXPECT_FALSE(rate.admit(numbered(1), kStart + seconds(21)));
  EXPECT_TRUE(rate.admit(numbered(1), kStart + seconds(40)));
}

TEST(HandoffRateLimiter, RefusalsDoNotUseUpTheBudget) {
  RateLimiter rate;
  rate.configure(1, seconds(10));
  ASSERT_TRUE(rate.admit(numbered(1), kStart));
  for (int i = 1; i < 10; ++i)
    EXPECT_FALSE(rate.admit(numbered(1), kStart + seconds(i)));
  EXPECT_TRUE(rate.admit(numbered(1), kStart + seconds(10)));
}

TEST(HandoffRateLimiter, ForgetsAddressesIdleForAPeriod) {
  RateLimiter rate;
  rate.configure(5, seconds(10));
  for (std::uint32_t i = 0; i < 1000; ++i)
    ASSERT_TRUE(rate.admit(numbered(i), kStart));
  EXPECT_EQ(rate.size(), 1000u);
  ASSERT_TRUE(rate.admit(numbered(5000), kStart + seconds(10)));
  EXPECT_EQ(rate.size(), 1u);
}

TEST(HandoffRateLimiter, ZeroConnectionsIsNoLimit) {
  RateLimiter rate;
  rate.configure(0, seconds(10));
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(rate.admit(numbered(1), kStart));
  EXPECT_EQ(rate.size(), 0u);
}

TEST(HandoffAddressCounts, RefusesPastTheLimitAndForgetsAtZero) {
  AddressCounts counts;
  EXPECT_TRUE(counts.try_acquire(numbered(1), 2));
  EXPECT_TRUE(counts.try_acquire(numbered(1), 2));
  EXPECT_FALSE(counts.try_acquire(numbered(1), 2));
  EXPECT_TRUE(counts.try_acquire(numbered(2), 2));
  EXPECT_EQ(counts.count(numbered(1)), 2u);
  counts.release(numbered(1));
  EXPECT_TRUE(counts.try_acquire(numbered(1), 2));
  counts.release(numbered(1));
  counts.release(numbered(1));
  counts.release(numbered(2));
  EXPECT_EQ(counts.size(), 0u);
}

TEST(HandoffAddressCounts, ZeroLimitCountsWithoutRefusing) {
  AddressCounts counts;
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(counts.try_acquire(numbered(1), 0));
  EXPECT_EQ(counts.count(numbered(1)), 5u);
}

}  // namespace
}  // namespace ipckit::handoff::detail
