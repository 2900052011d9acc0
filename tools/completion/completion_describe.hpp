// `ipckit completion describe`: the command tree as JSON, for the man page generator
// (man/generate.py): every subcommand with its description, options (names, value type,
// description) and positionals, and the util-linux drop-ins' getopt options.
//
// Internal to the `ipckit` command.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace ipckit::cli::completion {

[[nodiscard]] std::string describe_json(const CLI::App& root);

}  // namespace ipckit::cli::completion
