// The verbs of `ipckit handoff`, one source file each (handoff_command.cpp registers the command):
// serve (the daemon), stats (its counters), worker (the two example workers).
//
// Internal to the `ipckit` command; single-threaded except where a verb says otherwise.
#pragma once

#include <CLI/CLI.hpp>
#include <string_view>

#include "cli/command.hpp"
#include "ipckit/core/error.hpp"

namespace ipckit::cli::handoff {

Verb add_serve(CLI::App& handoff);   // handoff_serve.cpp
Verb add_stats(CLI::App& handoff);   // handoff_stats.cpp
Verb add_worker(CLI::App& handoff);  // handoff_worker.cpp

// A refused flag value or config file, on one line: "ipckit: handoff serve: FILE:LINE: problem"
// (object and detail of an "config" or "flag" error), or report()'s form for other errors (a
// config file that cannot be read). Returns kExitDaemonUsage.
int usage_failure(std::string_view prefix, const Error& e);

}  // namespace ipckit::cli::handoff
