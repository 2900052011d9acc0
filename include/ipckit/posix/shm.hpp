// ipckit::posix::SharedMemoryObject (a POSIX shared memory object: shm_open(3), ftruncate(2),
// mmap(2)) and ShmNameOwner (the right to shm_unlink the name of an object this process made).
//
// What it is: a named file in a memory filesystem (/dev/shm on Linux, tmpfs). The name lives
// until shm_unlink(3) or reboot, whatever happens to the processes that made or used it; the
// object's memory lives until the name is unlinked AND the last descriptor and mapping of it are
// gone. A process that dies, by any means, simply closes its descriptors and unmaps its
// mappings: nothing is undone, half-written bytes stay as they are.
//
// Names: checked by posix::check_name (ipckit/posix/name.hpp, NameKind::kSharedMemory).
// "name" and "/name" are accepted and mean the same object; ipckit always works with the
// normalised "/name" (name() returns it, errors show it). No other '/', at most 255 bytes after
// the slash, not "." or "..". A bad name fails with EINVAL (ENAMETOOLONG when too long) before
// any syscall, e.g. "shm_open(/a/b): invalid name: '/' is allowed only as the first character".
//
// Ownership: a SharedMemoryObject owns one descriptor (close-on-exec, like every descriptor
// ipckit makes) and closes it when destroyed; it is move-only. It never unlinks the name by
// itself: removal is an explicit unlink(), or the destructor of a ShmNameOwner, which can only be
// had from the handle that created the object (own_name()).
//
// Mode: create() applies `mode` exactly, with fchmod(2) after shm_open: the process umask does
// not change it (shm_open alone would apply the umask).
//
// Thread safety: every member is a single syscall (or a short sequence of them) on this handle's
// descriptor; const members may be called from several threads at once. Moving or destroying a
// handle while another thread uses it needs external synchronisation. The bytes are shared with
// no synchronisation: see ipckit/posix/semaphore.hpp.
//
// Blocking: nothing here blocks; only posix_fallocate (ShmAllocate::kNow) is restarted on EINTR.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/posix/exclusive.hpp"
#include "ipckit/posix/mapping.hpp"

namespace ipckit::posix {

// How open() opens an object, and how map() maps it.
enum class ShmAccess {
  kReadOnly,   // O_RDONLY / PROT_READ: needs read permission; writes through a mapping: SIGSEGV
  kReadWrite,  // O_RDWR / PROT_READ|PROT_WRITE: needs read and write permission
};

// When create() backs the object with memory.
enum class ShmAllocate {
  kOnFirstTouch,  // ftruncate only: pages are allocated as they are first written, so a full
                  // /dev/shm shows up later as SIGBUS on a write
  kNow,           // ftruncate, then posix_fallocate(3) over the whole size: a full /dev/shm
                  // fails create() with ENOSPC instead
};

// What fstat(2) reports about an object.
struct ShmStat {
  std::size_t size;  // current size in bytes (st_size)
  mode_t mode;       // permission bits only (07777 mask)
  uid_t uid;         // owner
  gid_t gid;         // owner's group
  ino_t inode;       // identifies the object while it exists (st_ino)
  timespec atime;    // last access
  timespec mtime;    // last change of the contents or size
  timespec ctime;    // last change of the contents, size, owner or mode
};

class ShmNameOwner;

class SharedMemoryObject {
 public:
  // shm_open(3) with O_CREAT [| O_EXCL] | O_RDWR | O_CLOEXEC, then, if this call created the
  // object, fchmod(2) to `mode` and ftruncate(2) to `size`; with ShmAllocate::kNow also
  // posix_fallocate(3). The new object is zero-filled.
  // With Exclusive::kNo and an existing object, the object is opened read-write; its mode is
  // left alone and its size is grown to `size` if it is smaller (never shrunk: that would make
  // peers' mappings fault). created() tells which case happened. (This tries O_EXCL first and
  // falls back to opening, so it knows.)
  // REQUIRES: a valid name (see above); mode holds permission bits only (0777).
  // Returns: a read-write handle. If a step after shm_open fails, an object this call created is
  // unlinked again before the error is returned.
  // Errors: EEXIST (kYes and the name exists), EACCES (kNo and an existing object the caller may
  // not read and write), EINVAL (bad name or mode bits outside 0777), ENAMETOOLONG, EFBIG (size
  // above the largest file size), ENOSPC (kNow and /dev/shm cannot hold `size` bytes), EMFILE,
  // ENFILE. Man: shm_open(3), ftruncate(2), fchmod(2), posix_fallocate(3).
  [[nodiscard]] static Result<SharedMemoryObject> create(
      std::string_view name, std::size_t size, mode_t mode = 0600,
      Exclusive exclusive = Exclusive::kYes, ShmAllocate allocate = ShmAllocate::kOnFirstTouch);

  // shm_open(3) with O_RDONLY or O_RDWR, and O_CLOEXEC: opens an existing object.
  // REQUIRES: a valid name.
  // Returns: a handle whose access() is `access`; created() is false.
  // Errors: ENOENT (no such name), EACCES (permission denied for `access`), EINVAL (bad name),
  // ENAMETOOLONG, EMFILE, ENFILE. Man: shm_open(3).
  [[nodiscard]] static Result<SharedMemoryObject> open(std::string_view name,
                                                       ShmAccess access = ShmAccess::kReadWrite);

