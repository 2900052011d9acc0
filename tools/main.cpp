// Entry point of the `ipckit` command: builds the CLI from the registered subcommands, parses,
// and runs the chosen one.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <map>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"

int main(int argc, char** argv) {
  using namespace ipckit::cli;
  set_program_name(argc > 0 ? argv[0] : "ipckit");
  // A closed stdout must surface as EPIPE from write(), not kill us silently.
  std::signal(SIGPIPE, SIG_IGN);

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    warn("{}", e.what());
    fmt::print(stderr, "Try '{} --help' for more information.\n", program_name());
    return kExitFailure;
  }

  for (auto* sub : app.get_subcommands()) {
    auto it = runners.find(sub);
    if (it != runners.end()) return finish_stdout(it->second());
  }
  return kExitFailure;
}
