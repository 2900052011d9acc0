// Removing named IPC objects and finding stale ones: what `ipckit rm` does, over the `ls` model.
//
// Internal to the `ipckit` command. Single-threaded, like the command.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/inspect/ipc_listing.hpp"
#include "ls/ls_model.hpp"

namespace ipckit::cli::ls {

// One object named on the command line.
struct RmTarget {
  inspect::ObjectType type;
  std::optional<int> id;     // sysv-*:ID
  std::optional<key_t> key;  // sysv-*-key:KEY
  std::string name;          // POSIX "/name", channel NAME
  std::string text;          // as typed, for messages
};

// Parses "sysv-shm:ID", "sysv-shm-key:KEY" (also sem, msg), "posix-shm:/NAME",
// "posix-sem:/NAME", "mqueue:/NAME", "channel:NAME" (NAME as `chan` takes it, sysv:KEY too).
// Errors: EINVAL, with a detail that says what is wrong.
[[nodiscard]] Result<RmTarget> parse_target(std::string_view text);

// shmctl/semctl/msgctl(2) IPC_RMID, shm_unlink(3), sem_unlink(3), mq_unlink(3) or
// Channel::unlink (which refuses an object that is not a channel: EPROTO).
[[nodiscard]] Result<void> remove(const RmTarget& target);

// `rm --stale`: lists the stale objects that match `filter` and, with `yes`, removes them.
// Returns: the exit code.
[[nodiscard]] int run_stale(const Filter& filter, bool yes);

}  // namespace ipckit::cli::ls
