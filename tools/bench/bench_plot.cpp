#include "bench/bench_plot.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_plot_model.hpp"
#include "bench/bench_plot_text.hpp"

namespace ipckit::bench {
namespace {

using plot::Chart;
using plot::Point;
using plot::Role;
using plot::Series;
using plot_text::xml;

// Layout of one chart, in SVG user units (px at 100%).
constexpr double kWidth = 960;
constexpr double kPlotLeft = 86;
constexpr double kPlotRight = 752;  // the end labels of the last size go right of it
constexpr double kPlotTop = 62;
constexpr double kPlotBottom = 432;
constexpr double kLabelGap = 13;     // between two end labels' baselines
constexpr double kLabelOffset = 12;  // from a line's last point to its end label
constexpr double kCharWidth = 6.5;   // a generous average width of an 11 px character
constexpr double kListLine = 16;     // one line of a list under the chart
constexpr double kLegendLine = 18;   // one row of the legend
constexpr int kLegendColumns = 4;
constexpr std::size_t kListChars = 150;  // a listed row is cut to this many characters

// Colours that stay apart on white and for the common colour-vision deficiencies as far as 12
// can; after 12 lines the dashes change too. Black and grey are the reference lines'.
constexpr std::string_view kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                         "#9467bd", "#8c564b", "#e377c2", "#17becf",
                                         "#bcbd22", "#393b79", "#ad494a", "#637939"};
constexpr std::string_view kDashes[] = {"", "7 3", "2 2", "9 3 2 3"};

std::string_view colour(const Series& s) {
  switch (s.role) {
    case Role::kFloor:
      return "#111111";
    case Role::kCeiling:
      return "#6b6b6b";
    case Role::kLine:
      break;
  }
  return kColours[static_cast<std::size_t>(s.style) % std::size(kColours)];
}

std::string_view dashes(const Series& s) {
  switch (s.role) {
    case Role::kFloor:
      return "8 4";
    case Role::kCeiling:
      return "3 3";
    case Role::kLine:
      break;
  }
  return kDashes[(static_cast<std::size_t>(s.style) / std::size(kColours)) % std::size(kDashes)];
}

double stroke_width(const Series& s) {
  if (s.role != Role::kLine) return 1.8;
  return s.name.starts_with("channel") ? 2.4 : 1.6;  // ipckit's own lines stand out a little
}

std::string label_of(const Series& s) {
  switch (s.role) {
    case Role::kFloor:
      return "floor: " + s.name;
    case Role::kCeiling:
      return "ceiling: " + s.name;
    case Role::kLine:
      break;
  }
  return s.name;
}

std::string num(double v) {
  return fmt::format("{:.1f}", v);
}

// Log scales: x is log2(size) (sizes are powers of two in the default matrix), y is log10.
struct Scales {
  double x_lo = 3, x_hi = 6;  // log2 of the size range shown
  double y_lo = 0, y_hi = 3;  // log10 of the value range shown (whole decades)

