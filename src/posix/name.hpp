// Internal: validation of POSIX IPC object names (shm_open, sem_open, mq_open). Not installed.
//
// The rule ipckit applies to every POSIX name, stricter than glibc (which strips any number of
// leading slashes) so that one name always means one object:
//   - "name" and "/name" are both accepted and mean the same object; the result is always
//     normalised to "/name", which is what the C calls are given and what errors show;
//   - no other '/' (so not "//name" either), no NUL byte;
//   - the part after the slash is 1..max_length bytes (NAME_MAX = 255 by default: it becomes a
//     file name under /dev/shm or /dev/mqueue) and is neither "." nor "..".
#pragma once

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::posix::detail {

// The longest name (after the leading slash) shm_open and mq_open accept.
inline constexpr std::size_t kPosixNameMax = NAME_MAX;

// Checks `name` against the rule above.
// REQUIRES: nothing; any string is checked. `what` is the operation reported in errors
// ("shm_open", "sem_open", "mq_open").
// Returns: the normalised name "/name". Errors (operation `what`, object the name as given):
// EINVAL (empty, "/" alone, another '/', a NUL byte, "." or ".."), ENAMETOOLONG (more than
// max_length bytes after the slash), as shm_open(3), sem_open(3) and mq_open(3) report them.
[[nodiscard]] Result<std::string> check_posix_name(std::string_view name, std::string_view what,
                                                   std::size_t max_length = kPosixNameMax);

}  // namespace ipckit::posix::detail
