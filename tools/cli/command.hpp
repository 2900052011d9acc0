// The registry that ties subcommands to the `ipckit` binary.
//
// Each tools/commands/*.cpp defines one subcommand and registers it with IPCKIT_COMMAND. The
// registration function adds a CLI11 subcommand to `app` and returns the function that runs it
// after parsing; that function returns the process exit code (see exit_codes.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace ipckit::cli {

using Runner = std::function<int()>;
using Registrar = Runner (*)(CLI::App& app);

struct CommandEntry {
  int order;  // position in `ipckit --help`
  Registrar registrar;
};

std::vector<CommandEntry>& command_registry();

struct RegisterCommand {
  RegisterCommand(int order, Registrar registrar) {
    command_registry().push_back({order, registrar});
  }
};

}  // namespace ipckit::cli

#define IPCKIT_COMMAND(order, fn)                                    \
  static const ::ipckit::cli::RegisterCommand ipckit_register_##fn { \
    order, &fn                                                       \
  }
