// What every mechanism's verified round must show, whatever the mechanism (tests/bench/*).
#pragma once

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "harness/round.hpp"

namespace ipckit::bench::testing {

// A round of `cell` that ran, checked every byte and measured something consistent.
inline void expect_verified_round(const RoundResult& r, const Cell& cell) {
  SCOPED_TRACE(fmt::format("{} {} {} size {} producers {}", cell.mechanism, cell.mode,
                           test_name(cell.test), cell.size, cell.producers));
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.verified);
  EXPECT_GT(r.messages, 0u);
  if (cell.test == Test::kLatency) {
    EXPECT_GT(r.samples, 0u);
    EXPECT_GT(r.p50_ns, 0);
    EXPECT_LE(r.p50_ns, r.p99_ns);
    EXPECT_LE(r.p99_ns, r.p999_ns);
    EXPECT_LE(r.p999_ns, r.max_ns);
  } else {
    EXPECT_GT(r.msgs_per_s, 0.0);
    EXPECT_DOUBLE_EQ(r.bytes_per_s, r.msgs_per_s * static_cast<double>(cell.size));
  }
}

}  // namespace ipckit::bench::testing
