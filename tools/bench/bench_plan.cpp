#include "bench/bench_plan.hpp"

#include <algorithm>

namespace ipckit::bench {

namespace {

bool has_test(const Mechanism& m, Test t) {
  return std::find(m.tests.begin(), m.tests.end(), t) != m.tests.end();
}

// The modes of `m` that --only selects (all of them without --only); empty when none.
std::vector<std::string> selected_modes(const Mechanism& m, const Settings& s) {
  if (s.only.empty()) return m.modes;
  std::vector<std::string> modes;
  for (const auto& mode : m.modes) {
    const bool chosen = std::any_of(s.only.begin(), s.only.end(), [&](const Selection& sel) {
      return sel.mechanism == m.name && (!sel.mode || *sel.mode == mode);
    });
    if (chosen) modes.push_back(mode);
  }
  return modes;
}

bool busy_cpu_row(std::string_view name) {
  return std::find(std::begin(kBusyCpuMechanisms), std::end(kBusyCpuMechanisms), name) !=
         std::end(kBusyCpuMechanisms);
}

}  // namespace

std::vector<PlannedCell> make_plan(std::span<const Mechanism> mechanisms,
                                   const Settings& settings) {
  std::vector<PlannedCell> plan;
  const auto add = [&](std::size_t index, Cell cell) {
    const Mechanism& m = mechanisms[index];
    PlannedCell p{std::move(cell), index, {}};
    if (m.cannot) {
      if (auto why = m.cannot(p.cell)) p.cannot = *why;
    }
    plan.push_back(std::move(p));
  };
  const auto sizes_for = [&](Test t) {
    if (!settings.sizes.empty()) return settings.sizes;
    return t == Test::kLatency
               ? std::vector<std::size_t>(std::begin(kLatencySizes), std::end(kLatencySizes))
               : std::vector<std::size_t>(std::begin(kThroughputSizes), std::end(kThroughputSizes));
  };
  const auto throughput_sizes = sizes_for(Test::kThroughput);
  const bool scaling = !settings.quick &&
                       std::find(throughput_sizes.begin(), throughput_sizes.end(), kScalingSize) !=
                           throughput_sizes.end();
  for (std::size_t i = 0; i < mechanisms.size(); ++i) {
    const Mechanism& m = mechanisms[i];
    const auto modes = selected_modes(m, settings);
    for (const auto& mode : modes) {
      for (Test t : {Test::kLatency, Test::kThroughput}) {
        if (!has_test(m, t)) continue;
        for (std::size_t size : sizes_for(t))
          add(i, Cell{m.name, mode, t, size, 1, Load::kIdle});
      }
    }
    if (!scaling) continue;
    // Producer scaling: the mechanism's first selected mode, 2 and 4 producers (up to its max).
    if (!modes.empty() && m.max_producers > 1 && has_test(m, Test::kThroughput)) {
      for (int producers : kScalingProducers) {
        if (producers <= m.max_producers)
          add(i,
              Cell{m.name, modes.front(), Test::kThroughput, kScalingSize, producers, Load::kIdle});
      }
    }
    // Latency with a busy CPU.
    if (busy_cpu_row(m.name) && has_test(m, Test::kLatency)) {
      for (const auto& mode : modes)
        add(i, Cell{m.name, mode, Test::kLatency, kScalingSize, 1, Load::kBusyCpu});
    }
  }
  return plan;
}

std::vector<Step> schedule(std::span<const PlannedCell> plan, int rounds) {
  std::vector<Step> steps;
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t c = 0; c < plan.size(); ++c) {
      if (plan[c].cannot.empty()) steps.push_back({c, r});
    }
  }
  return steps;
}

}  // namespace ipckit::bench
