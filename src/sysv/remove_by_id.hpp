// Internal: the result of an IPC_RMID by id (shmctl, semctl, msgctl), shared by the static
// remove(id) of SharedMemory, SemaphoreSet and MessageQueue. Not installed.
#pragma once

#include <fmt/core.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/ids.hpp"

namespace ipckit::detail {

// `rc` and errno of `operation` (IPC_RMID on `id`). IPC_RMID fails with EINVAL when no object
// has the id (or the id's slot holds a newer object) and with EIDRM while another remover is
// destroying it: both mean "no such object", reported as ENOENT, "no <what> has this id".
template <class Tag>
[[nodiscard]] Result<void> removed_by_id(int rc, std::string operation, sysv::Id<Tag> id,
                                         std::string_view what) {
  if (rc == 0) return {};
  if (errno == EINVAL || errno == EIDRM) {
    return fail(ENOENT, std::move(operation), id.describe(),
                fmt::format("no {} has this id", what));
  }
  return fail_errno(std::move(operation), id.describe());
}

}  // namespace ipckit::detail
