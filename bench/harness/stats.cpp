#include "harness/stats.hpp"

#include <algorithm>
#include <cmath>

namespace ipckit::bench {
namespace {

// Index of the nearest-rank percentile q among n samples.
std::size_t rank_index(std::size_t n, double q) {
  if (q <= 0) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
  return rank == 0 ? 0 : std::min(rank, n) - 1;
}

}  // namespace

std::int64_t percentile_sorted(std::span<const std::int64_t> sorted, double q) {
  if (sorted.empty()) return 0;
  return sorted[rank_index(sorted.size(), q)];
}

Percentiles percentiles(std::span<std::int64_t> samples) {
  Percentiles p;
  if (samples.empty()) return p;
  const std::size_t n = samples.size();
  // Select from the highest rank down: each nth_element leaves everything above the chosen
  // index >= it, so the next (lower) selection only has to look below.
  auto select = [&](double q, std::size_t limit) {
    const std::size_t i = std::min(rank_index(n, q), limit);
    std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(i),
                     samples.begin() + static_cast<std::ptrdiff_t>(limit + 1));
    return i;
  };
  const std::size_t imax = select(1.0, n - 1);
  p.max = samples[imax];
  const std::size_t i999 = select(0.999, imax);
  p.p999 = samples[i999];
  const std::size_t i99 = select(0.99, i999);
  p.p99 = samples[i99];
  const std::size_t i50 = select(0.50, i99);
  p.p50 = samples[i50];
  return p;
}

std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

}  // namespace ipckit::bench
