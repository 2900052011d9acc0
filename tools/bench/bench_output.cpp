#include "bench/bench_output.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "cli/size.hpp"
#include "cli/table.hpp"

namespace ipckit::bench {

namespace {

using cli::table::Cell;
using cli::table::ColumnSpec;
using cli::table::kRight;

bool ran(const Row& r) {
  return r.cannot.empty() && r.error.empty();
}

std::string check_text(const Row& r) {
  if (!r.cannot.empty()) return "marked";
  if (!r.error.empty()) return "FAILED";
  return r.verified ? "verified" : "unverified";
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(const std::optional<double>& v) {
  if (!v) return "";
  return fmt::format("{}", *v);
}

std::string row_label(const Row& r) {
  std::string label = fmt::format("{} {} {} {}", r.cell.mechanism, r.cell.mode,
                                  test_name(r.cell.test), cli::format_size(r.cell.size));
  if (r.cell.producers > 1) label += fmt::format(" x{} producers", r.cell.producers);
  if (r.cell.load != Load::kIdle) label += fmt::format(" ({})", load_name(r.cell.load));
  return label;
}

Cell opt(const std::optional<double>& v, std::string (*format)(double)) {
  if (!v) return Cell();
  return Cell(format(*v));
}

std::string latency_table(const Report& report) {
  std::vector<ColumnSpec> columns{
      {"MECHANISM", "", 0},     {"MODE", "", 0},         {"SIZE", "", kRight},
      {"LOAD", "", 0},          {"P50", "", kRight},     {"P99", "", kRight},
      {"P99.9", "", kRight},    {"MAX", "", kRight},     {"P50-SPREAD", "", kRight},
      {"VS-FLOOR", "", kRight}, {"VS-PIPE", "", kRight}, {"ROUNDS", "", kRight},
      {"CHECK", "", 0},
  };
  cli::table::Options options;
  options.terminal_width = 0;  // never cut a row: a cut figure would mislead
  cli::table::Table t(std::move(columns), options);
  for (const auto& r : report.rows) {
    if (r.cell.test != Test::kLatency) continue;
    const bool figures = ran(r);
    t.add_row({Cell(r.cell.mechanism), Cell(r.cell.mode), Cell(cli::format_size(r.cell.size)),
               Cell(std::string(load_name(r.cell.load))), opt(r.p50_ns, format_ns),
               opt(r.p99_ns, format_ns), opt(r.p999_ns, format_ns), opt(r.max_ns, format_ns),
               figures ? Cell(format_ns(r.spread.min) + "-" + format_ns(r.spread.max)) : Cell(),
               opt(r.vs_floor, format_ratio), opt(r.vs_pipe, format_ratio),
               Cell::number(std::int64_t{r.rounds}), Cell(check_text(r))});
  }
  return t.row_count() == 0 ? std::string() : "Latency (one-way: round trip / 2)\n" + t.render();
}

std::string throughput_table(const Report& report) {
  std::vector<ColumnSpec> columns{
      {"MECHANISM", "", 0},          {"MODE", "", 0},          {"SIZE", "", kRight},
      {"PRODUCERS", "", kRight},     {"MSGS/S", "", kRight},   {"BYTES/S", "", kRight},
      {"MSGS/S-SPREAD", "", kRight}, {"VS-FLOOR", "", kRight}, {"VS-PIPE", "", kRight},
      {"ROUNDS", "", kRight},        {"CHECK", "", 0},
  };
  cli::table::Options options;
  options.terminal_width = 0;
  cli::table::Table t(std::move(columns), options);
  for (const auto& r : report.rows) {
    if (r.cell.test != Test::kThroughput) continue;
    const bool figures = ran(r);
    t.add_row({Cell(r.cell.mechanism), Cell(r.cell.mode), Cell(cli::format_size(r.cell.size)),
               Cell::number(std::int64_t{r.cell.producers}), opt(r.msgs_per_s, format_rate),
               r.bytes_per_s ? Cell(format_rate(*r.bytes_per_s) + "B") : Cell(),
               figures ? Cell(format_rate(r.spread.min) + "-" + format_rate(r.spread.max)) : Cell(),
               opt(r.vs_floor, format_ratio), opt(r.vs_pipe, format_ratio),
               Cell::number(std::int64_t{r.rounds}), Cell(check_text(r))});
  }
  return t.row_count() == 0 ? std::string() : "Throughput (one direction)\n" + t.render();
}

}  // namespace

std::string format_ns(double ns) {
  if (ns < 1000) return fmt::format("{:.0f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.{}f} us", ns / 1e3, ns < 1e4 ? 2 : 1);
  if (ns < 1e9) return fmt::format("{:.{}f} ms", ns / 1e6, ns < 1e7 ? 2 : 1);
  return fmt::format("{:.2f} s", ns / 1e9);
}

std::string format_rate(double v) {
  const auto scaled = [](double x, const char* unit) {
    return fmt::format("{:.{}f} {}", x, x < 10 ? 2 : x < 100 ? 1 : 0, unit);
  };
  if (v >= 1e9) return scaled(v / 1e9, "G");
  if (v >= 1e6) return scaled(v / 1e6, "M");
  if (v >= 1e3) return scaled(v / 1e3, "k");
  return fmt::format("{:.0f} ", v);
}

std::string format_ratio(double ratio) {
  return fmt::format("{:.2f}x", ratio);
}

nlohmann::ordered_json row_json(const Row& r) {
  nlohmann::ordered_json j;
  j["mechanism"] = r.cell.mechanism;
  j["mode"] = r.cell.mode;
  j["test"] = std::string(test_name(r.cell.test));
  j["size"] = r.cell.size;
  j["producers"] = r.cell.producers;
  j["load"] = std::string(load_name(r.cell.load));
  const auto put = [&](const char* key, const std::optional<double>& v, bool integral) {
    if (!v) return;
    if (integral) {
      j[key] = static_cast<std::int64_t>(std::llround(*v));
    } else {
      j[key] = *v;
    }
  };
  put("p50_ns", r.p50_ns, true);
  put("p99_ns", r.p99_ns, true);
  put("p999_ns", r.p999_ns, true);
  put("max_ns", r.max_ns, true);
  put("msgs_per_s", r.msgs_per_s, false);
  put("bytes_per_s", r.bytes_per_s, false);
  j["rounds"] = r.rounds;
  if (ran(r)) j["spread"] = {{"min", r.spread.min}, {"max", r.spread.max}};
  put("vs_floor", r.vs_floor, false);
  put("vs_pipe", r.vs_pipe, false);
  j["verified"] = ran(r) && r.verified;
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.cannot.empty()) j["cannot"] = r.cannot;
  if (!r.note.empty()) j["note"] = r.note;
  return j;
}

std::string json_text(const Report& report) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& r : report.rows)
    rows.push_back(row_json(r));
  return rows.dump(2) + "\n";
}

