// The verbs of `ipckit bridge` (docs/bridge.md): each file builds one; bridge_command.cpp
// registers the command and holds the small ones (keygen, stat, forget).
#pragma once

#include <atomic>
#include <thread>

#include <string>
#include <string_view>

#include "cli/channel_name.hpp"
#include "cli/command.hpp"

namespace ipckit::cli::bridge {

Verb add_out(CLI::App& bridge);  // bridge_out.cpp
Verb add_in(CLI::App& bridge);   // bridge_in.cpp

// Sets `stop` when a stop signal (cli/signals.hpp) arrives, until destroyed: the bridge's
// engines look at an atomic flag, not at the signal pipe.
class StopWatcher {
 public:
  explicit StopWatcher(std::atomic<bool>& stop);
  ~StopWatcher();
  StopWatcher(const StopWatcher&) = delete;
  StopWatcher& operator=(const StopWatcher&) = delete;

 private:
  std::atomic<bool>& stop_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// The ledger's name part for a channel (ipckit::bridge::Ledger): its name, or sysv-0xKEY.
[[nodiscard]] std::string ledger_label(const ChannelTarget& target);

// Writes one log line (and its newline) to stderr in one write(2).
void log_to_stderr(std::string_view line);

}  // namespace ipckit::cli::bridge
