// What `ipckit bench` reports: one Row per cell, aggregated over its rounds (docs/bench.md,
// "Rows"). Made by bench_run.cpp, printed by bench_output.cpp, drawn by bench_plot.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/round.hpp"

namespace ipckit::bench {

struct Spread {
  double min = 0, max = 0;  // of the row's headline figure (p50_ns or msgs_per_s) over rounds
};

struct Row {
  Cell cell;
  int rounds = 0;         // rounds that ran (all of them, or none for a marked row)
  bool verified = false;  // every round's receiver checked every byte
  std::string error;      // the first failing round's error (the row then has no figures)
  std::string cannot;     // why the cell was not run here (msgmax, ...): marked, never faked
  // Medians over rounds. Latency rows:
  std::optional<double> p50_ns, p99_ns, p999_ns, max_ns;
  // Throughput rows:
  std::optional<double> msgs_per_s, bytes_per_s;
  Spread spread;
  // Medians over rounds of this row's headline figure divided by the same round's figure for
  // the floor (shm-spin, same test and size, mode "default") and for pipe. Latency: >1 is
  // slower. Throughput: <1 is slower. Empty when that reference did not run.
  std::optional<double> vs_floor, vs_pipe;
  std::string note;  // the mechanism's note (e.g. how a peer was made lossless)
};

struct Report {
  std::vector<Row> rows;
  std::string cpus;                        // "3,5" or "unpinned"
  std::string machine;                     // CPU model, cores, kernel: one line
  std::vector<std::string> peers_missing;  // one line each: name and why
};

}  // namespace ipckit::bench
