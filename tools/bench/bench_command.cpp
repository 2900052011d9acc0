// `ipckit bench`: every local IPC mechanism and the peers found, measured side by side on this
// machine (docs/bench.md). This file registers the command and ties its parts together: the
// options (bench_options), the plan (bench_plan), the run (bench_run), the rows (bench_aggregate)
// and the output (bench_output, bench_plot).
//
// Exit codes: 0 every row ran or was marked; 1 at least one row failed (or an output file could
// not be written); 2 a bad command line (one line on stderr; nothing measured or written).
#include <fmt/core.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "bench/bench_aggregate.hpp"
#include "bench/bench_machine.hpp"
#include "bench/bench_options.hpp"
#include "bench/bench_output.hpp"
#include "bench/bench_plan.hpp"
#include "bench/bench_plot.hpp"
#include "bench/bench_run.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/io.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/signals.hpp"
#include "cli/usage.hpp"
#include "harness/mechanism.hpp"
#include "harness/peers.hpp"
#include "harness/runner.hpp"

namespace ipckit::cli::bench_cmd {

namespace {

using namespace ::ipckit::bench;

constexpr int kExitBenchUsage = 2;  // docs/bench.md "Exit codes"
constexpr std::string_view kBench = "bench";

// The mechanisms this run can measure (built-in, then each peer found) and every peer's status.
struct Mechanisms {
  std::vector<Mechanism> all;
  std::vector<PeerStatus> peers;
};

Mechanisms load_mechanisms() {
  Mechanisms m{builtin_mechanisms(), find_peers()};
  for (const auto& p : m.peers) {
    if (p.found) m.all.push_back(peer_mechanism(p));
  }
  return m;
}

std::vector<KnownMechanism> known_mechanisms(const Mechanisms& m) {
  std::vector<KnownMechanism> known;
  for (const auto& mech : m.all)
    known.push_back({mech.name, mech.modes, {}});
  for (const auto& p : m.peers) {
    if (!p.found) known.push_back({p.name, {}, p.why_missing});
  }
  return known;
}

std::string joined(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : std::string(sep)) + i;
  return out;
}

int print_list(const Mechanisms& m) {
  std::string out = "mechanisms (NAME: modes; tests; notes):\n";
  for (const auto& mech : m.all) {
    std::vector<std::string> tests;
    for (Test t : mech.tests)
      tests.emplace_back(test_name(t));
    out += fmt::format("  {}: {}; {}", mech.name, joined(mech.modes, ", "), joined(tests, ", "));
    if (mech.max_producers > 1) out += fmt::format("; up to {} producers", mech.max_producers);
    if (!mech.note.empty()) out += "; " + mech.note;
    out += "\n";
  }
  out += "peers:\n";
  for (const auto& p : m.peers) {
    out += p.found ? fmt::format("  {}: found, {}\n", p.name, p.program.string())
                   : fmt::format("  {}: missing: {}\n", p.name, p.why_missing);
  }
  write_text(stdout, out);
  return kExitOk;
}

Result<void> write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return fail_errno("open", path);
  out << text;
  out.close();
  if (!out) return fail(EIO, "write", path);
  return {};
}

int run_bench(const BenchArgs& args) {
  Mechanisms mechanisms = load_mechanisms();
  const auto known = known_mechanisms(mechanisms);
  auto settings = validate(args, known);
  if (!settings) {
    warn("{}: {}", kBench, settings.error());
    return kExitBenchUsage;
  }
  if (settings->list) return print_list(mechanisms);
  if (auto r = StopSignals::install(); !r) return report(kBench, r.error());

  const auto plan = make_plan(mechanisms.all, *settings);
  const auto steps = schedule(plan, settings->rounds);
  RoundOptions options;
  options.duration = settings->duration;
  options.cpus = settings->pin ? default_cpus() : std::nullopt;

  ProgressLine progress(progress_wanted(settings->progress, -1), plan, settings->rounds,
                        settings->duration);
  const auto outcome = run_plan(
      plan, steps, mechanisms.all, options,
      [&](std::size_t i, std::span<const Step> all) { progress.step(i, all); },
      [] { return StopSignals::caught() != 0; });
  progress.finish();
  StopSignals::reraise_if_caught();  // the round in progress has removed its objects

  Report result;
  result.rows = aggregate(plan, outcome.results, mechanisms.all);
  result.cpus = describe_cpus(options.cpus);
  result.machine = describe_machine();
  for (const auto& p : mechanisms.peers) {
    if (!p.found) result.peers_missing.push_back(p.name + ": " + p.why_missing);
  }

  switch (settings->output) {
    case Output::kJson:
      write_text(stdout, json_text(result));
      break;
    case Output::kCsv:
      write_text(stdout, csv_text(result));
      break;
    case Output::kTable:
      write_text(stdout, table_text(result));
      break;
  }
  int code = kExitOk;
  for (const auto& row : result.rows) {
    if (!row.error.empty()) code = kExitFailure;
  }
  if (!settings->plot.empty()) {
    if (auto r = write_file(settings->plot, svg(result)); !r) code = report(kBench, r.error());
  }
  if (!settings->html.empty()) {
    if (auto r = write_file(settings->html, html(result)); !r) code = report(kBench, r.error());
  }
  return code;
}

Runner register_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* bench = app.add_subcommand(
      "bench", "Measure every local IPC mechanism and the peers found, side by side");
  bench
      ->add_option("--only", args->only,
                   "Only these mechanisms, or NAME:MODE (comma-separated; see --list)")
      ->type_name("NAME[:MODE],...");
  bench
      ->add_option("--sizes", args->sizes,
                   "Message sizes for every test, e.g. 64,4K,1M (8 B to 64M)")
      ->type_name("SIZE,...");
  bench->add_option("--rounds", args->rounds, "Rounds per cell (default 5)")->type_name("N");
  bench->add_option("--duration", args->duration, "Measured time per round, seconds (default 0.2)")
      ->type_name("SECONDS");
  bench->add_flag("--quick", args->quick,
                  "A smoke run: 1 round, 64 B, 0.05 s, no scaling rows (under 30 s)");
  bench->add_flag("--no-pin", args->no_pin, "Let the scheduler place the processes");
  bench->add_flag("--json", args->json, "Print the rows as a JSON array (docs/bench.md)");
  bench->add_flag("--csv", args->csv, "Print the rows as CSV");
  bench->add_option("--plot", args->plot, "Also write the charts as an SVG file")
      ->type_name("FILE.svg");
  bench->add_option("--html", args->html, "Also write the charts and rows as an HTML page")
      ->type_name("FILE.html");
  bench->add_flag("--list", args->list,
                  "List the mechanisms, their modes, and the peers found or missing, and exit");
  bench->add_flag("--progress", args->progress,
                  "Show the progress line even when stderr is not a terminal");
  set_usage_exit_code(*bench, kExitBenchUsage);
  return [args] { return run_bench(*args); };
}

}  // namespace

IPCKIT_COMMAND(800, register_bench);

}  // namespace ipckit::cli::bench_cmd
