// The one error and usage path of the `ipckit` command. Every failure a command reports goes
// through these functions, so every message has one shape and every exit code one meaning:
//
//   ipckit: PREFIX: OPERATION OBJECT: WHY               (report)      exit by errno, below
//   ipckit: WHAT                                        (usage_error) exit 1
//   Try 'ipckit COMMAND --help' for more information.
//
// Exit codes (cli/exit_codes.hpp, docs/cli.md): ETIMEDOUT 4; EPIPE, ECONNRESET, EOWNERDEAD 3 (the
// peer is gone); ENOSYS, EOPNOTSUPP 2; anything else 1. Single-threaded (stderr).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "ipckit/core/error.hpp"

namespace ipckit::cli {

// The exit code an error maps to (see above).
[[nodiscard]] int exit_code_for(const Error& e) noexcept;

// Prints "ipckit: <e.message()>" and returns exit_code_for(e).
int report(const Error& e);
// The same with the command's words first: "ipckit: mq send: mq_send /q: ...". `prefix` is the
// command as typed after "ipckit" ("chan recv", "sock listen").
int report(std::string_view prefix, const Error& e);

// For a command acting on several objects: reports each failure, carries on, and returns the
// first failure's exit code (0 when all succeeded).
class FirstFailure {
 public:
  explicit FirstFailure(std::string prefix) : prefix_(std::move(prefix)) {}
  void add(const Error& e) {
    const int rc = report(prefix_, e);
    if (code_ == 0) code_ = rc;
  }
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  std::string prefix_;
  int code_ = 0;
};

// An error of adopting a System V id (IPC_STAT on it) in plain words: EINVAL and EIDRM mean no
// `what` ("segment", "semaphore set") has that id. Other errors are returned as they are.
[[nodiscard]] Error explain_id_error(const Error& e, std::string_view what);

// "Try 'COMMAND --help' for more information." on stderr; COMMAND as from command_path()
// (cli/usage.hpp), e.g. "ipckit chan recv".
void print_try_help(std::string_view command);

// Prints "ipckit: MESSAGE" and the Try line for `command` ("ipckit sock send"). Returns
// kExitFailure. For usage errors found after parsing (two options that exclude each other).
int usage_error(std::string_view command, std::string_view message);

}  // namespace ipckit::cli
