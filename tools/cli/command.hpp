// The registry that ties subcommands to the `ipckit` binary.
//
// Each family (tools/<family>/, docs/architecture.md) registers its top-level commands with
// IPCKIT_COMMAND. The registration function adds a CLI11 subcommand to `app` and returns the
// function that runs it after parsing; that function returns the process exit code (see
// exit_codes.hpp). A command with verbs ("chan send") builds one Verb per verb and dispatch()es.
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

// One verb of a command: its CLI11 subcommand and the function that runs it once parsed.
struct Verb {
  CLI::App* app;
  Runner run;
};

// What the command does after a verb that a stop signal (cli/signals.hpp) ended: exit with the
// verb's code (a follower that SIGTERM ends cleanly), or die of the signal as the shell expects
// of an interrupted server (every object of the verb is gone by then).
enum class OnStop { kExit, kDieOfSignal };

// The Runner of a command whose verbs are `verbs`: runs the one that was parsed.
[[nodiscard]] Runner dispatch(std::vector<Verb> verbs, OnStop on_stop = OnStop::kExit);

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
