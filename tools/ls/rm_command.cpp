// `ipckit rm TYPE:WHAT...` and `ipckit rm --stale [filters] [--yes]`: removes System V and POSIX
// objects and channels by id, key or name, or finds (and with --yes removes) orphaned ones.
// docs/ls.md says which objects count as stale, and why the rules are conservative.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/usage.hpp"
#include "cli/values.hpp"
#include "ls/ls_model.hpp"
#include "ls/rm_target.hpp"

namespace ipckit::cli {

namespace {

using ls::parse_target;
using ls::RmTarget;

struct RmOptions {
  std::vector<std::string> targets;
  bool stale = false;
  bool yes = false;
  ls::FilterOptions filter;
};

int run_rm(const RmOptions& o) {
  if (o.stale) {
    auto filter = o.filter.build();
    if (!filter) return report(filter.error());
    return ls::run_stale(*filter, o.yes);
  }
  std::vector<RmTarget> targets;
  for (const auto& text : o.targets)
    targets.push_back(parse_target(text).value());
  int code = kExitOk;
  for (const auto& t : targets) {
    auto r = remove(t);
    if (r) continue;
    warn("rm: {}", escape_controls(r.error().message()));
    if (code == kExitOk) code = r.error().code() == ENOSYS ? kExitUnsupported : kExitFailure;
  }
  return code;
}

Runner register_rm(CLI::App& app) {
  auto o = std::make_shared<RmOptions>();
  auto* rm = app.add_subcommand(
      "rm", "Remove IPC objects by id, key or name, or find and remove stale ones");
  auto* targets = rm->add_option("OBJECT", o->targets,
                                 "sysv-shm:ID, sysv-shm-key:KEY (also sem, msg), posix-shm:/NAME, "
                                 "posix-sem:/NAME, mqueue:/NAME, channel:NAME")
                      ->check(CLI::Validator(
                          [](std::string& text) -> std::string {
                            auto r = parse_target(text);
                            return r ? std::string() : r.error().detail();
                          },
                          "OBJECT", "object"));
  auto* stale =
      rm->add_flag("--stale", o->stale, "List orphaned objects (nobody holds them, creator gone)")
          ->excludes(targets);
  rm->add_flag("--yes,-y", o->yes, "With --stale: remove what it lists")->needs(stale);
  o->filter.add_to(*rm);
  rm->footer(
      "Filters (--type, --user, --name, --key) apply to --stale only.\n"
      "Without --stale, give at least one OBJECT; nothing is removed unless all of them parse.");
  return [o, targets] {
    if (!o->stale && o->targets.empty()) {
      return usage_error(fmt::format("{} rm", program_name()),
                         "rm: nothing to remove: give OBJECTs or --stale");
    }
    (void)targets;
    return run_rm(*o);
  };
}

}  // namespace

IPCKIT_COMMAND(310, register_rm);

}  // namespace ipckit::cli