  double x(double size) const {
    return kPlotLeft + (std::log2(size) - x_lo) / (x_hi - x_lo) * (kPlotRight - kPlotLeft);
  }
  double y(double value) const {
    return kPlotBottom - (std::log10(value) - y_lo) / (y_hi - y_lo) * (kPlotBottom - kPlotTop);
  }
};

Scales scales_of(const Chart& chart) {
  Scales sc;
  if (!chart.sizes.empty()) {
    sc.x_lo = std::log2(chart.sizes.front());
    sc.x_hi = std::log2(chart.sizes.back());
  }
  if (sc.x_hi - sc.x_lo < 1e-9) {  // one size: give it room on both sides
    sc.x_lo -= 1;
    sc.x_hi += 1;
  }
  const double pad = (sc.x_hi - sc.x_lo) * 0.04;
  sc.x_lo -= pad;
  sc.x_hi += pad;

  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (const Series& s : chart.series) {
    for (const Point& p : s.points) {
      lo = std::min({lo, p.value, p.has_spread ? p.low : p.value});
      hi = std::max({hi, p.value, p.has_spread ? p.high : p.value});
    }
  }
  if (lo <= hi) {
    sc.y_lo = std::floor(std::log10(lo));
    sc.y_hi = std::ceil(std::log10(hi));
    if (sc.y_hi - sc.y_lo < 1) sc.y_hi = sc.y_lo + 1;
  } else {
    sc.y_lo = chart.test == Test::kLatency ? 2 : 6;  // nothing drawn: a plausible empty frame
    sc.y_hi = sc.y_lo + 3;
  }
  return sc;
}

void axes(std::string& out, const Chart& chart, const Scales& sc) {
  out += R"(<g class="axes" stroke="#dddddd" stroke-width="1">)";
  // y: a line per decade, and at 2x and 5x when the range is short.
  std::vector<double> y_ticks;
  const bool minor = sc.y_hi - sc.y_lo <= 2;
  for (double d = sc.y_lo; d <= sc.y_hi + 1e-9; d += 1) {
    const double base = std::pow(10.0, d);
    y_ticks.push_back(base);
    if (minor && d < sc.y_hi - 1e-9) {
      y_ticks.push_back(base * 2);
      y_ticks.push_back(base * 5);
    }
  }
  std::string labels;
  for (double v : y_ticks) {
    const double y = sc.y(v);
    fmt::format_to(std::back_inserter(out), R"(<line x1="{}" y1="{}" x2="{}" y2="{}"/>)",
                   num(kPlotLeft), num(y), num(kPlotRight), num(y));
    fmt::format_to(std::back_inserter(labels), R"(<text x="{}" y="{}" text-anchor="end">{}</text>)",
                   num(kPlotLeft - 6), num(y + 4), xml(plot::figure_text(chart.test, v)));
  }
  // x: a line at every size measured, skipping one that would crowd the previous label.
  double last_x = -HUGE_VAL;
  for (double size : chart.sizes) {
    const double x = sc.x(size);
    fmt::format_to(std::back_inserter(out), R"(<line x1="{}" y1="{}" x2="{}" y2="{}"/>)", num(x),
                   num(kPlotTop), num(x), num(kPlotBottom));
    if (x - last_x < 44) continue;
    last_x = x;
    fmt::format_to(std::back_inserter(labels),
                   R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)", num(x),
                   num(kPlotBottom + 16), xml(plot_text::size(size)));
  }
  out += "</g>";
  fmt::format_to(std::back_inserter(out),
                 R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888888"/>)",
                 num(kPlotLeft), num(kPlotTop), num(kPlotRight - kPlotLeft),
                 num(kPlotBottom - kPlotTop));
  fmt::format_to(std::back_inserter(out),
                 R"(<g class="tick-labels" font-size="11" fill="#333333">{}</g>)", labels);
  const double mid_y = (kPlotTop + kPlotBottom) / 2;
  fmt::format_to(
      std::back_inserter(out),
      R"(<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="#333333">message size (log scale)</text>)",
      num((kPlotLeft + kPlotRight) / 2), num(kPlotBottom + 36));
  fmt::format_to(
      std::back_inserter(out),
      R"svg(<text x="{0}" y="{1}" text-anchor="middle" font-size="12" fill="#333333" transform="rotate(-90 {0} {1})">{2}</text>)svg",
      num(18), num(mid_y),
      chart.test == Test::kLatency ? "one-way latency, p50 (log scale)"
                                   : "bytes per second (log scale)");
}

// A marker of `s`'s shape centred on (x, y): circle, square, triangle, diamond by style, with
// `attrs` on its element and `inner` (a <title>, or nothing) inside it.
void marker(std::string& out, const Series& s, double x, double y, std::string_view attrs,
            std::string_view inner = {}) {
  const int shape = s.role == Role::kLine ? s.style % 4 : 0;
  std::string_view tag = "path";
  std::string geometry;
  switch (shape) {
    case 0:
      tag = "circle";
      geometry = fmt::format(R"(cx="{}" cy="{}" r="3.6")", num(x), num(y));
      break;
    case 1:
      tag = "rect";
      geometry = fmt::format(R"(x="{}" y="{}" width="7" height="7")", num(x - 3.5), num(y - 3.5));
      break;
    case 2:
      geometry = fmt::format(R"(d="M{} {}L{} {}L{} {}Z")", num(x), num(y - 4.5), num(x + 4.2),
                             num(y + 3.2), num(x - 4.2), num(y + 3.2));
      break;
    default:
      geometry = fmt::format(R"(d="M{} {}L{} {}L{} {}L{} {}Z")", num(x), num(y - 4.6), num(x + 4.6),
                             num(y), num(x), num(y + 4.6), num(x - 4.6), num(y));
  }
  fmt::format_to(std::back_inserter(out), R"(<{} {} {} fill="{}")", tag, attrs, geometry,
                 colour(s));
  if (inner.empty()) {
    out += "/>";
  } else {
    fmt::format_to(std::back_inserter(out), ">{}</{}>", inner, tag);
  }
}

void stroke_attrs(std::string& out, const Series& s) {
  fmt::format_to(std::back_inserter(out), R"( fill="none" stroke="{}" stroke-width="{}")",
                 colour(s), stroke_width(s));
  if (const auto d = dashes(s); !d.empty()) {
    fmt::format_to(std::back_inserter(out), R"( stroke-dasharray="{}")", d);
  }
}

void draw_series(std::string& out, const Chart& chart, const Series& s, const Scales& sc) {
  static constexpr std::string_view kRole[] = {"line", "floor", "ceiling"};
  fmt::format_to(std::back_inserter(out), R"(<g class="series" data-series="{}" data-role="{}">)",
                 xml(s.name), kRole[static_cast<int>(s.role)]);
  // The line runs through consecutive points, and breaks where a row between them is not drawn.
  std::string segment;
  std::size_t in_segment = 0;
  const auto flush = [&] {
    if (in_segment > 1) {
      segment.back() = '"';
      out += R"(<polyline points=")" + segment;
      stroke_attrs(out, s);
      out += "/>";
    }
    segment.clear();
    in_segment = 0;
  };
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const Point& p = s.points[i];
    if (i > 0) {
      const double before = s.points[i - 1].size;
      if (std::any_of(s.gaps.begin(), s.gaps.end(),
                      [&](double g) { return g > before && g < p.size; })) {
        flush();
      }
    }
    fmt::format_to(std::back_inserter(segment), "{},{} ", num(sc.x(p.size)), num(sc.y(p.value)));
    ++in_segment;
  }
  flush();
  for (const Point& p : s.points) {
    const double x = sc.x(p.size);
    if (p.has_spread) {
      fmt::format_to(
          std::back_inserter(out),
          R"(<path class="spread" d="M{0} {1}V{2}M{3} {1}H{4}M{3} {2}H{4}" stroke="{5}" stroke-width="1" fill="none"/>)",
          num(x), num(sc.y(p.low)), num(sc.y(p.high)), num(x - 3), num(x + 3), colour(s));
    }
    std::string attrs = fmt::format(R"(class="pt" data-size="{}")", p.size);
    std::string tip = fmt::format("{}, {}: {}", s.name, plot_text::size(p.size),
                                  plot::figure_text(chart.test, p.value));
    if (p.has_spread) {
      tip += fmt::format(" (min–max {} – {})", plot::figure_text(chart.test, p.low),
                         plot::figure_text(chart.test, p.high));
    }
    // The marker carries its figure as a tooltip in a browser.
    marker(out, s, x, sc.y(p.value), attrs, fmt::format("<title>{}</title>", xml(tip)));
  }
  out += "</g>";
}

