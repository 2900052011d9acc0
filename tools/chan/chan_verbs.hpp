// The verbs of `ipckit chan`, one source file each (chan_command.cpp holds create and rm and
// registers the command). What they share beyond this list lives on the CLI floor: channel names
// (cli/channel_name.hpp), data files and the progress line (cli/io.hpp), timeouts
// (cli/options.hpp), errors (cli/report.hpp).
//
// Internal to the `ipckit` command; single-threaded, like the command.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/channel_name.hpp"
#include "cli/command.hpp"

namespace ipckit::cli::chan {

using Target = ChannelTarget;

Verb add_create(CLI::App& chan);  // chan_command.cpp
Verb add_send(CLI::App& chan);    // chan_send.cpp
Verb add_recv(CLI::App& chan);    // chan_recv.cpp
Verb add_stat(CLI::App& chan);    // chan_stat.cpp
Verb add_rm(CLI::App& chan);      // chan_command.cpp

}  // namespace ipckit::cli::chan
