// ipckit::posix::Mapping: one mmap(2) of a POSIX shared memory object into this process.
//
// Ownership: a Mapping owns its address range and unmaps it (munmap) exactly once, when it is
// destroyed, move-assigned over or unmap()ped. It is move-only; a moved-from Mapping is empty.
// It does not need the SharedMemoryObject (or its descriptor) it came from: the kernel keeps the
// object alive while any mapping of it exists, even after shm_unlink(3) and close(2).
//
// Size: a mapping keeps the length it was made with. SharedMemoryObject::resize() does not grow
// or shrink existing mappings; map again to see a new size.
//
// Peer death and truncation: a process that dies leaves the bytes as they were, including
// anything half-written. If any process shrinks the object (ftruncate) below the end of this
// mapping, touching the pages past the new end raises SIGBUS in this process: see Safety below.
//
// Thread safety: a Mapping is a value; distinct objects may be used from distinct threads, one
// object from several threads needs external synchronisation. The bytes are shared with every
// process mapping the object, with no synchronisation at all: coordinate with a semaphore
// (ipckit/posix/semaphore.hpp) or with atomics.
#pragma once

#include <cstddef>
#include <span>

#include "ipckit/core/error.hpp"

namespace ipckit::posix {

class SharedMemoryObject;

class Mapping {
 public:
  // An empty mapping (data() == nullptr, size() == 0).
  Mapping() noexcept = default;
  ~Mapping();
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  Mapping(Mapping&& other) noexcept;
  // Unmaps the current range (ignoring errors) and takes over `other`'s.
  Mapping& operator=(Mapping&& other) noexcept;

  // The start of the mapping; nullptr when empty.
  // Safety: the pointer dangles once this object is destroyed, moved from or unmapped. Writing
  // through a read-only mapping raises SIGSEGV. Touching a page past the object's current end
  // (another process shrank it with ftruncate) raises SIGBUS.
  [[nodiscard]] void* data() const noexcept { return addr_; }
  // The length of the mapping in bytes, fixed when it was made.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool read_only() const noexcept { return read_only_; }
  [[nodiscard]] bool mapped() const noexcept { return addr_ != nullptr; }

  // The mapping as bytes. Safety: as for data().
  [[nodiscard]] std::span<std::byte> bytes() const noexcept {
    return {static_cast<std::byte*>(addr_), size_};
  }

  // munmap(2). Unmaps now and reports failure (the destructor ignores it). Afterwards the object
  // is empty, whatever the outcome.
  // REQUIRES: mapped().
  // Returns: nothing on success. Errors: EINVAL (nothing mapped, or munmap refused the range).
  // Man: munmap(2).
  [[nodiscard]] Result<void> unmap();

 private:
  friend class SharedMemoryObject;
  Mapping(void* addr, std::size_t size, bool read_only) noexcept
      : addr_(addr), size_(size), read_only_(read_only) {}
  void reset() noexcept;

  void* addr_ = nullptr;
  std::size_t size_ = 0;
  bool read_only_ = false;
};

}  // namespace ipckit::posix