  // shm_unlink(3): removes the name now. Descriptors and mappings that exist stay valid; the
  // memory is freed when the last of them goes away. A new create() of the same name makes a
  // different object.
  // REQUIRES: a valid name. Never unlink a name your code did not create.
  // Errors: ENOENT (no such name), EACCES (the caller neither owns the object nor is privileged:
  // /dev/shm is sticky), EINVAL (bad name), ENAMETOOLONG.
  // Man: shm_unlink(3).
  [[nodiscard]] static Result<void> unlink(std::string_view name);

  SharedMemoryObject(SharedMemoryObject&&) noexcept = default;
  SharedMemoryObject& operator=(SharedMemoryObject&&) noexcept = default;
  SharedMemoryObject(const SharedMemoryObject&) = delete;
  SharedMemoryObject& operator=(const SharedMemoryObject&) = delete;
  ~SharedMemoryObject() = default;

  // The normalised name ("/name").
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // The descriptor, borrowed: valid while this handle lives. Close-on-exec.
  [[nodiscard]] FdView fd() const noexcept { return fd_.view(); }
  [[nodiscard]] ShmAccess access() const noexcept { return access_; }
  // True when create() made the object, false when it opened an existing one.
  [[nodiscard]] bool created() const noexcept { return created_; }

  // mmap(2) of the whole object (at its current size, from fstat(2)) with MAP_SHARED.
  // REQUIRES: the object is not empty; kReadWrite needs a handle opened read-write.
  // Returns: a mapping the caller owns, independent of this handle's lifetime.
  // Errors: EINVAL (the object's size is 0: resize() it first), EACCES (kReadWrite on a
  // read-only handle), ENOMEM. Man: mmap(2).
  [[nodiscard]] Result<Mapping> map(ShmAccess access) const;

  // mmap(2) of `length` bytes from `offset` with MAP_SHARED.
  // REQUIRES: offset is a multiple of the page size; 0 < length; offset + length <= size().
  // Errors: EINVAL (length 0, offset not page-aligned, or the range ends past the object's
  // current end, which would fault with SIGBUS on use), EACCES, ENOMEM. Man: mmap(2).
  [[nodiscard]] Result<Mapping> map(ShmAccess access, std::size_t offset, std::size_t length) const;

  // ftruncate(2): sets the object's size. Growing adds zero bytes; shrinking discards the tail.
  // Existing mappings (in any process) keep their length: pages past a shrunk end raise SIGBUS
  // when touched, and bytes past the old end are only reachable through new mappings.
  // REQUIRES: a read-write handle.
  // Errors: EINVAL (read-only handle), EFBIG (size above the largest file size), EPERM
  // (the object is sealed). Man: ftruncate(2).
  [[nodiscard]] Result<void> resize(std::size_t size) const;

  // fstat(2). REQUIRES: nothing. Returns: size, mode, owner and times. Man: fstat(2).
  [[nodiscard]] Result<ShmStat> stat() const;

  // fcntl(2) F_DUPFD_CLOEXEC: hands out an owner that shm_unlinks this object's name when it is
  // destroyed (see ShmNameOwner).
  // REQUIRES: created(): only the handle that made the object may own its name.
  // Errors: EPERM (this handle opened an existing object), EMFILE. Man: fcntl(2).
  [[nodiscard]] Result<ShmNameOwner> own_name() const;

 private:
  SharedMemoryObject(Fd fd, std::string name, ShmAccess access, bool created) noexcept
      : fd_(std::move(fd)), name_(std::move(name)), access_(access), created_(created) {}

  Fd fd_;
  std::string name_;
  ShmAccess access_ = ShmAccess::kReadWrite;
  bool created_ = false;
};

// The right to remove the name of one object this process created: its destructor calls
// shm_unlink(3), but only if the name still refers to that same object. If someone else
// unlinked it and made a new object under the same name, the new object is left alone.
// It holds its own descriptor of the object (close-on-exec), so the identity check is sound
// for as long as the owner lives. Move-only; a moved-from owner does nothing.
class ShmNameOwner {
 public:
  ShmNameOwner(ShmNameOwner&&) noexcept = default;
  // Unlinks the current name (if it is still ours, ignoring errors) and takes over `other`'s.
  ShmNameOwner& operator=(ShmNameOwner&& other) noexcept;
  ShmNameOwner(const ShmNameOwner&) = delete;
  ShmNameOwner& operator=(const ShmNameOwner&) = delete;
  ~ShmNameOwner();

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] bool owns() const noexcept { return fd_.valid(); }

  // stat(2) of /dev/shm/<name> against fstat(2) of the owned object, then shm_unlink(3). Unlinks
  // now and reports failure (the destructor ignores it). Afterwards owns() is false.
  // REQUIRES: owns().
  // Errors: ENOENT (the name is gone, or now names an object this owner did not create: that one
  // is left alone), EINVAL (owns nothing), EACCES. Man: shm_unlink(3).
  [[nodiscard]] Result<void> unlink();

  // Gives up ownership: the name stays, nothing is unlinked. Afterwards owns() is false.
  void release() noexcept;

 private:
  friend class SharedMemoryObject;
  ShmNameOwner(Fd fd, std::string name) noexcept : fd_(std::move(fd)), name_(std::move(name)) {}

  Fd fd_;
  std::string name_;
};

}  // namespace ipckit::posix
