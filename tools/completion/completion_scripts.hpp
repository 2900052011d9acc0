// The completion scripts `ipckit completion bash|zsh|fish` prints. Each passes the words up to the
// cursor to `ipckit completion complete` (completion_engine.hpp) and shows its lines; when there
// are none, the shell completes file names.
//
// Internal to the `ipckit` command.
#pragma once

#include <optional>
#include <string_view>

namespace ipckit::cli::completion {

// The script for `shell` ("bash", "zsh", "fish"), or nullopt for another shell.
[[nodiscard]] std::optional<std::string_view> script_for(std::string_view shell);

}  // namespace ipckit::cli::completion
