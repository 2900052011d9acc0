// Order statistics for `ipckit bench`: percentiles of a round's samples and medians over rounds.
// Pure functions, no allocation except where a copy is the point (median()).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ipckit::bench {

// The nearest-rank percentile `q` (0 < q <= 1) of `sorted` (ascending): the smallest value with
// at least q of the samples at or below it. q = 1 gives the maximum.
// REQUIRES: `sorted` is sorted ascending. Returns 0 for an empty span.
std::int64_t percentile_sorted(std::span<const std::int64_t> sorted, double q);

struct Percentiles {
  std::int64_t p50 = 0, p99 = 0, p999 = 0, max = 0;
};
// p50, p99, p99.9 and max of `samples`, which it reorders (partial selection: O(n), no copy).
Percentiles percentiles(std::span<std::int64_t> samples);

// The median of `values`: the middle value, or the mean of the two middle values for an even
// count; nullopt when empty.
std::optional<double> median(std::vector<double> values);

}  // namespace ipckit::bench
