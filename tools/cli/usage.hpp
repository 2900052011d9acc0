// Usage errors of the `ipckit` command, in one style: one line "ipckit: what: why" on stderr, then
// "Try 'ipckit CMD --help' for more information.", and exit 1 (kExitFailure), as util-linux does.
//
// CLI11 words its own errors differently ("NAME is required", "Could not convert: --value = -1",
// "The following arguments were not expected: x"); usage_message() rewrites them into ours, so
// main.cpp reports every parse error through the same two lines. Single-threaded (stderr).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace ipckit::cli {

// The command a usage error belongs to, as typed: "ipckit chan recv" (the deepest subcommand the
// parser reached), or "ipckit".
[[nodiscard]] std::string command_path(const CLI::App& root);

// Usage errors of `command` and of its subcommands exit with `code` instead of kExitFailure (the
// handoff daemon's kExitDaemonUsage). Call while building the command line, before parsing.
void set_usage_exit_code(const CLI::App& command, int code);
// The exit code of a usage error after a failed parse of `root`: that of the deepest parsed
// subcommand given one by set_usage_exit_code, or kExitFailure.
[[nodiscard]] int usage_exit_code(const CLI::App& root);

// A CLI11 parse error's text in ipckit's style: lowercase, the offending value quoted, no final
// period, no "Could not convert" or "is required" phrasing. Pure.
[[nodiscard]] std::string usage_message(const CLI::Error& e);
// The same, and "unknown command 'x'" for an argument where `root` (after the failed parse)
// expected a subcommand.
[[nodiscard]] std::string usage_message(const CLI::Error& e, const CLI::App& root);

}  // namespace ipckit::cli
