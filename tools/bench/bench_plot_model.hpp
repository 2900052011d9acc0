// What one chart shows, taken from a Report (bench_plot_model.cpp), before any drawing: the lines
// (one per mechanism/mode), the reference lines, the rows not drawn and why, the rows measured at
// one point only. bench_plot.cpp lays it out; the tests check it through the drawn SVG.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_rows.hpp"

namespace ipckit::bench::plot {

enum class Role {
  kLine,     // a mechanism/mode
  kFloor,    // shm-spin: the bare spin handshake, the lowest a mechanism can reach
  kCeiling,  // memcpy: one thread copying, the most a transfer can reach
};

struct Point {
  double size = 0;           // bytes (> 0)
  double value = 0;          // p50 ns or bytes/s (> 0, finite)
  double low = 0, high = 0;  // the spread, in the same unit
  bool has_spread = false;   // low < high, both > 0 and finite
};

struct Series {
  std::string name;  // plot_text::series_name
  Role role = Role::kLine;
  int style = 0;              // index among the kLine series: picks colour, marker, dashes
  std::vector<Point> points;  // by size
};

struct Chart {
  Test test = Test::kLatency;
  std::vector<Series> series;          // floor, ceiling, then the lines in the report's order
  std::vector<double> sizes;           // every size of this test's rows, ascending, no duplicates
  std::vector<std::string> not_drawn;  // "zmq, 512 B: failed: timed out after 30 s"
  std::vector<std::string> single_points;  // "channel busy-poll, 64 B, 4 producers: 9 GB/s ..."
};

// The chart of `test` over `report`'s rows of that test.
[[nodiscard]] Chart make_chart(const Report& report, Test test);

// The figure a row of `test` is drawn by: p50_ns or bytes_per_s (empty when the row has none).
[[nodiscard]] std::optional<double> headline(const Row& row, Test test);

// "12.3 µs" or "950 MB/s": a figure of `test`'s chart in its unit.
[[nodiscard]] std::string figure_text(Test test, double value);

}  // namespace ipckit::bench::plot
