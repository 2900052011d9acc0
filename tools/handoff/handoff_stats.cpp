// `ipckit handoff stats --control ADDR [--json]`: a running daemon's counters, from its control
// socket (handoff::fetch_stats). For people: one "label: value" line per counter and gauge, then
// a table of the registered workers; --json: the daemon's reply as documented in docs/handoff.md
// "Stats" (handoff::to_json), so scripts see exactly what the protocol carries.
#include <fmt/core.h>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/details.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "handoff/handoff_verbs.hpp"
#include "ipckit/handoff/stats.hpp"
#include "ipckit/unix/address.hpp"

namespace ipckit::cli::handoff {

namespace {

using ::ipckit::handoff::Stats;

constexpr std::string_view kStats = "handoff stats";

// Every reason the daemon counts, shown even at 0 so the output has a fixed shape.
constexpr std::array<std::string_view, 6> kReasons{"access",   "rate", "concurrency",
                                                   "pregreet", "busy", "shutdown"};

struct StatsOptions {
  std::string control;
  bool json = false;
  std::vector<uid_t> daemon_uids;
};

void print_workers(const Stats& s) {
  using table::Cell;
  using table::ColumnSpec;
  using table::JsonType;
  using table::kRight;
  std::vector<ColumnSpec> columns{
      {"WORKER", "the daemon's number", kRight, JsonType::kNumber},
      {"NAME", "the name it registered with", 0, JsonType::kString},
      {"PID", "its pid", kRight, JsonType::kNumber},
      {"UID", "its uid", kRight, JsonType::kNumber},
      {"CAPACITY", "clients it holds at once", kRight, JsonType::kNumber},
      {"IN-FLIGHT", "sent, not acknowledged", kRight, JsonType::kNumber},
      {"ACTIVE", "acknowledged, not done", kRight, JsonType::kNumber},
      {"HANDED-OFF", "acknowledged in total", kRight, JsonType::kNumber},
  };
  table::Options options;
  options.terminal_width = 0;  // never cut a worker's row
  table::Table out(std::move(columns), options);
  for (const auto& w : s.workers) {
    out.add_row({Cell::number(std::uint64_t{w.worker}), Cell(w.name),
                 Cell::number(std::int64_t{w.pid}), Cell::number(std::uint64_t{w.uid}),
                 Cell::number(std::uint64_t{w.capacity}), Cell::number(std::uint64_t{w.in_flight}),
                 Cell::number(std::uint64_t{w.active}), Cell::number(w.handed_off)});
  }
  write_text(stdout, "\n");
  if (s.workers.empty()) {
    write_text(stdout, "no workers registered\n");
    return;
  }
  write_text(stdout, out.render());
}

void print_text(const Stats& s) {
  const auto n = [](auto v) { return fmt::format("{}", v); };
  std::uint64_t rejected = 0;
  std::string reasons;
  const auto add_reason = [&](std::string_view reason, std::uint64_t count) {
    rejected += count;
    reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", reason, count);
  };
  for (std::string_view reason : kReasons) {
    auto it = s.rejected.find(std::string(reason));
    add_reason(reason, it == s.rejected.end() ? 0 : it->second);
  }
  for (const auto& [reason, count] : s.rejected) {  // a reason a newer daemon added
    bool known = false;
    for (std::string_view r : kReasons)
      known = known || r == reason;
    if (!known) add_reason(reason, count);
  }
  print_detail("daemon pid", n(s.daemon_pid));
  print_detail("uptime", fmt::format("{:.3f} s", static_cast<double>(s.uptime_ms) / 1000.0));
  print_detail("accepted", n(s.accepted));
  print_detail("rejected", fmt::format("{} ({})", rejected, reasons));
  print_detail("handed off", n(s.handed_off));
  print_detail("redispatched", n(s.redispatched));
  print_detail("client gone", n(s.client_gone));
  print_detail("screening", n(s.screening));
  print_detail("waiting", n(s.waiting));
  print_detail("in flight", n(s.in_flight));
  print_detail("cache", fmt::format("{} entries, {} hits", s.cache_entries, s.cache_hits));
  print_detail("workers", fmt::format("{} registered, {} refused, {} dropped", s.workers.size(),
                                      s.workers_refused, s.workers_dropped));
  print_detail("reloads", n(s.reloads));
  print_workers(s);
}

int run_stats(const StatsOptions& o) {
  auto control = control_address(kStats, o.control);
  if (!control) return kExitDaemonUsage;
  auto stats = ::ipckit::handoff::fetch_stats(*control, daemon_policy(o.daemon_uids));
  if (!stats) return report(kStats, stats.error());
  if (o.json) {
    write_text(stdout, ::ipckit::handoff::to_json(*stats) + "\n");
  } else {
    print_text(*stats);
  }
  return kExitOk;
}

}  // namespace

Verb add_stats(CLI::App& handoff) {
  auto o = std::make_shared<StatsOptions>();
  auto* app = handoff.add_subcommand("stats", "Print a running daemon's counters and workers");
  add_control_option(*app, o->control);
  add_daemon_uid_option(*app, o->daemon_uids);
  app->add_flag("--json", o->json, "The daemon's reply as JSON (docs/handoff.md \"Stats\")");
  return {app, [o] { return run_stats(*o); }};
}

}  // namespace ipckit::cli::handoff
