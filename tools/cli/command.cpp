#include "cli/command.hpp"

#include <memory>
#include <utility>

#include "cli/exit_codes.hpp"
#include "cli/signals.hpp"

namespace ipckit::cli {

std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> registry;
  return registry;
}

Runner dispatch(std::vector<Verb> verbs, OnStop on_stop) {
  auto shared = std::make_shared<std::vector<Verb>>(std::move(verbs));
  return [shared, on_stop] {
    for (const auto& verb : *shared) {
      if (!verb.app->parsed()) continue;
      const int code = verb.run();  // every object of the verb is gone once it returns
      if (on_stop == OnStop::kDieOfSignal) StopSignals::reraise_if_caught();
      return code;
    }
    return kExitFailure;
  };
}

}  // namespace ipckit::cli
