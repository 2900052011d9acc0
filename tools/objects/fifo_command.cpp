// `ipckit fifo create|rm PATH`: named pipes from a shell, with exact modes, and a removal that
// refuses anything that is not a FIFO. Reading and writing are the shell's job (`cat <PATH`,
// `echo >PATH`). docs/cli.md documents the command.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/values.hpp"
#include "ipckit/fifo.hpp"
#include "objects/object_target.hpp"

namespace ipckit::cli::ipc {

namespace {

CLI::Validator path_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty()) return "invalid FIFO path '': empty";
        if (text.find('\0') != std::string::npos)
          return fmt::format("invalid FIFO path '{}': contains a NUL byte", escape_controls(text));
        if (auto problem = control_character_problem(text))
          return fmt::format("invalid FIFO path '{}': {}", escape_controls(text), *problem);
        return {};
      },
      "PATH", "FIFO path");
}

struct CreateOptions {
  std::string path;
  std::string mode = "0600";
};

Verb add_create(CLI::App& fifo) {
  auto o = std::make_shared<CreateOptions>();
  auto* app = fifo.add_subcommand("create", "Make a FIFO (fails if PATH exists)");
  app->add_option("PATH", o->path, "Where to make it (any directory)")
      ->required()
      ->check(path_validator());
  app->add_option("--mode", o->mode, "Permission bits, in octal (umask is not applied)")
      ->check(mode_validator())
      ->default_str("0600");
  return {app, [o] {
            if (auto made = Fifo::make(o->path, mode_value(o->mode)); !made)
              return report("fifo create", made.error());
            return kExitOk;
          }};
}

Verb add_rm(CLI::App& fifo) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto* app = fifo.add_subcommand("rm", "Remove FIFOs (refuses anything that is not one)");
  app->add_option("PATH", *paths, "FIFO paths")->required()->check(path_validator());
  return {app, [paths] {
            FirstFailure result("fifo rm");
            for (const auto& path : *paths) {
              if (auto removed = Fifo::remove(path); !removed) result.add(removed.error());
            }
            return result.code();
          }};
}

Runner register_fifo(CLI::App& app) {
  auto* fifo = app.add_subcommand("fifo", "Named pipes (FIFOs): create, remove");
  fifo->require_subcommand(1);
  return dispatch({add_create(*fifo), add_rm(*fifo)});
}

}  // namespace

IPCKIT_COMMAND(140, register_fifo);

}  // namespace ipckit::cli::ipc
