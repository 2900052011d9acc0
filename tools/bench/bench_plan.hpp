// The plan of one `ipckit bench` run (docs/bench.md "The matrix"): which cells run, in which
// order. Pure: it looks only at the mechanisms' descriptions and the settings.
//
// Order: rounds are interleaved. Round r runs every runnable cell once, in plan order, before
// round r + 1 starts, so a slow phase of the machine hits every mechanism alike.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "harness/mechanism.hpp"
#include "harness/round.hpp"

namespace ipckit::bench {

// The default matrix (bench-design: latency 8 B to 64 KiB, throughput 64 B to 1 MiB).
inline constexpr std::size_t kLatencySizes[] = {8, 64, 512, 4096, 65536};
inline constexpr std::size_t kThroughputSizes[] = {64, 1024, 16384, 65536, 1048576};
// Scaling rows: throughput at this size with more producers, latency with a busy CPU.
inline constexpr std::size_t kScalingSize = 64;
inline constexpr int kScalingProducers[] = {2, 4};
// The mechanisms whose latency is also measured with a busy CPU (plus every channel mode).
inline constexpr std::string_view kBusyCpuMechanisms[] = {"pipe", "unix-stream", "posix-shm-futex",
                                                          "shm-spin", "channel"};

// The reference rows ratios are computed against (docs/bench.md "Ratios").
inline constexpr std::string_view kFloor = "shm-spin";
inline constexpr std::string_view kPipe = "pipe";

struct PlannedCell {
  Cell cell;
  std::size_t mechanism = 0;  // index into the mechanisms the plan was made from
  std::string cannot;         // non-empty: marked, never run (Mechanism::cannot's reason)
};

// Every cell of the run, in table order: per mechanism (in `mechanisms` order) and mode,
// latency by size, then throughput by size, then the scaling rows.
[[nodiscard]] std::vector<PlannedCell> make_plan(std::span<const Mechanism> mechanisms,
                                                 const Settings& settings);

// One round of one cell, in run order.
struct Step {
  std::size_t cell;  // index into the plan
  int round;         // 0-based
};

// The run order: for each round, every cell that is not marked.
[[nodiscard]] std::vector<Step> schedule(std::span<const PlannedCell> plan, int rounds);

}  // namespace ipckit::bench
