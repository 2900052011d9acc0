#include "bench/bench_plot_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "bench/bench_plot_text.hpp"

namespace ipckit::bench::plot {
namespace {

bool drawable(double v) {
  return std::isfinite(v) && v > 0;
}

Role role_of(const Cell& cell) {
  if (cell.mechanism == "shm-spin") return Role::kFloor;
  if (cell.mechanism == "memcpy") return Role::kCeiling;
  return Role::kLine;
}

// Why `row` is not drawn on its chart, or empty when it is.
std::string why_not_drawn(const Row& row, Test test) {
  if (!row.error.empty()) return "failed: " + row.error;
  if (!row.cannot.empty()) return "not run: " + row.cannot;
  const auto value = headline(row, test);
  if (!value) return "no figure";
  if (!drawable(*value)) {
    return fmt::format("{} cannot be drawn on a log scale", figure_text(test, *value));
  }
  if (row.cell.size == 0) return "a size of 0 B cannot be drawn on a log scale";
  return {};
}

Point point_of(const Row& row, Test test) {
  Point p;
  p.size = static_cast<double>(row.cell.size);
  p.value = *headline(row, test);
  // The spread is of the headline's source: p50_ns, or msgs_per_s (bytes/s = msgs/s x size).
  const double scale = test == Test::kLatency ? 1.0 : p.size;
  p.low = row.spread.min * scale;
  p.high = row.spread.max * scale;
  p.has_spread = drawable(p.low) && drawable(p.high) && p.low < p.high;
  return p;
}

std::string spread_text(Test test, const Point& p) {
  if (!p.has_spread) return {};
  return fmt::format(" (min–max {} – {})", figure_text(test, p.low), figure_text(test, p.high));
}

}  // namespace

std::optional<double> headline(const Row& row, Test test) {
  return test == Test::kLatency ? row.p50_ns : row.bytes_per_s;
}

std::string figure_text(Test test, double value) {
  return test == Test::kLatency ? plot_text::duration_ns(value) : plot_text::bytes_per_s(value);
}

Chart make_chart(const Report& report, Test test) {
  Chart chart;
  chart.test = test;
  std::vector<Series> lines, references;
  for (const Row& row : report.rows) {
    if (row.cell.test != test) continue;
    if (row.cell.size > 0) chart.sizes.push_back(static_cast<double>(row.cell.size));
    if (const std::string why = why_not_drawn(row, test); !why.empty()) {
      chart.not_drawn.push_back(plot_text::row_name(row.cell) + ": " + why);
      continue;
    }
    const Point point = point_of(row, test);
    if (row.cell.producers != 1 || row.cell.load != Load::kIdle) {
      chart.single_points.push_back(plot_text::row_name(row.cell) + ": " +
                                    figure_text(test, point.value) + spread_text(test, point));
      continue;
    }
    const Role role = role_of(row.cell);
    auto& group = role == Role::kLine ? lines : references;
    const std::string name = plot_text::series_name(row.cell);
    auto it =
        std::find_if(group.begin(), group.end(), [&](const Series& s) { return s.name == name; });
    if (it == group.end()) {
      group.push_back(
          Series{name, role, role == Role::kLine ? static_cast<int>(lines.size()) : 0, {}});
      it = group.end() - 1;
    }
    it->points.push_back(point);
  }
  std::stable_sort(references.begin(), references.end(),
                   [](const Series& a, const Series& b) { return a.role < b.role; });
  chart.series = std::move(references);
  chart.series.insert(chart.series.end(), std::make_move_iterator(lines.begin()),
                      std::make_move_iterator(lines.end()));
  for (Series& s : chart.series) {
    std::stable_sort(s.points.begin(), s.points.end(),
                     [](const Point& a, const Point& b) { return a.size < b.size; });
  }
  std::sort(chart.sizes.begin(), chart.sizes.end());
  chart.sizes.erase(std::unique(chart.sizes.begin(), chart.sizes.end()), chart.sizes.end());
  return chart;
}

}  // namespace ipckit::bench::plot
