// Live objects for completion: the names and ids on this machine now, as the commands take them.
//
// Internal to the `ipckit` command. Reads the machine-wide listing (ipckit/inspect/): never
// fails (an unreadable source gives fewer names), never blocks on a peer.
#pragma once

#include <string>
#include <vector>

#include "cli/completion_hints.hpp"

namespace ipckit::cli::completion {

[[nodiscard]] std::vector<std::string> live_names(Live kind);

}  // namespace ipckit::cli::completion
