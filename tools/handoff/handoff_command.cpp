// `ipckit handoff serve|stats|worker`: the postscreen-style handoff daemon (docs/handoff.md), its
// counters, and two example workers. This file registers `handoff` and dispatches to its verbs.
#include <fmt/core.h>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/usage.hpp"
#include "handoff/handoff_verbs.hpp"

namespace ipckit::cli::handoff {

int usage_failure(std::string_view prefix, const Error& e) {
  if (e.operation() == "config" || e.operation() == "flag") {
    warn("{}: {}: {}", prefix, e.object(), e.detail());
  } else {
    (void)report(prefix, e);
  }
  return kExitDaemonUsage;
}

namespace {

Runner register_handoff(CLI::App& app) {
  auto* handoff = app.add_subcommand(
      "handoff", "Screen TCP clients and hand each good one to a worker process (a daemon)");
  handoff->require_subcommand(1);
  // A daemon's bad command line exits 2, as LSB daemons do (cli/exit_codes.hpp).
  set_usage_exit_code(*handoff, kExitDaemonUsage);
  return dispatch({add_serve(*handoff), add_stats(*handoff), add_worker(*handoff)});
}

}  // namespace

IPCKIT_COMMAND(700, register_handoff);

}  // namespace ipckit::cli::handoff