// The name of every series beside its last point. Labels whose text would share columns (those
// that end at the same x, and a long one that ends a size early) are spread apart vertically (at
// least kLabelGap between baselines, kept inside the plot's height) and joined to their point by a
// thin leader when moved; the last size's labels sit in the right margin.
void end_labels(std::string& out, const Chart& chart, const Scales& sc) {
  struct Label {
    double px, py;       // the line's last point
    double y;            // the label's baseline centre
    double left, right;  // the text's estimated columns
    const Series* s;
  };
  std::vector<Label> labels;
  for (const Series& s : chart.series) {
    if (s.points.empty()) continue;
    const Point& last = s.points.back();
    const double px = sc.x(last.size);
    const double width = kCharWidth * static_cast<double>(plot_text::chars(label_of(s)));
    labels.push_back(
        {px, sc.y(last.value), sc.y(last.value), px + kLabelOffset, px + kLabelOffset + width, &s});
  }
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.left < b.left; });
  // Groups of labels whose columns overlap, each then ordered by its line's height.
  std::vector<std::size_t> group_ends;
  double reach = 0;  // the right end of the current group's columns
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i == 0 || labels[i].left >= reach) {
      if (i > 0) group_ends.push_back(i);
      reach = labels[i].right;
    } else {
      reach = std::max(reach, labels[i].right);
    }
  }
  if (!labels.empty()) group_ends.push_back(labels.size());
  out += R"(<g class="end-labels" font-size="11">)";
  std::size_t begin = 0;
  for (const std::size_t end : group_ends) {
    std::stable_sort(labels.begin() + static_cast<std::ptrdiff_t>(begin),
                     labels.begin() + static_cast<std::ptrdiff_t>(end),
                     [](const Label& a, const Label& b) { return a.py < b.py; });
    const double top = kPlotTop + 4, bottom = kPlotBottom + 4;
    for (std::size_t i = begin + 1; i < end; ++i) {
      labels[i].y = std::max(labels[i].y, labels[i - 1].y + kLabelGap);
    }
    if (labels[end - 1].y > bottom) labels[end - 1].y = bottom;
    for (std::size_t i = end - 1; i > begin; --i) {
      labels[i - 1].y = std::min(labels[i - 1].y, labels[i].y - kLabelGap);
    }
    if (labels[begin].y < top) {  // more labels than the height holds: let them run below
      labels[begin].y = top;
      for (std::size_t i = begin + 1; i < end; ++i) {
        labels[i].y = std::max(labels[i].y, labels[i - 1].y + kLabelGap);
      }
    }
    for (std::size_t i = begin; i < end; ++i) {
      const Label& l = labels[i];
      const double lx = l.left;
      const std::string text = label_of(*l.s);
      if (std::fabs(l.y - l.py) > 2) {
        fmt::format_to(std::back_inserter(out),
                       R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="0.8"/>)",
                       num(l.px + 4), num(l.py), num(lx - 2), num(l.y), colour(*l.s));
      }
      fmt::format_to(
          std::back_inserter(out),
          R"(<text class="end-label" x="{}" y="{}" fill="{}" stroke="#ffffff" stroke-width="3" paint-order="stroke" stroke-linejoin="round">{}</text>)",
          num(lx), num(l.y + 4), colour(*l.s), xml(text));
    }
    begin = end;
  }
  out += "</g>";
}

