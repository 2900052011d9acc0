// `ipckit completion bash|zsh|fish`: prints a completion script (docs/cli.md, "Completion").
// Hidden verbs: `complete WORDS...` (WORDS[0] the command: ipckit, ipcs, ...) prints the candidates
// for the last word (what the scripts call on Tab), `describe` prints the command tree as JSON
// (what the man pages are made from).
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/completion_hints.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "completion/completion_describe.hpp"
#include "completion/completion_engine.hpp"
#include "completion/completion_scripts.hpp"

namespace ipckit::cli {

namespace {

struct CompletionOptions {
  std::string shell;
};

Runner register_completion(CLI::App& root) {
  auto o = std::make_shared<CompletionOptions>();
  auto* app = root.add_subcommand(
      "completion", "Print a shell completion script: bash, zsh or fish (see docs/cli.md)");
  app->add_option("SHELL", o->shell, "bash, zsh or fish")
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  hint(app->get_option("SHELL"), {.choices = {"bash", "zsh", "fish"}});
  app->footer(
      "bash: ipckit completion bash > /etc/bash_completion.d/ipckit (the .deb installs it)\n"
      "zsh:  ipckit completion zsh > \"${fpath[1]}/_ipckit\"\n"
      "fish: ipckit completion fish > ~/.config/fish/completions/ipckit.fish");
  // Hidden (no group): called by the scripts and the man page generator.
  auto* complete = app->add_subcommand("complete", "Candidates for the last of WORDS")->group("");
  complete->prefix_command();
  auto* describe = app->add_subcommand("describe", "The command tree as JSON")->group("");
  const CLI::App* tree = &root;
  return [o, complete, describe, tree]() -> int {
    if (complete->parsed()) {
      std::vector<std::string> words = complete->remaining();
      if (!words.empty() && words.front() == "--") words.erase(words.begin());
      for (const auto& c : completion::candidates(*tree, words))
        out("{}\n", c);
      return kExitOk;
    }
    if (describe->parsed()) {
      out("{}\n", completion::describe_json(*tree));
      return kExitOk;
    }
    if (o->shell.empty()) return usage_error("completion", "which shell? bash, zsh or fish");
    out("{}", *completion::script_for(o->shell));
    return kExitOk;
  };
}

}  // namespace

IPCKIT_COMMAND(950, register_completion);

}  // namespace ipckit::cli
