// What an option's value or a positional argument completes to, said where the option is made.
//
// `ipckit completion` (tools/completion/) completes subcommands and option names from the CLI11
// tree itself; what a value may be is not in that tree, so the code that adds an option also
// records it here: fixed choices ("stream", "dgram", "seqpacket"), a comma-separated list of
// choices (`ls -o TYPE,NAME`), or live objects of a kind (channel names, System V ids), which the
// completer lists from the machine when Tab is pressed. The util-linux drop-ins parse their argv
// with getopt, outside CLI11: they describe their options here too, from their getopt tables.
//
// Internal to the `ipckit` command. Registration happens while the CLI is built (single thread).
#pragma once

#include <getopt.h>

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipckit::cli {

// Objects the completer lists from the machine (ipckit/inspect/ipc_listing.hpp).
enum class Live {
  kChannel,     // channel names (POSIX "NAME", System V "sysv:0xKEY")
  kPosixShm,    // POSIX shared memory "/NAME" and System V segments "sysv:0xKEY"
  kPosixSem,    // POSIX named semaphores "/NAME" and System V sets "sysv:0xKEY"
  kMqueue,      // POSIX message queues "/NAME"
  kSysvShmId,   // System V segment ids
  kSysvSemId,   // System V semaphore set ids
  kSysvMsgId,   // System V queue ids
  kSysvShmKey,  // System V segment keys (0x...)
  kSysvSemKey,
  kSysvMsgKey,
  kSysvAnyId,   // every System V id (ipcs -i, lsipc -i)
  kUnixSocket,  // Unix socket addresses in use: paths and @abstract names
};

struct ValueHint {
  std::vector<std::string> choices{};  // fixed values
  bool list = false;                   // comma-separated: complete the part after the last comma
  std::optional<Live> live{};          // objects on the machine, added to the choices
};

// Records what `option` (an option taking a value, or a positional) completes to.
void hint(const CLI::Option* option, ValueHint value);
// The hint of `option`, or nullptr when it has none (a file, free text: the shell's default).
[[nodiscard]] const ValueHint* hint_of(const CLI::Option* option);

// One option of a drop-in, as getopt knows it.
struct DropInOption {
  char short_name = 0;  // 0: long only
  std::string long_name;
  bool takes_value = false;
  bool optional_value = false;  // getopt "a::": the value only as --all=VALUE or -aVALUE
  ValueHint value;
};
// Records a drop-in's options from its getopt tables (`shortopts` as getopt_long takes it).
// `values` gives hints by long name.
void describe_drop_in(std::string_view name, const char* shortopts, const option* long_options,
                      const std::vector<std::pair<std::string, ValueHint>>& values = {});
// The options a drop-in recorded (empty for an unknown name).
[[nodiscard]] const std::vector<DropInOption>& drop_in_options(std::string_view name);

}  // namespace ipckit::cli
