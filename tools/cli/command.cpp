#include "cli/command.hpp"

namespace ipckit::cli {

std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> registry;
  return registry;
}

}  // namespace ipckit::cli
