// ipckit::shared_state::SharedState: operations on a shared state by name (removal, inspection)
// that need neither the writer role nor a reader slot.
//
// Lifetime: the object (/dev/shm/NAME) outlives every process until unlink(); processes that
// have it mapped keep using it after that.
//
// Thread safety: static functions, safe from any thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::shared_state {

struct SharedStateInfo {
  std::string name;
  std::size_t table_size = 0;
  std::size_t buffers = 0;
  std::size_t max_readers = 0;
  std::uint64_t version = 0;  // published version
  pid_t writer_pid = 0;       // 0 when no process holds the writer role
  bool writer_alive = false;
  std::size_t readers = 0;   // registered reader slots (live or not yet reclaimed)
  std::uint64_t pinned = 0;  // bit b: buffer b is pinned by a registered reader
  pid_t creator_pid = 0;
  uid_t creator_uid = 0;
  std::int64_t created_unix_ns = 0;
};

class SharedState {
 public:
  // Removes the name (shm_unlink) after checking that it names a shared state, so a typo cannot
  // delete another object. Mapped users keep working; new opens fail with ENOENT.
  // Errors: ENOENT, EACCES, EPROTO (not an ipckit shared state), EINVAL (bad name).
  // See shm_unlink(3).
  [[nodiscard]] static Result<void> unlink(std::string_view name);

  // Reads the header and slot table without registering.
  // Errors: ENOENT, EACCES, EPROTO, EINVAL.
  [[nodiscard]] static Result<SharedStateInfo> inspect(std::string_view name);
};

}  // namespace ipckit::shared_state
