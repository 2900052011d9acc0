// Running a plan (docs/bench.md "How a round runs"): every Step in schedule order, one round at a
// time (never two at once: they would measure each other), through Mechanism::run.
//
// Single-threaded. A stop signal (SIGINT, SIGTERM, SIGHUP; cli/signals.hpp) ends the run after the
// round in progress, whose Link has then removed its objects: `stopped` tells the caller.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <vector>

#include "bench/bench_plan.hpp"
#include "harness/mechanism.hpp"
#include "harness/round.hpp"

namespace ipckit::bench {

struct RunOutcome {
  // results[c]: the rounds of plan[c] that ran, in round order.
  std::vector<std::vector<RoundResult>> results;
  bool stopped = false;  // should_stop() said so before every step ran
};

// Called before each step with the step's index and the whole schedule.
using StepObserver = std::function<void(std::size_t step, std::span<const Step> steps)>;

[[nodiscard]] RunOutcome run_plan(std::span<const PlannedCell> plan, std::span<const Step> steps,
                                  std::span<const Mechanism> mechanisms,
                                  const RoundOptions& options, const StepObserver& before_step,
                                  const std::function<bool()>& should_stop);

// The progress line on stderr: "bench: 12/340 channel busy-poll latency 64 B, round 2/5, ETA 3m12s"
// rewritten in place on a terminal (one line per step elsewhere); finish() clears it.
class ProgressLine {
 public:
  ProgressLine(bool enabled, std::span<const PlannedCell> plan, int rounds,
               std::chrono::milliseconds duration);
  void step(std::size_t index, std::span<const Step> steps);
  void finish();

 private:
  bool enabled_;
  bool terminal_;
  std::span<const PlannedCell> plan_;
  int rounds_;
  std::chrono::milliseconds duration_;
  std::chrono::steady_clock::time_point start_;
  bool printed_ = false;
};

// "3m12s", "45s", "1h02m": an ETA.
[[nodiscard]] std::string format_eta(std::chrono::seconds s);

}  // namespace ipckit::bench
