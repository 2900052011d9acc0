// What the `ipckit shm` verbs share: the naming rules of a shared memory NAME, and one object of
// either kind (a POSIX object in /dev/shm or a System V segment) mapped into this process.
//
// Internal to the `ipckit` command (tools/objects/shm_*.cpp). Single-threaded.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ipckit/posix/mapping.hpp"
#include "ipckit/sysv/shared_memory.hpp"
#include "objects/object_target.hpp"

namespace ipckit::cli::ipc::shm {

// NAME of `shm` verbs: a POSIX name (not "sem.*", where glibc keeps semaphores), sysv:KEY, or,
// when `allow_id`, sysv:id:ID.
[[nodiscard]] NameRules name_rules(bool allow_id);

// "/name", "key 0x00001234" or "id 42": how errors name the object, as the library's do.
[[nodiscard]] std::string describe(const Target& target);

// The System V segment of sysv:KEY (shmget) or sysv:id:ID (IPC_STAT, errors in plain words).
// REQUIRES: target.is_sysv().
[[nodiscard]] Result<sysv::SharedMemory> open_segment(const Target& target);

// One mapping of the whole object. Move-only; unmaps when destroyed.
class MappedObject {
 public:
  // POSIX: shm_open (read-only or read-write), fstat, mmap of the whole object (nothing is
  // mapped when it is empty). System V: shmget by key or IPC_STAT by id, then shmat.
  // Errors: those of the library calls (ENOENT, EACCES, EINVAL/EIDRM for a bad id, ...).
  [[nodiscard]] static Result<MappedObject> open(const Target& target, bool writable);

  // The object's bytes. Safety: valid while this object lives; a peer that shrinks a POSIX
  // object makes the pages past its new end raise SIGBUS when touched (write(2) from or read(2)
  // into them fails with EFAULT instead, which is why the verbs copy with those).
  [[nodiscard]] std::span<std::byte> bytes() const noexcept;
  // As describe() (the normalised "/name" for POSIX objects).
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  MappedObject() = default;
  std::optional<posix::Mapping> posix_;
  std::optional<sysv::ShmAttachment> sysv_;
  std::string name_;
};

}  // namespace ipckit::cli::ipc::shm
