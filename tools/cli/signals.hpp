// SIGINT, SIGTERM and SIGHUP stop a waiting command cleanly: handlers (without SA_RESTART) record
// the signal and wake poll(2) through a self-pipe, so the command returns through its destructors
// (removing its socket file, leaving its channel slot) before dispatch() (cli/command.hpp)
// re-raises the signal and the process dies of it, as the shell expects.
//
// Process-wide state, installed once; the handler only writes one byte and a lock-free atomic.
#pragma once

#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::cli {

class StopSignals {
 public:
  // Installs the handlers once per process. Errors: those of pipe2(2), sigaction(2).
  [[nodiscard]] static Result<void> install();
  // The pipe's read end: readable once a stop signal arrived (-1 before install()).
  [[nodiscard]] static FdView fd() noexcept;
  // The signal caught, or 0.
  [[nodiscard]] static int caught() noexcept;
  // The error a verb returns when stopped: EINTR, "stopped by SIGTERM".
  [[nodiscard]] static Error stopped(std::string operation, std::string object);
  // If a stop signal was caught: flushes stdout and dies of that signal, as if no handler had
  // been installed. Returns otherwise.
  static void reraise_if_caught();
};

}  // namespace ipckit::cli