std::string csv_text(const Report& report) {
  std::string out =
      "mechanism,mode,test,size,producers,load,p50_ns,p99_ns,p999_ns,max_ns,msgs_per_s,"
      "bytes_per_s,rounds,spread_min,spread_max,vs_floor,vs_pipe,verified,error,cannot,note\n";
  for (const auto& r : report.rows) {
    const auto ns = [](const std::optional<double>& v) -> std::string {
      return v ? fmt::format("{}", std::llround(*v)) : "";
    };
    const bool figures = ran(r);
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                       csv_field(r.cell.mechanism), csv_field(r.cell.mode), test_name(r.cell.test),
                       r.cell.size, r.cell.producers, load_name(r.cell.load), ns(r.p50_ns),
                       ns(r.p99_ns), ns(r.p999_ns), ns(r.max_ns), csv_number(r.msgs_per_s),
                       csv_number(r.bytes_per_s), r.rounds,
                       figures ? fmt::format("{}", r.spread.min) : "",
                       figures ? fmt::format("{}", r.spread.max) : "", csv_number(r.vs_floor),
                       csv_number(r.vs_pipe), figures && r.verified ? "true" : "false",
                       csv_field(r.error), csv_field(r.cannot), csv_field(r.note));
  }
  return out;
}

std::string table_text(const Report& report) {
  std::string out = fmt::format("machine: {}\ncpus: {} (A, B)\n", report.machine, report.cpus);
  if (report.cpus == "unpinned") out = fmt::format("machine: {}\ncpus: unpinned\n", report.machine);
  for (const std::string& table : {latency_table(report), throughput_table(report)}) {
    if (!table.empty()) out += "\n" + table;
  }
  std::string failed, marked, notes;
  for (const auto& r : report.rows) {
    if (!r.error.empty()) failed += fmt::format("  {}: {}\n", row_label(r), r.error);
    if (!r.cannot.empty()) marked += fmt::format("  {}: {}\n", row_label(r), r.cannot);
  }
  std::vector<std::string> seen;
  for (const auto& r : report.rows) {
    if (r.note.empty() || std::find(seen.begin(), seen.end(), r.cell.mechanism) != seen.end())
      continue;
    seen.push_back(r.cell.mechanism);
    notes += fmt::format("  {}: {}\n", r.cell.mechanism, r.note);
  }
  if (!failed.empty()) out += "\nfailed rows (no figures):\n" + failed;
  if (!marked.empty()) out += "\nmarked rows (cannot run here, not measured):\n" + marked;
  if (!notes.empty()) out += "\nnotes:\n" + notes;
  if (!report.peers_missing.empty()) {
    out += "\npeers not measured:\n";
    for (const auto& p : report.peers_missing)
      out += "  " + p + "\n";
  }
  return out;
}

}  // namespace ipckit::bench
