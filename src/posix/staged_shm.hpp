// StagedShm: a new POSIX shared-memory object built under a private temporary name and published
// under its real name only once its creator has initialised it. Internal; used by the channel
// (channel/segment.cpp) and the shared state (shared_state/region.cpp).
//
// Why: nobody can open a half-initialised object (it has no public name yet), and an existing
// object is never replaced (renameat2 RENAME_NOREPLACE). The temporary is /dev/shm/
// NAME.creating-PID-HEX, a name ipckit::inspect::parse_creating_leftover recognises.
//
// Ownership: a StagedShm owns its temporary name until publish() succeeds, and its mapping until
// release_mapping(). Destroying it unmaps what it still owns and unlinks the temporary unless it
// was published: a failure at any step leaves nothing behind in /dev/shm. A creator killed
// before that (SIGKILL) leaves its temporary; channel/creating_leftovers.hpp removes those.
// Thread safety: a value; one thread at a time.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/posix/name.hpp"

namespace ipckit::posix::detail {

// An object that StagedShm published, opened read-write for mapping by its user.
struct PublishedShm {
  std::string name;  // without the leading slash
  Fd fd;
  std::size_t size = 0;  // its size when opened (a file may shrink later)
};

// check_name(name, kind) (ipckit/posix/name.hpp), shm_open(3) O_RDWR, fstat(2). The caller
// checks the contents. Errors: EINVAL, ENAMETOOLONG (the name, as check_name reports it); from
// "shm_open" (ENOENT, EACCES) and "fstat", about the bare name.
[[nodiscard]] Result<PublishedShm> open_published(std::string_view name, NameKind kind);

class StagedShm {
 public:
  // shm_open(3) of a fresh temporary (O_CREAT|O_EXCL, 0600), fchmod(2) to `mode`, ftruncate(2)
  // and posix_fallocate(3) to `size` (so an undersized /dev/shm fails here with ENOSPC, not later
  // with SIGBUS), then mmap(2) of all of it, read-write and shared.
  // REQUIRES: `name` is a bare object name (no '/'), already checked; size > 0.
  // Errors, all about object `name`: from shm_open ("shm_open"); from fchmod or ftruncate
  // (operation `operation`, e.g. "create channel"); ENOSPC and others from "posix_fallocate";
  // from "mmap".
  [[nodiscard]] static Result<StagedShm> create(std::string name, std::size_t size, mode_t mode,
                                                std::string operation);

  StagedShm(StagedShm&& other) noexcept;
  StagedShm& operator=(StagedShm&&) = delete;
  StagedShm(const StagedShm&) = delete;
  StagedShm& operator=(const StagedShm&) = delete;
  ~StagedShm();

  // The mapping (size() bytes, zero-filled at creation). Valid until release_mapping() hands it
  // over or this object is destroyed.
  [[nodiscard]] void* base() const noexcept { return base_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // The temporary's name, without the leading slash.
  [[nodiscard]] const std::string& temporary_name() const noexcept { return temporary_; }

  // Hands the mapping over: the caller now owns it and must munmap(base(), size()) it.
  [[nodiscard]] void* release_mapping() noexcept;

  // renameat2(2) of /dev/shm/TEMPORARY to /dev/shm/NAME with RENAME_NOREPLACE: from now on the
  // object is anybody's to open, and no longer this object's to unlink. Call once.
  // Errors (operation `operation`, object `name`): EEXIST (NAME exists; it is left untouched,
  // and the temporary is unlinked when this object is destroyed), others from renameat2.
  [[nodiscard]] Result<void> publish();

 private:
  StagedShm(Fd fd, std::string name, std::string temporary, std::string operation);

  Fd fd_;
  std::string name_;
  std::string temporary_;
  std::string operation_;
  void* base_ = nullptr;
  std::size_t size_ = 0;
  bool published_ = false;
};

}  // namespace ipckit::posix::detail