// The legend under the plot: a sample of every line's stroke and marker, and its name.
double legend(std::string& out, const Chart& chart, double top) {
  if (chart.series.empty()) return top;
  const double column = (kWidth - 40) / kLegendColumns;
  out += R"(<g class="legend" font-size="11" fill="#222222">)";
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const Series& s = chart.series[i];
    const std::size_t row = i / kLegendColumns;  // whole rows: the integer division is meant
    const double x = 20 + column * static_cast<double>(i % kLegendColumns);
    const double y = top + kLegendLine * static_cast<double>(row) + 9;
    fmt::format_to(std::back_inserter(out), R"(<line x1="{}" y1="{}" x2="{}" y2="{}")", num(x),
                   num(y), num(x + 26), num(y));
    stroke_attrs(out, s);
    out += "/>";
    marker(out, s, x + 13, y, R"(class="legend-marker")");
    fmt::format_to(std::back_inserter(out), R"(<text x="{}" y="{}">{}</text>)", num(x + 32),
                   num(y + 4), xml(plot_text::clip(label_of(s), 30)));
  }
  out += "</g>";
  const auto rows = (chart.series.size() + kLegendColumns - 1) / kLegendColumns;
  return top + kLegendLine * static_cast<double>(rows) + 6;
}

// A heading and one line per item (cut to kListChars), under the legend.
double list(std::string& out, std::string_view cls, std::string_view heading,
            const std::vector<std::string>& items, double top) {
  if (items.empty()) return top;
  fmt::format_to(std::back_inserter(out), R"(<g class="{}" font-size="11" fill="#222222">)", cls);
  fmt::format_to(std::back_inserter(out), R"(<text x="20" y="{}" font-weight="bold">{}</text>)",
                 num(top + 12), xml(heading));
  double y = top + 12;
  for (const std::string& item : items) {
    y += kListLine;
    fmt::format_to(std::back_inserter(out), R"(<text class="listed" x="30" y="{}">{}</text>)",
                   num(y), xml("• " + plot_text::clip(item, kListChars)));
  }
  out += "</g>";
  return y + 8;
}

struct Drawn {
  std::string body;  // SVG elements, origin at the chart's top left
  double height = 0;
};

Drawn draw_chart(const Report& report, Test test) {
  const Chart chart = plot::make_chart(report, test);
  const Scales sc = scales_of(chart);
  Drawn d;
  std::string& out = d.body;
  fmt::format_to(std::back_inserter(out), R"(<g class="chart" data-test="{}">)",
                 plot_text::test_word(test));
  const bool latency = test == Test::kLatency;
  fmt::format_to(
      std::back_inserter(out),
      R"(<text x="20" y="24" font-size="16" font-weight="bold" fill="#111111">{}</text>)",
      latency ? "One-way latency (p50) by message size" : "Throughput (bytes/s) by message size");
  fmt::format_to(
      std::back_inserter(out), R"(<text x="20" y="42" font-size="11" fill="#555555">{}</text>)",
      latency ? "Median of rounds, log–log; bars: min–max over rounds; lower is better. "
                "Dashed black: the floor (shm-spin)."
              : "Median of rounds, log–log; bars: min–max over rounds; higher is better. "
                "Dashed: the floor (shm-spin) and the ceiling (memcpy).");
  axes(out, chart, sc);
  bool any_point = false;
  for (const Series& s : chart.series)
    any_point = any_point || !s.points.empty();
  if (!any_point) {
    fmt::format_to(
        std::back_inserter(out),
        R"(<text class="empty" x="{}" y="{}" text-anchor="middle" font-size="13" fill="#777777">no {} rows to draw</text>)",
        num((kPlotLeft + kPlotRight) / 2), num((kPlotTop + kPlotBottom) / 2),
        plot_text::test_word(test));
  }
  // References first so the mechanisms' lines are drawn over them.
  for (const Series& s : chart.series)
    draw_series(out, chart, s, sc);
  end_labels(out, chart, sc);
  double y = legend(out, chart, kPlotBottom + 50);
  y = list(out, "single-points",
           "Measured at one size only (in the table, not drawn as lines):", chart.single_points, y);
  y = list(out, "not-drawn",
           fmt::format("Not drawn ({} row{}): failed, not run here, or no figure:",
                       chart.not_drawn.size(), chart.not_drawn.size() == 1 ? "" : "s"),
           chart.not_drawn, y);
  out += "</g>";
  d.height = y + 10;
  return d;
}

// The caption: what ran where. Returns its height.
double caption(std::string& out, const Report& report) {
  out += R"(<g class="caption" font-size="12" fill="#222222">)";
  out += R"(<text x="20" y="24" font-size="18" font-weight="bold">ipckit bench</text>)";
  double y = 24;
  const auto line = [&](const std::string& text) {
    y += 17;
    fmt::format_to(std::back_inserter(out), R"(<text x="20" y="{}">{}</text>)", num(y),
                   xml(plot_text::clip(text, 140)));
  };
  line("Machine: " + (report.machine.empty() ? std::string("not described") : report.machine));
  line("CPUs: " + (report.cpus.empty() ? std::string("not said") : report.cpus) +
       (report.cpus == "unpinned" ? " (the scheduler placed the processes)"
                                  : " (A, the sender or pinger, on the first; B on the second)"));
  for (const std::string& missing : report.peers_missing)
    line("Peer not measured: " + missing);
  out += "</g>";
  return y + 14;
}

std::string open_svg(double height) {
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="12">)"
      R"(<rect width="100%" height="100%" fill="#ffffff"/>)",
      kWidth, num(height));
}

}  // namespace

std::string chart_svg(const Report& report, Test test) {
  const Drawn d = draw_chart(report, test);
  std::string out = open_svg(d.height);
  fmt::format_to(std::back_inserter(out), "<title>ipckit bench: {}</title>",
                 plot_text::test_word(test));
  out += d.body;
  out += "</svg>\n";
  return out;
}

std::string svg(const Report& report) {
  std::string head;
  const double caption_height = caption(head, report);
  const Drawn latency = draw_chart(report, Test::kLatency);
  const Drawn throughput = draw_chart(report, Test::kThroughput);
  std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                    "\n";
  out += open_svg(caption_height + latency.height + throughput.height);
  out += "<title>ipckit bench: latency and throughput by message size</title>";
  out += head;
  fmt::format_to(std::back_inserter(out), R"svg(<g transform="translate(0 {})">{}</g>)svg",
                 num(caption_height), latency.body);
  fmt::format_to(std::back_inserter(out), R"svg(<g transform="translate(0 {})">{}</g>)svg",
                 num(caption_height + latency.height), throughput.body);
  out += "</svg>\n";
  return out;
}

}  // namespace ipckit::bench
