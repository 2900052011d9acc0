// The completer behind `ipckit completion bash|zsh|fish`: given the words of a command line up to
// the cursor, the candidates for the word under it, from the CLI11 tree and the value hints
// (cli/completion_hints.hpp). The shell scripts are thin: they pass the words and show the lines
// (see completion_scripts.cpp), so every shell completes the same things, and a new option or
// subcommand completes the day it is added.
//
// Internal to the `ipckit` command; single-threaded.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace ipckit::cli::completion {

// `words`: the command line split as the shell splits it, words[0] the command (ipckit, or a
// drop-in's name: ipcs, ipcmk, ipcrm, lsipc), the last word the one being completed (maybe "").
// Returns the candidates that start with the last word, each once, in a stable order; empty
// when nothing is known (a file name, free text: the shell then completes files).
[[nodiscard]] std::vector<std::string> candidates(const CLI::App& root,
                                                  const std::vector<std::string>& words);

}  // namespace ipckit::cli::completion
