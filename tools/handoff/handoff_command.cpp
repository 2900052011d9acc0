// `ipckit handoff serve|stats|worker`: the postscreen-style handoff daemon (docs/handoff.md), its
// counters, and two example workers. This file registers `handoff` and dispatches to its verbs.
#include <fmt/core.h>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/usage.hpp"
#include "cli/values.hpp"
#include "handoff/handoff_verbs.hpp"
#include "ipckit/unix/access_policy.hpp"

namespace ipckit::cli::handoff {

int usage_failure(std::string_view prefix, const Error& e) {
  if (e.operation() == "config" || e.operation() == "flag") {
    warn("{}: {}: {}", prefix, e.object(), e.detail());
  } else {
    (void)report(prefix, e);
  }
  return kExitDaemonUsage;
}

void add_control_option(CLI::App& app, std::string& control) {
  app.add_option("--control", control, "The daemon's control socket: a path or @name")
      ->required()
      ->type_name("ADDR");
}

std::optional<uds::UnixAddress> control_address(std::string_view prefix, const std::string& text) {
  auto address = uds::UnixAddress::parse(text);
  if (!address || address->is_unnamed()) {
    warn("{}: --control: invalid address '{}'", prefix, escape_controls(text));
    return std::nullopt;
  }
  return *address;
}

void add_daemon_uid_option(CLI::App& app, std::vector<uid_t>& uids) {
  app.add_option("--daemon-uid", uids,
                 "Trust only a daemon running as this uid (repeatable; default: your own uid "
                 "for an @name, anyone for a path)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return uds::parse_id(text) ? std::string() : "invalid uid '" + text + "'";
          },
          ""))
      ->type_name("UID");
}

std::optional<uds::AccessPolicy> daemon_policy(const std::vector<uid_t>& uids) {
  if (uids.empty()) return std::nullopt;
  uds::AccessPolicy policy = uds::AccessPolicy::only({});
  for (const uid_t uid : uids)
    policy.allow_user(uid);
  return policy;
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
