// From rounds to Rows (docs/bench.md "Rows" and "Ratios"). Pure.
//
// A row's figures are the medians over its rounds; its spread is the min and max of its
// headline figure (p50_ns for latency, msgs_per_s for throughput). A row with any failed round
// is failed: it keeps the first failing round's error and no figures. Ratios are computed per
// round against the reference row of the same round (same test, size and load; one producer;
// mode "default"), then the median over the rounds where both ran is taken.
#pragma once

#include <span>
#include <vector>

#include "bench/bench_plan.hpp"
#include "bench/bench_rows.hpp"
#include "harness/mechanism.hpp"
#include "harness/round.hpp"
#include "harness/stats.hpp"  // median()

namespace ipckit::bench {

// `results[c]` holds the rounds of plan[c] that ran, in round order (empty for a marked cell or
// one the run never reached). `mechanisms` are those the plan was made from (for the notes).
[[nodiscard]] std::vector<Row> aggregate(std::span<const PlannedCell> plan,
                                         std::span<const std::vector<RoundResult>> results,
                                         std::span<const Mechanism> mechanisms);

// The headline figure of a round of a `test` cell.
[[nodiscard]] double headline(Test test, const RoundResult& r);

}  // namespace ipckit::bench
