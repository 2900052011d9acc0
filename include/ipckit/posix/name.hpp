// ipckit::posix::check_name: the one rule for the names of POSIX shared memory objects, named
// semaphores and message queues, and of the ipckit channels and shared states that live in
// POSIX shared memory. Every ipckit call that takes such a name checks it with this, before any
// syscall, and so does the `ipckit` command: a name one of them accepts, all of them accept.
//
// The rule, stricter than glibc (which strips any number of leading slashes) so that one name
// always means one object:
//   - "name" and "/name" are both accepted and mean the same object; the result is always the
//     normalised "/name", which is what the C calls are given and what errors show;
//   - no other '/' (so not "//name" either), no NUL byte;
//   - the part after the slash is 1 to max_name_length(kind) bytes, and is neither "." nor "..".
//
// The longest names are what Linux and glibc really take (NAME_MAX is 255, the longest file name
// in a directory):
//   - shared memory: NAME_MAX. shm_open(3) opens the file /dev/shm/NAME.
//   - message queue: NAME_MAX. mq_open(3) opens the entry NAME of the mqueue filesystem.
//   - named semaphore: NAME_MAX - 4 = 251. glibc's sem_open(3) opens the file /dev/shm/sem.NAME.
//   - channel and shared state: 200, an ipckit limit: the creator builds the object under the
//     temporary name "NAME.creating-PID-RANDOM" in /dev/shm, which must fit NAME_MAX too.
//
// Thread safety: pure functions of their arguments; call them from any thread.
#pragma once

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::posix {

// What a name names; it decides the longest name and the operation errors report.
enum class NameKind {
  kSharedMemory,  // shm_open(3): /dev/shm/NAME
  kSemaphore,     // sem_open(3): /dev/shm/sem.NAME (glibc)
  kMessageQueue,  // mq_open(3): NAME in the mqueue filesystem
  kChannel,       // ipckit::channel::Channel: /dev/shm/NAME, built under a longer name
  kSharedState,   // ipckit::SharedStateWriter: /dev/shm/NAME, built under a longer name
};

// The longest name of `kind` after the leading slash, in bytes (see the top of this file).
[[nodiscard]] constexpr std::size_t max_name_length(NameKind kind) noexcept {
  switch (kind) {
    case NameKind::kSemaphore:
      return NAME_MAX - 4;  // strlen("sem.")
    case NameKind::kChannel:
    case NameKind::kSharedState:
      return 200;
    case NameKind::kSharedMemory:
    case NameKind::kMessageQueue:
      break;
  }
  return NAME_MAX;
}

// Checks `name` against the rule above for `kind`.
// REQUIRES: nothing; any string is checked. `operation` is what errors report; empty: the call
// that opens that kind ("shm_open", "sem_open", "mq_open", "open channel", "open shared state").
// Returns: the normalised name "/name". Errors (operation `operation`, object the name as given
// with a NUL byte shown as "\0", detail starting "invalid name: "):
//   EINVAL: empty (or "/" alone), a '/' after the first character, a NUL byte, "." or "..";
//   ENAMETOOLONG: more than max_name_length(kind) bytes after the slash; the detail names both
//   lengths, e.g. "invalid name: 252 bytes after the '/', at most 251 for a named semaphore".
// These are the errnos shm_open(3), sem_open(3) and mq_open(3) give for such names.
[[nodiscard]] Result<std::string> check_name(std::string_view name, NameKind kind,
                                             std::string_view operation = {});

}  // namespace ipckit::posix
