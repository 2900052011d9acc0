// What the `ipckit mq`, `sem`, `shm` and `fifo` verbs share beyond the CLI floor: how an object
// is named on the command line (a POSIX name, sysv:KEY or sysv:id:ID).
// Modes, sizes, timeouts (cli/options.hpp), errors (cli/report.hpp) and verb dispatch
// (cli/command.hpp) come from the floor.
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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/posix/name.hpp"
#include "ipckit/sysv/ids.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::cli::ipc {

// What a command accepts as NAME.
struct NameRules {
  std::string_view what;            // "shared memory name", "semaphore name", "queue name"
  posix::NameKind kind;             // the POSIX name's rule and longest length (name.hpp)
  bool sysv = false;                // sysv:KEY and sysv:id:ID name System V objects
  bool sysv_id = true;              // sysv:id:ID is accepted (not by create: an id cannot be made)
  bool reserve_sem_prefix = false;  // refuse "sem.*": those files in /dev/shm are semaphores
  std::string_view sysv_refusal;    // why "sysv:" is refused when !sysv (e.g. which tool to use)
};

// An object as named on the command line.
class Target {
 public:
  enum class Kind { kPosix, kSysvKey, kSysvId };

  // Checks `text` against `rules`: a POSIX name follows the library's rule for rules.kind
  // (posix::check_name: 1 to max_name_length(kind) bytes after an optional leading '/', no other
  // '/', not "." or ".."; checked here so that `rm good bad/name` removes nothing) and has no
  // control character; "sysv:KEY" takes KEY in decimal, 0x-hex or 0-octal
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

// TEXT, or --file FILE instead ('-' for stdin): the bytes a verb writes (mq send, shm write).
// One of the two is required; `missing` is the usage message when neither is given. Returns
// --file's option: count() > 0 when FILE was given.
CLI::Option* add_text_or_file(CLI::App& app, std::string& text, std::string& file,
                              const std::string& text_help, const std::string& file_help,
                              const std::string& missing);

// The `rm` verb of `sem` and `shm`: NAME... ("POSIX names, sysv:KEY or sysv:id:ID", checked with
// `rules` at parse time), each removed by `remove`; a failure on one is reported ("ipckit:
// PREFIX: ...") and does not stop the others. Exits with the first failure's code.
Verb add_rm_verb(CLI::App& parent, const std::string& description, const std::string& prefix,
                 const NameRules& rules, std::function<Result<void>(const Target&)> remove);

}  // namespace ipckit::cli::ipc
