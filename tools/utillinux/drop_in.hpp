// How a util-linux drop-in registers itself (the registry is the floor's: cli/drop_in.hpp):
// IPCKIT_DROP_IN wraps the drop-in's main in ul::run_drop_in (utillinux/ul_compat.hpp), so
// util-linux's stdio, locale and exit conventions hold however it is invoked.
#pragma once

#include "cli/command.hpp"
#include "cli/drop_in.hpp"
#include "utillinux/ul_compat.hpp"

// Registers `fn` as the drop-in `name` and lists it in `ipckit --help` at position `order`.
#define IPCKIT_DROP_IN(order, name, description, fn)                                               \
  static int ipckit_drop_in_main_##fn(int argc, char** argv) {                                     \
    return ::ipckit::cli::ul::run_drop_in(argc, argv, &(fn));                                      \
  }                                                                                                \
  static const ::ipckit::cli::RegisterDropIn ipckit_drop_in_##fn{name, &ipckit_drop_in_main_##fn}; \
  static ::ipckit::cli::Runner ipckit_drop_in_cli_##fn(CLI::App& app) {                            \
    return ::ipckit::cli::add_drop_in_subcommand(app, name, description,                           \
                                                 &ipckit_drop_in_main_##fn);                       \
  }                                                                                                \
  IPCKIT_COMMAND(order, ipckit_drop_in_cli_##fn)
