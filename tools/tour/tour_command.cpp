// `ipckit tour [--list] [--step N]`: runs the narrated tour of every mechanism.
#include <fmt/core.h>

#include <algorithm>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "tour/tour.hpp"

namespace ipckit::cli {
namespace {

struct TourOptions {
  bool list = false;
  std::vector<int> only;
};

Runner register_tour(CLI::App& app) {
  auto opts = std::make_shared<TourOptions>();
  auto* sub = app.add_subcommand("tour", "A guided, narrated run through every IPC mechanism");
  sub->add_flag("--list", opts->list, "List the steps and exit");
  sub->add_option("--step", opts->only, "Run only these step numbers (see --list)");
  return [opts]() {
    auto steps = tour::step_registry();
    std::sort(steps.begin(), steps.end(),
              [](const tour::Step& a, const tour::Step& b) { return a.order < b.order; });
    if (opts->list) {
      for (size_t i = 0; i < steps.size(); ++i)
        cli::out("{:2}  {}\n", i + 1, steps[i].title);
      return kExitOk;
    }
    tour::Tour t;
    int failed_steps = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      int number = static_cast<int>(i) + 1;
      if (!opts->only.empty() &&
          std::find(opts->only.begin(), opts->only.end(), number) == opts->only.end())
        continue;
      cli::out("\n== {}. {} ==\n", number, steps[i].title);
      std::fflush(stdout);
      if (!steps[i].run(t)) ++failed_steps;
    }
    cli::out("\n");
    if (failed_steps == 0 && t.failures() == 0) {
      cli::out("Tour complete: every step behaved as described; nothing was left behind.\n");
      return kExitOk;
    }
    cli::out("Tour finished with {} failed step(s) and {} failed check(s).\n", failed_steps,
             t.failures());
    return kExitFailure;
  };
}

}  // namespace
IPCKIT_COMMAND(900, register_tour);
}  // namespace ipckit::cli
