// What the `ipckit mq`, `sem`, `shm` and `fifo` verbs share: how an object is named on the
// command line (a POSIX name, sysv:KEY or sysv:id:ID), permission modes, sizes with a minimum,
// timeouts, uniform error reports, and the dispatch of a command to its verbs.
//
// Internal to the `ipckit` command; single-threaded, like the command. docs/cli.md documents the
// rules these functions enforce.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/sysv/ids.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::cli::ipc {

// What a command accepts as NAME.
struct NameRules {
  std::string_view what;            // "shared memory name", "semaphore name", "queue name"
  std::size_t max_length = 255;     // bytes after the optional leading '/' (251 for semaphores)
  bool sysv = false;                // sysv:KEY and sysv:id:ID name System V objects
  bool sysv_id = true;              // sysv:id:ID is accepted (not by create: an id cannot be made)
  bool reserve_sem_prefix = false;  // refuse "sem.*": those files in /dev/shm are semaphores
  std::string_view sysv_refusal;    // why "sysv:" is refused when !sysv (e.g. which tool to use)
};

// An object as named on the command line.
class Target {
 public:
  enum class Kind { kPosix, kSysvKey, kSysvId };

  // Checks `text` against `rules`: a POSIX name is 1 to max_length bytes after an optional
  // leading '/', with no other '/' and not "." or ".." (the library's own rule, checked here so
  // that `rm good bad/name` removes nothing); "sysv:KEY" takes KEY in decimal, 0x-hex or 0-octal
  // but not 0 (IPC_PRIVATE); "sysv:id:ID" a decimal id.
  // Errors: EINVAL, with detail() saying why (no operation or object worth printing).
  [[nodiscard]] static Result<Target> parse(std::string_view text, const NameRules& rules);

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] bool is_sysv() const noexcept { return kind_ != Kind::kPosix; }
  // The text as given: the POSIX name for the library (which normalises it to "/name").
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  // REQUIRES: kind() == kSysvKey.
  [[nodiscard]] sysv::Key key() const noexcept { return key_; }
  // REQUIRES: kind() == kSysvId.
  [[nodiscard]] int id() const noexcept { return id_; }

 private:
  Target(Kind kind, std::string text, sysv::Key key, int id)
      : kind_(kind), text_(std::move(text)), key_(key), id_(id) {}
  Kind kind_;
  std::string text_;
  sysv::Key key_;
  int id_;
};

// Checks NAME arguments at parse time: "invalid queue name 'a/b': ...".
[[nodiscard]] CLI::Validator name_validator(NameRules rules);

// --mode: octal permission bits, at most 0777 ("invalid mode '0999' (octal permission bits,
// e.g. 0600)"). mode_value() converts a validated text.
[[nodiscard]] CLI::Validator mode_validator();
[[nodiscard]] mode_t mode_value(const std::string& text);

// For a size option after size_transformer(): refuses values below `minimum` ("must be at least
// 1 byte, not 0").
[[nodiscard]] CLI::Validator size_at_least(std::uint64_t minimum);

// --timeout SECONDS as a duration for the library's *_for() calls. REQUIRES: callers treat a
// negative value (the options' default) as "no timeout" themselves; here it and anything above a
// century become a century.
[[nodiscard]] std::chrono::nanoseconds to_duration(double seconds) noexcept;
// "0.2 s", for messages.
[[nodiscard]] std::string describe_seconds(double seconds);

// Prints "ipckit: COMMAND VERB: <e.message()>" (e.g. prefix "mq send") and returns the exit
// code for e's errno (cli::report's mapping: ETIMEDOUT 4, EPIPE 3, most others 1).
int report(std::string_view prefix, const Error& e);

// For a command acting on several names: reports each failure, carries on, and returns the
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

// Times for stat output: RFC 3339 UTC for JSON ("2026-11-26T21:04:17Z"), local time with the
// zone for people. A zero time_t is "never" (text) or null (JSON) where the caller says so.
[[nodiscard]] std::string format_time(std::time_t seconds, bool utc);

// One verb of a command: its CLI11 subcommand and the function that runs it once parsed.
struct Verb {
  CLI::App* app;
  Runner run;
};

// The Runner of a command whose verbs are `verbs`: runs the one that was parsed.
[[nodiscard]] Runner dispatch(std::vector<Verb> verbs);

}  // namespace ipckit::cli::ipc
