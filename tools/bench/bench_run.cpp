#include "bench/bench_run.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

#include "cli/output.hpp"
#include "cli/size.hpp"

namespace ipckit::bench {

RunOutcome run_plan(std::span<const PlannedCell> plan, std::span<const Step> steps,
                    std::span<const Mechanism> mechanisms, const RoundOptions& options,
                    const StepObserver& before_step, const std::function<bool()>& should_stop) {
  RunOutcome out;
  out.results.resize(plan.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (should_stop && should_stop()) {
      out.stopped = true;
      break;
    }
    if (before_step) before_step(i, steps);
    const PlannedCell& p = plan[steps[i].cell];
    const Mechanism& m = mechanisms[p.mechanism];
    RoundResult r;
    if (m.run) {
      r = m.run(p.cell, options);
    } else {
      r.error = "the mechanism has no runner in this build";
    }
    out.results[steps[i].cell].push_back(std::move(r));
  }
  return out;
}

std::string format_eta(std::chrono::seconds s) {
  const auto total = s.count() < 0 ? 0 : s.count();
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, total % 3600 / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

ProgressLine::ProgressLine(bool enabled, std::span<const PlannedCell> plan, int rounds,
                           std::chrono::milliseconds duration)
    : enabled_(enabled),
      terminal_(::isatty(STDERR_FILENO) == 1),
      plan_(plan),
      rounds_(rounds),
      duration_(duration),
      start_(std::chrono::steady_clock::now()) {}

void ProgressLine::step(std::size_t index, std::span<const Step> steps) {
  if (!enabled_) return;
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  const auto elapsed = std::chrono::steady_clock::now() - start_;
  const std::size_t left = steps.size() - index;
  // Before the first step: a guess of the duration plus about 0.1 s of set-up per round.
  using Clock = std::chrono::steady_clock;
  const Clock::duration per_step =
      index == 0
          ? std::chrono::duration_cast<Clock::duration>(duration_ + std::chrono::milliseconds(100))
          : elapsed / static_cast<Clock::rep>(index);
  const auto eta = duration_cast<seconds>(per_step * static_cast<Clock::rep>(left));
  const Cell& c = plan_[steps[index].cell].cell;
  std::string what =
      fmt::format("{} {} {} {}", c.mechanism, c.mode, test_name(c.test), cli::format_size(c.size));
  if (c.producers > 1) what += fmt::format(" x{} producers", c.producers);
  if (c.load != Load::kIdle) what += fmt::format(" ({})", load_name(c.load));
  const std::string line =
      fmt::format("bench: {}/{} {}, round {}/{}, ETA {}", index + 1, steps.size(), what,
                  steps[index].round + 1, rounds_, format_eta(eta));
  if (terminal_) {
    cli::write_text(stderr, "\r" + line + "\x1b[K");
  } else {
    cli::write_text(stderr, line + "\n");
  }
  std::fflush(stderr);
  printed_ = true;
}

void ProgressLine::finish() {
  if (enabled_ && terminal_ && printed_) {
    cli::write_text(stderr, "\r\x1b[K");
    std::fflush(stderr);
  }
}

}  // namespace ipckit::bench
