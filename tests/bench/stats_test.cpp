#include "harness/stats.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace ipckit::bench {
namespace {

TEST(BenchStats, PercentileSortedIsNearestRank) {
  std::vector<std::int64_t> v(100);
  std::iota(v.begin(), v.end(), 1);  // 1..100
  EXPECT_EQ(percentile_sorted(v, 0.5), 50);
  EXPECT_EQ(percentile_sorted(v, 0.99), 99);
  EXPECT_EQ(percentile_sorted(v, 0.999), 100);
  EXPECT_EQ(percentile_sorted(v, 1.0), 100);
  EXPECT_EQ(percentile_sorted(v, 0.0), 1);
  EXPECT_EQ(percentile_sorted(std::vector<std::int64_t>{}, 0.5), 0);
  EXPECT_EQ(percentile_sorted(std::vector<std::int64_t>{7}, 0.999), 7);
}

TEST(BenchStats, PercentilesOfShuffledSamplesMatchTheSortedOnes) {
  std::vector<std::int64_t> v(10007);
  std::iota(v.begin(), v.end(), 0);
  std::mt19937 rng(42);
  std::shuffle(v.begin(), v.end(), rng);
  std::vector<std::int64_t> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  const Percentiles p = percentiles(v);
  EXPECT_EQ(p.p50, percentile_sorted(sorted, 0.5));
  EXPECT_EQ(p.p99, percentile_sorted(sorted, 0.99));
  EXPECT_EQ(p.p999, percentile_sorted(sorted, 0.999));
  EXPECT_EQ(p.max, 10006);
}

TEST(BenchStats, PercentilesOfFewSamples) {
  std::vector<std::int64_t> one{5};
  const Percentiles p = percentiles(one);
  EXPECT_EQ(p.p50, 5);
  EXPECT_EQ(p.max, 5);
  std::vector<std::int64_t> three{30, 10, 20};
  const Percentiles q = percentiles(three);
  EXPECT_EQ(q.p50, 20);
  EXPECT_EQ(q.p99, 30);
  EXPECT_EQ(q.max, 30);
  std::vector<std::int64_t> none;
  EXPECT_EQ(percentiles(none).max, 0);
}

TEST(BenchStats, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(median({3, 1, 2}), 2.0);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(median({7}), 7.0);
  EXPECT_EQ(median({}), std::nullopt);
}

}  // namespace
}  // namespace ipckit::bench
