// Entry point of the `ipckit` command: builds the CLI from the registered subcommands, parses,
// and runs the chosen one.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cli/command.hpp"
#include "cli/drop_in.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/usage.hpp"

namespace {

std::string_view basename_of(const char* path) {
  std::string_view p = path != nullptr ? path : "";
  const auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// Prints --help or --version (CLI11 writes them to std::cout, which shares stdout's buffer) and
// ends as every command does; the errno of a failed write is kept for the message.
int finish_help(CLI::App& app, const CLI::Error& e) {
  errno = 0;
  const int code = app.exit(e);
  const int write_errno = errno;
  return ipckit::cli::finish_stdout(code, std::ferror(stdout) != 0 ? write_errno : 0);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ipckit::cli;
  // The util-linux drop-ins (ipcs, ipcmk, ipcrm, lsipc) parse their own argv with getopt_long,
  // never CLI11: run through a link named after the tool ("ipcs -m"), or as "ipckit ipcs -m".
  const std::string_view invoked_as = argc > 0 ? basename_of(argv[0]) : "";
  if (const DropIn* d = find_drop_in(invoked_as)) return run_drop_in(*d, argc, argv);
  if (argc > 1) {
    if (const DropIn* d = find_drop_in(argv[1])) return run_drop_in(*d, argc - 1, argv + 1);
  }

  set_program_name(argc > 0 ? argv[0] : "ipckit");
  // A closed stdout must surface as EPIPE from write(), not kill us silently (docs/cli.md).
  ignore_sigpipe();

  CLI::App app{"ipckit: Linux interprocess communication toolkit", "ipckit"};
  app.set_version_flag("--version", std::string("ipckit ") + IPCKIT_VERSION);
  app.require_subcommand(1);

  auto& registry = command_registry();
  std::sort(registry.begin(), registry.end(),
            [](const CommandEntry& a, const CommandEntry& b) { return a.order < b.order; });
  std::map<CLI::App*, Runner> runners;
  for (const auto& entry : registry) {
    size_t before = app.get_subcommands({}).size();
    Runner run = entry.registrar(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) runners[subs.back()] = std::move(run);
  }

  // Invoked through a link named ipcs, ipcmk, ipcrm or lsipc: run the CLI11 subcommand of that
  // name as if invoked as "ipckit NAME ARGS..." (exit 2 if a build lacks it).
  std::vector<std::string> as_subcommand;  // "lsipc ARGS...", reversed as CLI11's parse() wants
  if (is_util_linux_name(invoked_as)) {
    bool registered = false;
    for (auto* sub : app.get_subcommands({}))
      registered = registered || sub->get_name() == invoked_as;
    if (!registered) {
      fmt::print(stderr, "{}: not implemented yet\n", invoked_as);
      return kExitUnsupported;
    }
    for (int i = argc - 1; i >= 1; --i)
      as_subcommand.emplace_back(argv[i]);
    as_subcommand.emplace_back(invoked_as);
    set_program_name("ipckit");
  }

  try {
    if (!as_subcommand.empty()) {
      app.parse(as_subcommand);
    } else {
      app.parse(argc, argv);
    }
  } catch (const CLI::CallForHelp& e) {
    return finish_help(app, e);
  } catch (const CLI::CallForAllHelp& e) {
    return finish_help(app, e);
  } catch (const CLI::CallForVersion& e) {
    return finish_help(app, e);
  } catch (const CLI::ParseError& e) {
    (void)usage_error(command_path(app), usage_message(e, app));
    return usage_exit_code(app);
  }

  for (auto* sub : app.get_subcommands()) {
    auto it = runners.find(sub);
    if (it == runners.end()) continue;
    try {
      return finish_stdout(it->second());
    } catch (const std::system_error& e) {
      // fmt::print throws when a write fails: stdout's error flag tells which stream it was.
      if (std::ferror(stdout) != 0) return finish_stdout(kExitOk, e.code().value());
      if (std::ferror(stderr) != 0) return kExitFailure;  // nowhere left to say it
      throw;
    }
  }
  return kExitFailure;
}
