// html(): the page of `ipckit bench --html FILE.html`. Written as polyglot markup (valid HTML5
// and well-formed XML: every element closed, no named entities but XML's), so the tests can parse
// it with an XML parser; styles are in the page, nothing is fetched.
#include <iterator>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "bench/bench_plot.hpp"
#include "bench/bench_plot_model.hpp"
#include "bench/bench_plot_text.hpp"

namespace ipckit::bench {
namespace {

using plot_text::xml;

constexpr std::string_view kStyle = R"(
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
p.caption { margin: 2px 0; font-size: 13px; }
figure { margin: 18px 0; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; }
th { background: #f2f2f2; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.failed td { background: #fde8e8; }
tr.marked td { background: #f4f4f4; color: #666; }
)";

std::string opt(const std::optional<double>& v, std::string (*format)(double)) {
  return v ? format(*v) : std::string();
}

std::string ratio(const std::optional<double>& v) {
  return v ? fmt::format("{:.2f}×", *v) : std::string();
}

std::string spread(const Row& row) {
  if (row.rounds == 0 || !row.error.empty() || !row.cannot.empty()) return {};
  if (row.cell.test == Test::kLatency) {
    return plot_text::duration_ns(row.spread.min) + " – " + plot_text::duration_ns(row.spread.max);
  }
  return plot_text::per_s(row.spread.min) + " – " + plot_text::per_s(row.spread.max);
}

void cell(std::string& out, const std::string& text, bool number = false) {
  fmt::format_to(std::back_inserter(out), "<td{}>{}</td>", number ? R"( class="num")" : "",
                 xml(text));
}

void table(std::string& out, const Report& report) {
  out += "<table><thead><tr>";
  for (std::string_view h : {"mechanism", "mode", "test", "size", "producers", "load", "p50", "p99",
                             "p99.9", "max", "msgs/s", "bytes/s", "spread (min–max)", "× floor",
                             "× pipe", "rounds", "verified", "status", "note"}) {
    fmt::format_to(std::back_inserter(out), "<th>{}</th>", xml(h));
  }
  out += "</tr></thead><tbody>";
  for (const Row& row : report.rows) {
    const bool failed = !row.error.empty();
    const bool marked = !failed && !row.cannot.empty();
    fmt::format_to(std::back_inserter(out), "<tr{}>",
                   failed   ? R"( class="failed")"
                   : marked ? R"( class="marked")"
                            : "");
    cell(out, row.cell.mechanism);
    cell(out, row.cell.mode);
    cell(out, std::string(plot_text::test_word(row.cell.test)));
    cell(out, plot_text::size(static_cast<double>(row.cell.size)), true);
    cell(out, std::to_string(row.cell.producers), true);
    cell(out, std::string(plot_text::load_word(row.cell.load)));
    cell(out, opt(row.p50_ns, plot_text::duration_ns), true);
    cell(out, opt(row.p99_ns, plot_text::duration_ns), true);
    cell(out, opt(row.p999_ns, plot_text::duration_ns), true);
    cell(out, opt(row.max_ns, plot_text::duration_ns), true);
    cell(out, opt(row.msgs_per_s, plot_text::per_s), true);
    cell(out, opt(row.bytes_per_s, plot_text::bytes_per_s), true);
    cell(out, spread(row), true);
    cell(out, ratio(row.vs_floor), true);
    cell(out, ratio(row.vs_pipe), true);
    cell(out, std::to_string(row.rounds), true);
    cell(out, row.verified ? "yes" : "no");
    cell(out, failed ? "failed: " + row.error : marked ? "not run: " + row.cannot : "ok");
    cell(out, row.note);
    out += "</tr>";
  }
  out += "</tbody></table>";
}

}  // namespace

std::string html(const Report& report) {
  std::string out =
      R"(<!DOCTYPE html>)"
      "\n"
      R"(<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>)"
      "<title>ipckit bench</title><style>";
  out += kStyle;
  out += "</style></head><body><h1>ipckit bench</h1>";
  fmt::format_to(std::back_inserter(out), R"(<p class="caption">Machine: {}</p>)",
                 xml(report.machine.empty() ? "not described" : report.machine));
  fmt::format_to(std::back_inserter(out), R"(<p class="caption">CPUs: {}</p>)",
                 xml(report.cpus.empty() ? "not said" : report.cpus));
  for (const std::string& missing : report.peers_missing) {
    fmt::format_to(std::back_inserter(out), R"(<p class="caption">Peer not measured: {}</p>)",
                   xml(missing));
  }
  for (Test test : {Test::kLatency, Test::kThroughput}) {
    out += "<figure>";
    out += chart_svg(report, test);
    out += "</figure>";
  }
  fmt::format_to(std::back_inserter(out), "<h2>Rows ({})</h2>", report.rows.size());
  table(out, report);
  out += "</body></html>\n";
  return out;
}

}  // namespace ipckit::bench
