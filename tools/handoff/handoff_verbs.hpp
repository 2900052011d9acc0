// The verbs of `ipckit handoff`, one source file each (handoff_command.cpp registers the command):
// serve (the daemon), stats (its counters), worker (the two example workers).
//
// Internal to the `ipckit` command; single-threaded except where a verb says otherwise.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/address.hpp"

namespace ipckit::cli::handoff {

Verb add_serve(CLI::App& handoff);   // handoff_serve.cpp
Verb add_stats(CLI::App& handoff);   // handoff_stats.cpp
Verb add_worker(CLI::App& handoff);  // handoff_worker.cpp

// A refused flag value or config file, on one line: "ipckit: handoff serve: FILE:LINE: problem"
// (object and detail of an "config" or "flag" error), or report()'s form for other errors (a
// config file that cannot be read). Returns kExitDaemonUsage.
int usage_failure(std::string_view prefix, const Error& e);

// `--control ADDR` (required) of worker and stats: the daemon's control socket.
void add_control_option(CLI::App& app, std::string& control);
// The parsed --control address; nullopt after printing "PREFIX: --control: invalid address 'X'"
// (the caller then exits kExitDaemonUsage).
[[nodiscard]] std::optional<uds::UnixAddress> control_address(std::string_view prefix,
                                                              const std::string& text);

// `--daemon-uid UID` (repeatable) of worker and stats: the daemon is trusted only if it runs as
// one of these uids (SO_PEERCRED, checked before anything is sent). Not given: Worker's default
// (same user for an @name, which anyone could bind first; anyone for a path).
void add_daemon_uid_option(CLI::App& app, std::vector<uid_t>& uids);
[[nodiscard]] std::optional<uds::AccessPolicy> daemon_policy(const std::vector<uid_t>& uids);

}  // namespace ipckit::cli::handoff
