// The util-linux drop-ins: subcommands that behave exactly like a util-linux tool.
//
// `ipckit ipcs ...`, and the ipckit binary run through a link named ipcs, ipcmk, ipcrm or lsipc,
// must accept the same command lines and print the same bytes as util-linux 2.38, so these
// commands parse their own argv with getopt_long instead of CLI11 (whose parser cannot reproduce
// getopt's permutation, "--", abbreviations or messages). main.cpp hands them the raw argv; they
// are also listed as CLI11 subcommands so `ipckit --help` shows them. This is the floor's part: the
// registry main.cpp consults; the drop-ins themselves live in tools/utillinux/.
#pragma once

#include <CLI/CLI.hpp>
#include <string_view>

#include "cli/command.hpp"

namespace ipckit::cli {

// A drop-in's main: argv[0] is the name it should go by ("ipcs", or the link's path). Returns the
// exit code. The family registers its mains already wrapped in whatever they need around them
// (tools/utillinux/drop_in.hpp: util-linux's stdio and exit conventions).
using DropInMain = int (*)(int argc, char** argv);

struct DropIn {
  std::string_view name;
  DropInMain main;
};

// The drop-in registered under `name`, or nullptr.
[[nodiscard]] const DropIn* find_drop_in(std::string_view name);

// True for the names util-linux tools go by: ipcs, ipcmk, ipcrm, lsipc (registered or not).
[[nodiscard]] bool is_util_linux_name(std::string_view name);

// Runs `drop_in` on argv (argv[0] = its name) and returns the exit code.
[[nodiscard]] int run_drop_in(const DropIn& drop_in, int argc, char** argv);

// Adds the drop-in to the registry (at static initialisation, so main.cpp finds it before it
// builds the CLI11 app).
struct RegisterDropIn {
  RegisterDropIn(std::string_view name, DropInMain main);
};

// Adds a CLI11 subcommand `name` (for `ipckit --help`) whose runner forwards the subcommand's
// unparsed arguments to `main`. main.cpp normally dispatches to drop-ins before CLI11 parses.
[[nodiscard]] Runner add_drop_in_subcommand(CLI::App& app, std::string_view name,
                                            const char* description, DropInMain main);

}  // namespace ipckit::cli
